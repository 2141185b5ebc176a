package cli

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/jstrace-go/jstrace/internal/discovery"
	"github.com/jstrace-go/jstrace/internal/match"
	"github.com/jstrace-go/jstrace/internal/protocol"
)

// A selector decides which agents a command talks to: -p, -t and -H
// filter the agents found either in the local run directory or at the
// --agents addresses.
type selector struct {
	pid    int
	title  *match.Set // nil: any
	host   *match.Set // nil: any
	agents []string   // host:port; empty: local discovery
	runDir string
	// lister lists runDir, reading only new or changed files on the
	// rescans, and listed is what it found last (for noMatch's message);
	// both guarded by listing.
	lister  *discovery.Lister
	listed  []discovery.Entry
	listing sync.Mutex
	// lookupHost resolves the names of --agents: the system's resolver,
	// or a test's.
	lookupHost func(ctx context.Context, host string) ([]string, error)
}

// candidate is an address to try, with what discovery already knows.
type candidate struct {
	addr  string
	entry *discovery.Entry // nil for --agents addresses
}

func newSelector(pid int, title, host string, agents []string) (*selector, error) {
	s := &selector{pid: pid, agents: agents, runDir: discovery.Dir(""), lookupHost: net.DefaultResolver.LookupHost}
	var err error
	if title != "" {
		if s.title, err = match.Compile(title); err != nil {
			return nil, withCode(ExitUsage, fmt.Errorf("-t: %w", err))
		}
	}
	if host != "" {
		if s.host, err = match.Compile(host); err != nil {
			return nil, withCode(ExitUsage, fmt.Errorf("-H: %w", err))
		}
	}
	for _, a := range agents {
		if strings.HasPrefix(a, "unix:") {
			continue
		}
		if _, _, err := net.SplitHostPort(a); err != nil {
			return nil, withCode(ExitUsage, fmt.Errorf("--agents: %q is not host:port or unix:path", a))
		}
	}
	return s, nil
}

// matches applies the filters to what an agent says of itself.
func (s *selector) matches(pid int, title, host string) bool {
	return (s.pid == 0 || s.pid == pid) &&
		(s.title == nil || s.title.Match(title)) &&
		(s.host == nil || s.host.Match(host))
}

func (s *selector) matchesWelcome(w *protocol.Welcome) bool {
	return s.matches(w.PID, w.Title, w.Hostname)
}

// canGrow reports whether agents that start later may match: not when the
// selection is one pid of this machine.
func (s *selector) canGrow() bool { return s.pid == 0 || len(s.agents) > 0 }

// candidates lists the addresses to try. Local entries are filtered here
// already; --agents addresses are filtered after the handshake. A DNS name
// expands to all its addresses, so a Kubernetes headless service reaches
// every pod.
func (s *selector) candidates(ctx context.Context) ([]candidate, error) {
	if len(s.agents) == 0 {
		s.listing.Lock()
		if s.lister == nil {
			s.lister = &discovery.Lister{Dir: s.runDir}
		}
		entries, err := s.lister.List()
		s.listed = entries
		s.listing.Unlock()
		if err != nil {
			return nil, err
		}
		var cs []candidate
		for i := range entries {
			e := &entries[i]
			if s.matches(e.PID, e.Title, e.Hostname) {
				cs = append(cs, candidate{addr: e.Addr, entry: e})
			}
		}
		return cs, nil
	}
	var cs []candidate
	var errs []string
	for _, a := range s.agents {
		host, port, _ := net.SplitHostPort(a)
		if strings.HasPrefix(a, "unix:") || net.ParseIP(host) != nil {
			cs = append(cs, candidate{addr: a})
			continue
		}
		ips, err := s.lookupHost(ctx, host)
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		slices.Sort(ips)
		for _, ip := range ips {
			cs = append(cs, candidate{addr: net.JoinHostPort(ip, port)})
		}
	}
	if len(cs) == 0 && len(errs) > 0 {
		return nil, fmt.Errorf("resolve --agents: %s", strings.Join(errs, "; "))
	}
	return cs, nil
}

// lastListed returns the entries the last local discovery found.
func (s *selector) lastListed() []discovery.Entry {
	s.listing.Lock()
	defer s.listing.Unlock()
	return s.listed
}

// describe says what was searched, for messages.
func (s *selector) describe() string {
	var parts []string
	if s.pid != 0 {
		parts = append(parts, "pid "+strconv.Itoa(s.pid))
	}
	if s.title != nil {
		parts = append(parts, fmt.Sprintf("title %q", s.title.Patterns()[0]))
	}
	if s.host != nil {
		parts = append(parts, fmt.Sprintf("host %q", s.host.Patterns()[0]))
	}
	what := "any agent"
	if len(parts) > 0 {
		what = "agents with " + strings.Join(parts, ", ")
	}
	if len(s.agents) > 0 {
		return what + " at " + strings.Join(s.agents, ", ")
	}
	return what + " in " + s.runDir
}
