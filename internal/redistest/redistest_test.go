package redistest

import (
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestURL checks that the shared server answers, and that Start's server
// stops with its test.
func TestURL(t *testing.T) {
	if os.Getenv("REDISTEST_CHILD") != "" {
		URL(t) // run by TestWithoutServer
		return
	}
	for _, u := range []string{URL(t), URL(t)} {
		ping(t, u)
	}
	var url string
	t.Run("own", func(t *testing.T) {
		url = Start(t).URL
		ping(t, url)
	})
	o, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	if c, err := net.DialTimeout("tcp", o.Addr, time.Second); err == nil {
		c.Close()
		t.Errorf("the server of a finished test still listens on %s", o.Addr)
	}
}

func ping(t *testing.T, u string) {
	t.Helper()
	o, err := redis.ParseURL(u)
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(o)
	defer c.Close()
	if err := c.Ping(t.Context()).Err(); err != nil {
		t.Fatalf("ping %s: %v", u, err)
	}
}

// TestWithoutServer runs TestURL where redis-server is not on the PATH:
// it must fail under CI=true and skip, saying why, otherwise.
func TestWithoutServer(t *testing.T) {
	for _, ci := range []string{"true", ""} {
		t.Run("CI="+ci, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestURL$", "-test.v")
			cmd.Env = []string{"PATH=" + t.TempDir(), "REDISTEST_CHILD=1", "CI=" + ci, "HOME=" + os.Getenv("HOME")}
			out, err := cmd.CombinedOutput()
			if !strings.Contains(string(out), "redis-server is not installed") {
				t.Fatalf("output does not say why:\n%s", out)
			}
			if failed := err != nil; failed != (ci == "true") {
				t.Fatalf("CI=%q: exit %v, want failure %v:\n%s", ci, err, ci == "true", out)
			}
			if ci == "" && !strings.Contains(string(out), "--- SKIP") {
				t.Fatalf("not skipped:\n%s", out)
			}
		})
	}
}
