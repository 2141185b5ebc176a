package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"
)

func freeAddr() string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "127.0.0.1:6060"
	}
	defer ln.Close()
	return ln.Addr().String()
}

// profileOnce starts a CPU profile of svc over most of a run of length d,
// unless svc serves no profiles or file exists, and returns a function that
// waits for it.
func profileOnce(svc *service, file string, d time.Duration) (wait func()) {
	if svc.pprof == "" {
		return func() {}
	}
	if _, err := os.Stat(file); err == nil {
		return func() {}
	}
	os.MkdirAll(filepath.Dir(file), 0o755)
	os.WriteFile(file, nil, 0o644) // claim it
	done := make(chan struct{})
	go func() {
		defer close(done)
		secs := max(1, int(d.Seconds())-1)
		resp, err := http.Get(fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", svc.pprof, secs))
		if err != nil {
			fmt.Fprintln(os.Stderr, "profile:", err)
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		os.WriteFile(file, b, 0o644)
	}()
	return func() { <-done }
}
