package agent_test

import (
	"fmt"
	"log/slog"

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
