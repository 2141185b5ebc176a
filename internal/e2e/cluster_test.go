package e2e

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jstrace-go/jstrace/internal/protocol"
)

var (
	routeLine  = regexp.MustCompile(`^(/\S*) +(\d+) +(\S+)$`)    // a row of the routes' table
	statusLine = regexp.MustCompile(`^ *(\d+) \| =* *\| (\d+)$`) // a bar of the statuses'
	otherLine  = regexp.MustCompile(`^(ROUTE +REQUESTS +P99)?$`) // the table's header, blank lines between frames
)

// The cluster example: three service processes ship their groups every
// second and one script prints the cluster-wide p99 of the busiest routes
// and a histogram of statuses. The requests it counts are more than any
// one process served: the groups of every process were merged.
func TestClusterExample(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const services = 3
	for i := range services {
		e.start("api", fmt.Sprintf("web-%d", i+1))
	}
	const session = 3500 * time.Millisecond
	r := e.jstrace("-t", "api", "--duration", session.String(), "examples/scripts/cluster-p99.go")
	if r.code != 0 {
		t.Fatalf("exit %d\nstderr:\n%s\nstdout:\n%s", r.code, r.stderr, r.stdout)
	}
	statuses, routes := map[string]int{}, map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		if m := routeLine.FindStringSubmatch(line); m != nil {
			n, _ := strconv.Atoi(m[2])
			p99, err := time.ParseDuration(m[3])
			if err != nil || n <= 0 || p99 <= 0 || p99 > 5*time.Second {
				t.Fatalf("bad route line %q", line)
			}
			routes[m[1]] = true
			continue
		}
		if m := statusLine.FindStringSubmatch(line); m != nil {
			n, _ := strconv.Atoi(m[2])
			statuses[m[1]] += n
			continue
		}
		if !otherLine.MatchString(line) {
			t.Fatalf("unexpected line %q\n%s", line, r.stdout)
		}
	}
	requests := 0
	for _, n := range statuses {
		requests += n
	}
	// Each service sends itself 100 requests a second (see start): one
	// alone could not serve this many in the session.
	if one := int(100 * session.Seconds() * 1.3); requests <= one {
		t.Errorf("%d requests counted: no more than one process serves (%d)\n%s", requests, one, r.stdout)
	}
	if statuses["200"] == 0 || statuses["500"] == 0 || !routes["/"] {
		t.Errorf("statuses %v, routes %v\n%s", statuses, routes, r.stdout)
	}
}

// An agent that predates shipped aggregations refuses the cluster example
// as its type checker does; the CLI says why, and exits with the script
// code.
func TestClusterExampleOnAnOldAgent(t *testing.T) {
	t.Parallel()
	old := startFakeAgent(t, protocol.Welcome{Title: "api"}, func(s *fakeSession) {
		if s.attach.Flags&protocol.AttachGroups == 0 {
			t.Errorf("the CLI did not say it reads shipped groups: flags %b", s.attach.Flags)
		}
		protocol.NewFrameWriter(s.ctl).Send(protocol.FrameError, &protocol.Error{Code: protocol.CodeScript,
			Message: "cluster-p99.go:23:9: traces.Ship undefined (type *script.Traces has no field or method Ship)"})
		s.hold()
	})
	e := newEnv(t)
	r := e.jstrace("--agents", old.addr(), "--duration", "1s", "examples/scripts/cluster-p99.go")
	if r.code != 4 || !strings.Contains(r.stderr, "the agent (jstrace v9.9.9) predates shipped aggregations (traces.Ship, traces.Merged): upgrade it") {
		t.Fatalf("exit %d\nstderr:\n%s", r.code, r.stderr)
	}
}
