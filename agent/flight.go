package agent

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/jstrace-go/jstrace"
	"github.com/jstrace-go/jstrace/internal/match"
	"github.com/jstrace-go/jstrace/internal/protocol"
)

// EnvFlight configures the flight recorder (Options.Flight):
// "SIZE:GLOB[,GLOB...]", SIZE an integer followed by KiB, MiB or GiB, for
// example JSTRACE_FLIGHT="8MiB:request:*,db:*"; "off" turns it off, and
// an empty value is unset (Options.Flight applies).
const EnvFlight = "JSTRACE_FLIGHT"

// Bounds of a flight recorder's size.
const (
	MinFlightSize = jstrace.MinFlightSize  // 64 KiB
	MaxFlightSize = protocol.MaxFlightSize // 1 GiB
)

// Flight configures the agent's flight recorder: the most recent events of
// chosen probes, kept in memory whether or not a CLI is attached, which
// `jstrace dump` fetches (see jstrace.SubscribeFlight). The goroutine that
// fires a probe writes its event there, at the cost of an enabled probe;
// nothing reads it until a dump, and nothing runs in the background. Its
// zero value is off.
type Flight struct {
	// Size is the recorder's memory in bytes, from MinFlightSize (64 KiB)
	// to MaxFlightSize (1 GiB): the newest events that fit are kept, the
	// oldest overwritten. Default: 0, no recorder.
	Size int
	// Probes are the patterns of the probes recorded, as in scripts
	// ("request:*", "db:{query,exec}"). At least one is required with a
	// Size. Default: none.
	Probes []string
}

// ParseFlight parses the value of $JSTRACE_FLIGHT: "SIZE:GLOB[,GLOB...]"
// (commas inside braces belong to the glob), or "off".
func ParseFlight(v string) (Flight, error) {
	if v == "off" {
		return Flight{}, nil
	}
	size, globs, ok := strings.Cut(v, ":")
	if !ok {
		return Flight{}, fmt.Errorf("%s=%q: want SIZE:PROBES, as in 8MiB:request:*,db:*", EnvFlight, v)
	}
	n, err := parseSize(size)
	if err != nil {
		return Flight{}, fmt.Errorf("%s=%q: %w", EnvFlight, v, err)
	}
	f := Flight{Size: n, Probes: splitGlobs(globs)}
	if err := f.check(); err != nil {
		return Flight{}, fmt.Errorf("%s=%q: %w", EnvFlight, v, err)
	}
	return f, nil
}

// parseSize parses an integer followed by KiB, MiB or GiB.
func parseSize(s string) (int, error) {
	for unit, shift := range map[string]uint{"KiB": 10, "MiB": 20, "GiB": 30} {
		if num, ok := strings.CutSuffix(s, unit); ok {
			n, err := strconv.ParseUint(num, 10, 32)
			if err != nil || n == 0 || n<<shift > MaxFlightSize {
				break
			}
			return int(n << shift), nil
		}
	}
	return 0, fmt.Errorf("size %q: want a whole number of KiB, MiB or GiB, from 64KiB to 1GiB", s)
}

// splitGlobs splits at the commas outside braces.
func splitGlobs(s string) []string {
	var out []string
	depth, start := 0, 0
	for i, c := range s {
		switch c {
		case '{':
			depth++
		case '}':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

// check validates a Flight that is on.
func (f Flight) check() error {
	if f.Size == 0 && len(f.Probes) == 0 {
		return nil
	}
	if f.Size < MinFlightSize || f.Size > MaxFlightSize {
		return fmt.Errorf("flight recorder of %d bytes: want 64 KiB to 1 GiB", f.Size)
	}
	if len(f.Probes) == 0 {
		return fmt.Errorf("flight recorder with no probes: name them, as in 8MiB:request:*")
	}
	for _, p := range f.Probes {
		if p == "" {
			return fmt.Errorf("flight recorder: an empty probe pattern")
		}
	}
	if _, err := match.Compile(f.Probes...); err != nil {
		return fmt.Errorf("flight recorder: %w", err)
	}
	return nil
}

// startFlight starts the recorder Options.Flight asks for; nil if off.
func startFlight(f Flight) *jstrace.Subscription {
	if f.Size == 0 {
		return nil
	}
	set, _ := match.Compile(f.Probes...) // checked by resolve
	return jstrace.SubscribeFlight(set.Match, f.Size)
}
