// Package bench is jstrace's benchmark suite: jstrace's probes, transport,
// scripts and attach latency, measured in the same run as the peers a Go
// user would otherwise reach for (OpenTelemetry, log/slog, zerolog). It is
// a module of its own so that the peers never become dependencies of
// jstrace. Run it with make bench from the repository root;
// bench/README.md gives the figures and how they were measured.
package bench
