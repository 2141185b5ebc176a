package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"
)

// result is one checkout as the load generator saw it.
type result struct {
	status  int
	outcome string
	took    time.Duration
	trace   string // the response's X-Trace-ID
}

// generate sends c.rps checkouts a second to the gateway, c.n of them (or
// until ctx ends), printing a line per response unless c.quiet, then a
// summary naming the slowest request's trace. It is the edge: a plain
// client, so every trace starts at the gateway.
func generate(ctx context.Context, c config) error {
	client := &http.Client{Timeout: 10 * time.Second}
	url := strings.TrimSuffix(c.gateway, "/") + "/checkout"
	tick := time.NewTicker(time.Duration(float64(time.Second) / c.rps))
	defer tick.Stop()
	var (
		mu      sync.Mutex
		results []result
		wg      sync.WaitGroup
	)
	for sent := 0; c.n == 0 || sent < c.n; sent++ {
		select {
		case <-ctx.Done():
			wg.Wait()
			return summarize(results)
		case <-tick.C:
		}
		wg.Go(func() {
			r := checkout(ctx, client, url)
			if r.status == 0 {
				return
			}
			mu.Lock()
			defer mu.Unlock()
			if !c.quiet {
				fmt.Printf("%d %-18s %8v  trace %s\n", r.status, r.outcome, r.took.Round(time.Millisecond), r.trace)
			}
			if len(results) < 1e5 {
				results = append(results, r)
			}
		})
	}
	wg.Wait()
	return summarize(results)
}

// checkout sends one random cart.
func checkout(ctx context.Context, client *http.Client, url string) result {
	c := cart{Item: catalogue[rand.IntN(len(catalogue))].item, Qty: 1 + rand.IntN(3)}
	start := time.Now()
	var rc receipt
	status, h, err := postJSON(ctx, client, url, c, &rc)
	r := result{status: status, outcome: rc.Status, took: time.Since(start)}
	if err != nil && status == 0 {
		if ctx.Err() == nil {
			fmt.Printf("checkout: %v\n", err)
		}
		return result{}
	}
	// The gateway's response carries the trace ID, for a user to quote.
	r.trace = h.Get("X-Trace-ID")
	return r
}

// summarize prints the count of each outcome and the slowest request.
func summarize(results []result) error {
	if len(results) == 0 {
		return nil
	}
	outcomes := map[string]int{}
	slowest := results[0]
	for _, r := range results {
		outcomes[fmt.Sprintf("%d %s", r.status, r.outcome)]++
		if r.took > slowest.took {
			slowest = r
		}
	}
	keys := make([]string, 0, len(outcomes))
	for k := range outcomes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	fmt.Printf("%d checkouts:", len(results))
	for _, k := range keys {
		fmt.Printf("  %s ×%d", k, outcomes[k])
	}
	fmt.Printf("\nslowest: %v, trace %s\n", slowest.took.Round(time.Millisecond), slowest.trace)
	return nil
}
