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
		{"vet", "--help"}, {"help", "vet"}, {"vet"}, {"vet", "--token", "x", "s.go"},
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

// The environment still applies after parsing, to every command that
// connects, and a flag given on the command line wins over it.
func TestEnvironmentAfterParsing(t *testing.T) {
	t.Setenv(EnvToken, "from-env")
	t.Setenv(EnvAgents, "a:1, b:2")
	t.Setenv(EnvTLSKey, "env.key")
	for _, tt := range []struct {
		args               []string
		token, agents, key string
	}{
		{nil, "from-env", "a:1,b:2", "env.key"},
		{[]string{"--token", "from-flag", "--agents", "c:3", "--tls-key", "flag.key"}, "from-flag", "c:3", "flag.key"},
	} {
		ls, _ := parse(t, NewCmdLs, tt.args...)
		trace, _ := parse(t, NewCmdTrace, append(tt.args, "s.go")...)
		for _, got := range []*ConnectOptions{&ls.ConnectOptions, &trace.ConnectOptions} {
			if got.Token != tt.token || strings.Join(got.Agents, ",") != tt.agents || got.TLSKey != tt.key {
				t.Errorf("%q: token %q agents %q key %q, want %q %q %q", tt.args, got.Token, got.Agents, got.TLSKey, tt.token, tt.agents, tt.key)
			}
		}
	}
}
