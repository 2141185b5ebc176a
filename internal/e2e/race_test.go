//go:build race

package e2e

// raceEnabled makes the harness build the binaries with the race detector
// too, so races in the agent and the CLI show up under real use.
const raceEnabled = true
