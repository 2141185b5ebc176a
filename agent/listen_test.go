package agent_test

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jstrace-go/jstrace/agent"
	"github.com/jstrace-go/jstrace/internal/client"
	"github.com/jstrace-go/jstrace/internal/discovery"
	"github.com/jstrace-go/jstrace/internal/testcerts"
)

func TestExposedAddressNeedsAuthentication(t *testing.T) {
	_, err := agent.Listen(agent.Options{Addr: "0.0.0.0:0", Logger: quiet, NoDiscovery: true})
	if err == nil || !strings.Contains(err.Error(), "refusing to listen beyond loopback") {
		t.Fatalf("Listen on 0.0.0.0 without a token: %v", err)
	}
	for _, o := range []agent.Options{{Token: "t"}, {Insecure: true}} {
		o.Addr, o.Logger, o.NoDiscovery = "0.0.0.0:0", quiet, true
		a, err := agent.Listen(o)
		if err != nil {
			t.Fatalf("%+v: %v", o, err)
		}
		a.Close()
	}
}

func TestUnixSocket(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "agent.sock")
	runDir := filepath.Join(dir, "run")
	a := start(t, agent.Options{Addr: "unix:" + path, RunDir: runDir})
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("socket mode %v, %v", fi.Mode(), err)
	}
	entries, _ := discovery.List(runDir)
	if len(entries) != 1 || entries[0].Addr != "unix:"+path {
		t.Fatalf("entries %+v", entries)
	}
	// No secret, no token: the kernel vouches for the peer (SO_PEERCRED).
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, "unix:"+path, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	a.Close()
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("socket left after Close: %v", err)
	}
}

func TestTLSClientCertificates(t *testing.T) {
	cs := testcerts.New()
	a := start(t, agent.Options{
		Addr:        "0.0.0.0:0", // allowed: client certificates authenticate
		NoDiscovery: true,
		TLS: &tls.Config{
			Certificates: []tls.Certificate{cs.Server},
			ClientCAs:    cs.Pool, ClientAuth: tls.RequireAndVerifyClientCert,
		},
	})
	_, port, _ := net.SplitHostPort(a.Addr().String())
	addr := net.JoinHostPort("127.0.0.1", port)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, addr, client.Options{TLS: &tls.Config{RootCAs: cs.Pool, Certificates: []tls.Certificate{cs.Client}}})
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if _, err := client.Dial(ctx, addr, client.Options{TLS: &tls.Config{RootCAs: cs.Pool}}); err == nil {
		t.Fatal("a CLI without a client certificate got in")
	}
	if _, err := client.Dial(ctx, addr, client.Options{}); err == nil {
		t.Fatal("a plain-TCP CLI got in")
	}
}
