//go:build race

package sandbox

// raceEnabled: the race detector slows the checker and the interpreter
// some tenfold, so time budgets are not asserted.
const raceEnabled = true
