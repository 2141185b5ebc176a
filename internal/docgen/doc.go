// Package docgen keeps the parts of jstrace's Markdown documentation that
// restate code in step with that code, so that each fact has one source:
//
//   - the README's quick starts are the files under examples/quickstart and
//     examples/scripts/quickstart.go, which the build compiles and vets;
//   - the import allowlist of scripts is the sandbox's symbol table
//     ([sandbox.Allowed]);
//   - the exit codes of jstrace are cli.ExitCodes (internal/cli/exit.go),
//     with their meanings;
//   - the agent's limits and totals in SECURITY.md are the fields of
//     agent.Limits and agent.Totals, with the "Default:" their docs state.
//
// A generated part of a Markdown file sits between two comments:
//
//	<!-- docgen:NAME -->
//	…
//	<!-- /docgen -->
//
// where NAME is "allowlist", "exit-codes", "options:TYPE" (an agent struct
// type), or "file:PATH" (PATH relative to
// the repository's root, shown as a fenced code block). Run make updatedocs
// (go generate ./internal/docgen) after changing a source; TestUpToDate
// fails while a generated part is stale.
package docgen

//go:generate go run ./updatedocs
