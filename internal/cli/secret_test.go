package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// No value of the CLI's environment may appear in any command's help or
// usage errors: a token (or a key's path) there lands in scrollback and bug
// reports (issue 11).
func TestEnvironmentNeverShown(t *testing.T) {
	envs := map[string]string{
		EnvToken:   "tok-s3cret-0451",
		EnvTLSCA:   "/secret/ca-0451.pem",
		EnvTLSCert: "/secret/cert-0451.pem",
		EnvTLSKey:  "/secret/key-0451.pem",
		EnvAgents:  "secret-host-0451:7070",
	}
	for k, v := range envs {
		t.Setenv(k, v)
	}
	for _, args := range [][]string{
		{"--help"}, {"ls", "--help"}, {"help"}, {"help", "ls"},
		{"--no-such-flag"}, {"ls", "--no-such-flag"}, {"ls", "extra"}, {},
	} {
		var stdout, stderr bytes.Buffer
		Run(context.Background(), args, &stdout, &stderr)
		got := stdout.String() + stderr.String()
		if got == "" {
			t.Errorf("%q printed nothing", args)
		}
		for k, v := range envs {
			if strings.Contains(got, v) || strings.Contains(got, "0451") {
				t.Errorf("%q shows %s:\n%s", args, k, got)
			}
		}
	}
}

// The environment still applies after parsing, and a flag given on the
// command line wins over it.
func TestEnvironmentAfterParsing(t *testing.T) {
	t.Setenv(EnvToken, "from-env")
	t.Setenv(EnvAgents, "a:1, b:2")
	for _, tt := range []struct {
		args          []string
		token, agents string
	}{
		{nil, "from-env", "a:1,b:2"},
		{[]string{"--token", "from-flag", "--agents", "c:3"}, "from-flag", "c:3"},
	} {
		var got *LsOptions
		cmd := NewCmdLs(&output{}, func(_ context.Context, o *LsOptions) error { got = o; return nil })
		cmd.SetArgs(tt.args)
		if err := cmd.Execute(); err != nil {
			t.Fatal(err)
		}
		if got.Token != tt.token || strings.Join(got.Agents, ",") != tt.agents {
			t.Errorf("%q: token %q agents %q, want %q %q", tt.args, got.Token, got.Agents, tt.token, tt.agents)
		}
	}
}
