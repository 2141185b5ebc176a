package cli

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/jstrace-go/jstrace/internal/protocol"
)

// lsRow is an agent jstrace ls found: its welcome and its address.
type lsRow struct {
	w    protocol.Welcome
	addr string
}

// lsAgent is the JSON object of an agent in jstrace ls --json.
type lsAgent struct {
	PID        int      `json:"pid"`
	Title      string   `json:"title"`
	Host       string   `json:"host"`
	Addr       string   `json:"addr"`
	Sessions   int      `json:"sessions"`
	Probes     int      `json:"probes"`
	Version    string   `json:"version"`
	ProbeNames []string `json:"probe_names,omitempty"` // with --probes
}

// lsJSON formats the agents as NDJSON, one object per agent, with the
// names of its probes if probes; control characters are escaped.
func lsJSON(rows []lsRow, probes bool) (string, error) {
	var b strings.Builder
	for _, r := range rows {
		a := lsAgent{
			PID: r.w.PID, Title: r.w.Title, Host: r.w.Hostname, Addr: r.addr,
			Sessions: r.w.Sessions, Probes: len(r.w.Probes), Version: r.w.Agent,
		}
		if probes {
			a.ProbeNames = r.w.Probes
		}
		line, err := json.Marshal(a)
		if err != nil {
			return "", fmt.Errorf("encode agent %d: %w", r.w.PID, err)
		}
		b.WriteString(escapeControls(string(line)))
		b.WriteByte('\n')
	}
	return b.String(), nil
}
