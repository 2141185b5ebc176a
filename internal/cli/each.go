package cli

import (
	"context"
	"sync"

	"github.com/jstrace-go/jstrace/internal/client"
)

// eachAgent dials every candidate of the selection at once and calls fn,
// concurrently, with the connection of each agent that matches it (fn
// closes nothing: eachAgent closes the connection when fn returns). It
// reports dial failures on out and returns how many agents matched; none
// is an error with ExitConnect if some candidate could not be connected
// (it might have matched: unreachable, token, TLS, version), else with
// ExitNoAgents.
func eachAgent(ctx context.Context, out *output, opts *ConnectOptions, fn func(*client.Conn)) (int, error) {
	sel, err := opts.selector()
	if err != nil {
		return 0, err
	}
	cands, err := sel.candidates(ctx)
	if err != nil {
		return 0, withCode(ExitConnect, err)
	}
	tlsConf, err := opts.tlsConfig()
	if err != nil {
		return 0, err
	}
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		n      int
		failed int
	)
	for _, c := range cands {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dctx, cancel := context.WithTimeout(ctx, dialTimeout)
			defer cancel()
			conn, err := client.Dial(dctx, c.addr, opts.dialOptions(tlsConf, c))
			if err != nil {
				out.errorf("%v", err)
				mu.Lock()
				failed++
				mu.Unlock()
				return
			}
			defer conn.Close()
			if !sel.matchesWelcome(&conn.Welcome) {
				return
			}
			mu.Lock()
			n++
			mu.Unlock()
			fn(conn)
		}()
	}
	wg.Wait()
	if n == 0 && failed > 0 {
		return 0, exitf(ExitConnect, "no agent could be connected: %d of %d failed, searched %s", failed, len(cands), sel.describe())
	}
	if n == 0 {
		return 0, exitf(ExitNoAgents, "no agent matches: searched %s", sel.describe())
	}
	return n, nil
}
