package agent_test

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jstrace-go/jstrace/agent"
)

func ExampleListen() {
	a, err := agent.Listen(agent.Options{
		Title:       "checkout",
		NoDiscovery: true, // reached with jstrace --agents only
		Logger:      slog.New(slog.DiscardHandler),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer a.Close()
	fmt.Println(a.Title(), a.Sessions())
	// Output: checkout 0
}

// On SIGTERM, a service gives attached sessions a few seconds to end
// normally (their CLIs get the end, their scripts' cleanup runs); a stuck
// script cannot hold the exit past the deadline.
func ExampleAgent_Shutdown() {
	a, err := agent.Listen(agent.Options{NoDiscovery: true, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer a.Close() // on early returns; a no-op after Shutdown
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	fmt.Println(a.Shutdown(ctx), a.Sessions())
	// Output: <nil> 0
}
