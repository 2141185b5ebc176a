package cli

import (
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/jstrace-go/jstrace/internal/discovery"
)

// addCompletion gives root cobra's `completion` command (bash, zsh, fish,
// powershell) and completes what can be known without a network: script
// files, and -p, -t and -H from the agents of the local run directory
// (never those of --agents, which would need connections).
func addCompletion(root *cobra.Command) {
	root.CompletionOptions.HiddenDefaultCmd = false
	root.ValidArgsFunction = func(_ *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return []string{"go"}, cobra.ShellCompDirectiveFilterFileExt
	}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for flag, field := range map[string]func(discovery.Entry) string{
			"pid":   func(e discovery.Entry) string { return strconv.Itoa(e.PID) + "\t" + e.Title + " on " + e.Hostname },
			"title": func(e discovery.Entry) string { return e.Title },
			"host":  func(e discovery.Entry) string { return e.Hostname },
		} {
			if c.Flags().Lookup(flag) != nil {
				c.RegisterFlagCompletionFunc(flag, localAgents(field))
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

// localAgents completes a flag with a field of each local agent's entry,
// each value once, in order.
func localAgents(field func(discovery.Entry) string) cobra.CompletionFunc {
	return func(_ *cobra.Command, _ []string, prefix string) ([]cobra.Completion, cobra.ShellCompDirective) {
		entries, _ := discovery.List(discovery.Dir(""))
		var out []string
		for _, e := range entries {
			if v := field(e); strings.HasPrefix(v, prefix) && !slices.Contains(out, v) {
				out = append(out, v)
			}
		}
		slices.Sort(out)
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}
