package export_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/jstrace-go/jstrace"
	"github.com/jstrace-go/jstrace/export"
)

func TestParseSampler(t *testing.T) {
	tests := []struct {
		in, want string // want: the sampler's String, or "error: " and a part of the error
	}{
		{"always", "AlwaysSample"},
		{" Always ", "AlwaysSample"},
		{"never", "NeverSample"},
		{"0.25", "Probability(0.25)"},
		{"1", "AlwaysSample"},
		{"0", "NeverSample"},
		{"rate:0.2", "RateLimit(0.2)"},
		{"RATE: 5", "RateLimit(5)"},
		{"", "error: want always, never"},
		{"sometimes", "error: want always, never"},
		{"1.5", "error: a probability must be from 0 to 1"},
		{"-0.1", "error: a probability must be from 0 to 1"},
		{"NaN", "error: a probability must be from 0 to 1"},
		{"rate:", "error: a rate must be a positive number"},
		{"rate:0", "error: a rate must be a positive number"},
		{"rate:-1", "error: a rate must be a positive number"},
		{"rate:inf", "error: a rate must be a positive number"},
		{"rate:x", "error: a rate must be a positive number"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			s, err := export.ParseSampler(tt.in)
			if want, ok := strings.CutPrefix(tt.want, "error: "); ok {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("ParseSampler(%q) = %v, %v; want an error with %q", tt.in, s, err, want)
				}
				return
			}
			if err != nil || fmt.Sprint(s) != tt.want {
				t.Errorf("ParseSampler(%q) = %v, %v; want %s", tt.in, s, err, tt.want)
			}
		})
	}
}

func TestSamplerFromEnv(t *testing.T) {
	t.Setenv(export.EnvSampler, "")
	if s, err := export.SamplerFromEnv(); s != nil || err != nil {
		t.Errorf("unset: %v, %v", s, err)
	}
	t.Setenv(export.EnvSampler, "rate:2")
	if s, err := export.SamplerFromEnv(); fmt.Sprint(s) != "RateLimit(2)" || err != nil {
		t.Errorf("rate:2: %v, %v", s, err)
	}
	t.Setenv(export.EnvSampler, "half")
	if _, err := export.SamplerFromEnv(); err == nil || !strings.HasPrefix(err.Error(), "JSTRACE_SAMPLER: export: sampler:") {
		t.Errorf("half: %v", err)
	}
}

type nopExporter struct{ name string }

func (nopExporter) ExportSpans(context.Context, []*jstrace.SpanData) error { return nil }
func (nopExporter) Shutdown(context.Context) error                         { return nil }

func init() {
	export.Register("test-nop", func() (export.Exporter, error) { return nopExporter{"nop"}, nil })
	export.Register("test-broken", func() (export.Exporter, error) { return nil, fmt.Errorf("no endpoint") })
	export.Register("test-panics", func() (export.Exporter, error) { panic("oops") })
}

func TestNamed(t *testing.T) {
	tests := []struct {
		env   string
		n     int
		errs  []string
		noErr bool
	}{
		{env: "", n: 0, noErr: true},
		{env: " , ", n: 0, noErr: true},
		{env: "console", n: 1, noErr: true},
		{env: "console, Event,test-nop,console", n: 3, noErr: true},
		{env: "otlp", errs: []string{`exporter "otlp" is not linked into this program: import _ "github.com/jstrace-go/jstrace/otel"`}},
		{env: "console,zipkin", n: 1, errs: []string{`"zipkin" is not linked`}},
		{env: "jaeger,event", n: 1, errs: []string{`unknown exporter "jaeger" (registered: collector, console, event, test-broken`, `otlp and zipkin need import _`}},
		{env: "test-broken,test-panics,test-nop", n: 1, errs: []string{`exporter "test-broken": no endpoint`, `exporter "test-panics": constructor panicked`}},
	}
	for _, tt := range tests {
		t.Run(tt.env, func(t *testing.T) {
			t.Setenv(export.EnvExporters, tt.env)
			exps, err := export.FromEnv()
			if len(exps) != tt.n {
				t.Errorf("%d exporters, want %d", len(exps), tt.n)
			}
			if tt.noErr != (err == nil) {
				t.Fatalf("err %v", err)
			}
			for _, want := range tt.errs {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q lacks %q", err, want)
				}
			}
			if err != nil && !strings.HasPrefix(err.Error(), "JSTRACE_EXPORTERS: export: ") {
				t.Errorf("error %q does not name the variable", err)
			}
		})
	}
}

func TestRegisterPanics(t *testing.T) {
	f := func() (export.Exporter, error) { return nopExporter{}, nil }
	for _, tt := range []struct {
		name string
		f    func() (export.Exporter, error)
	}{{"console", f}, {"", f}, {"Upper", f}, {"a,b", f}, {"nil-func", nil}} {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("Register(%q) did not panic", tt.name)
				}
			}()
			export.Register(tt.name, tt.f)
		})
	}
}

// ParseSampler takes any text: a sampler or an error, never a panic.
func FuzzParseSampler(f *testing.F) {
	for _, s := range []string{"always", "never", "0.25", "rate:0.2", "rate:1e400", "0x1p-2", "+Inf", "rate:NaN"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		smp, err := export.ParseSampler(s)
		if (smp == nil) == (err == nil) {
			t.Fatalf("ParseSampler(%q) = %v, %v", s, smp, err)
		}
		if smp != nil {
			smp.ShouldSample(jstrace.TraceID{1}, "op")
		}
	})
}
