package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// A store's password, in $JSTRACE_STORE or --store, never shows: not in
// help, usage errors, or the errors of a store that fails.
func TestStorePasswordNeverShown(t *testing.T) {
	t.Setenv(EnvStore, "redis://jstrace:env-0451@127.0.0.1:1/0")
	for _, args := range [][]string{
		{"trace", "--help"}, {"slow", "--help"}, {"errors", "--help"}, {"recent", "--help"}, {"help", "trace"},
		{"slow", "--no-such-flag"}, {"errors", "--day", "x"}, {"trace"},
		{"slow"}, {"trace", checkoutID},
		{"recent", "--store", "redis://:flag-0451@127.0.0.1:1"},
		{"recent", "--store", "redis://:flag-0451@[::1"}, // unparsable
	} {
		var stdout, stderr bytes.Buffer
		Run(context.Background(), args, &stdout, &stderr)
		got := stdout.String() + stderr.String()
		if got == "" {
			t.Errorf("%q printed nothing", args)
		}
		if strings.Contains(got, "0451") {
			t.Errorf("%q shows the password:\n%s", args, got)
		}
	}
}
