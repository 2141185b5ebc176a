// Package sandbox loads jstrace scripts into yaegi interpreters that can
// only reach an allowlisted set of packages.
//
// yaegi is not a security boundary by itself, so the sandbox is built here:
//   - [Check] inspects the source before yaegi sees it: its size, how deep
//     it nests and how many syntax nodes it has are capped (limits.go);
//     imports must be on the allowlist, and goroutines, channels and select
//     are refused, as are constructs yaegi mishandles (range over int, the
//     min/max/clear builtins); then go/types type-checks it against the
//     allowlist's real types (hosttypes.go, typecheck.go), which bounds
//     constants as the Go compiler does, and every type and value the
//     script can make is sized (sizes.go); what go/types itself does not
//     bound (constant strings, paths through nested types) is bounded
//     before it runs (constlen.go, typepaths.go); each problem with
//     its file:line:col;
//   - [Load] gives the interpreter symbol tables generated from that
//     allowlist (package symbols), never yaegi's whole stdlib table nor its
//     own symbols, an empty source file system, no environment, an empty
//     stdin, and stdout/stderr writers chosen by the caller;
//   - every make of a script, and of yaegi's generic package sources
//     (slices), is sized through guard.Len; the natives that recurse over a
//     script's values or allocate what a script's value says (fmt,
//     encoding/json, errors.Join, strings and bytes Join, Replace, Builder
//     and Buffer, regexp) are replaced by checked versions from package
//     guard (TestAllowlistInterfaceArgs keeps the list complete);
//   - after Kill, native code that calls back into the script (sort.Sort
//     calling Less) panics with halt.Halted on the interpreter's threads,
//     unwinding it (package halt);
//   - panics raised by yaegi on bad input are recovered into errors.
//
// Load does not bound how long a script's top-level code runs: callers run
// it on a goroutine of their own.
package sandbox
