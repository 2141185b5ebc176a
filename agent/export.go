package agent

import (
	"context"
	"fmt"
	"os"
	"slices"

	"github.com/jstrace-go/jstrace"
	"github.com/jstrace-go/jstrace/export"
)

// startExport applies the tracing environment ($JSTRACE_SERVICE,
// $JSTRACE_SAMPLER) and starts the pipeline of Options.Export and
// $JSTRACE_EXPORTERS. Nothing here fails the agent: errors are logged.
func (a *Agent) startExport() {
	service := os.Getenv(EnvService)
	sampler, err := export.SamplerFromEnv()
	if err != nil {
		a.log.Warn("sampler not set", "err", err)
	}
	if service == "" {
		jstrace.DefaultService(a.opts.Title)
	}
	if service != "" || sampler != nil {
		o := jstrace.Tracing()
		if service != "" {
			o.Service = service
		}
		if sampler != nil {
			o.Sampler = sampler
		}
		jstrace.SetTracing(o)
	}

	o := a.opts.Export
	fromEnv, err := export.FromEnv()
	if err != nil {
		a.log.Warn("span exporters not started", "err", err)
	}
	o.Exporters = append(slices.Clip(o.Exporters), fromEnv...)
	if len(o.Exporters) == 0 {
		return
	}
	if o.Logger == nil {
		o.Logger = a.opts.Logger
	}
	p, err := export.Start(o)
	if err != nil {
		a.log.Warn("span export not started", "err", err)
		return
	}
	a.export = p
	a.log.Debug("exporting spans", "exporters", len(o.Exporters), "service", jstrace.Tracing().Service)
}

// ExportStats returns the counts of the agent's span export (see
// Options.Export): zero if it exports nothing.
func (a *Agent) ExportStats() export.Stats {
	if a.export == nil {
		return export.Stats{}
	}
	return a.export.Stats()
}

// shutdownExport flushes and stops the span export within ctx.
func (a *Agent) shutdownExport(ctx context.Context) error {
	if a.export == nil {
		return nil
	}
	if err := a.export.Shutdown(ctx); err != nil {
		return fmt.Errorf("jstrace agent: span export: %w", err)
	}
	return nil
}
