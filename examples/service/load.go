package main

import (
	"bytes"
	"context"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"
)

type idKey struct{}

func withID(ctx context.Context, id int64) context.Context {
	return context.WithValue(ctx, idKey{}, id)
}

func idFrom(ctx context.Context) int64 {
	id, _ := ctx.Value(idKey{}).(int64)
	return id
}

// generate sends rps requests per second to base until ctx ends: mostly
// successes, some not found, some failures, some uploads.
func generate(ctx context.Context, base string, rps float64) {
	client := &http.Client{Timeout: 5 * time.Second}
	tick := time.NewTicker(time.Duration(float64(time.Second) / rps))
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		go func() {
			var req *http.Request
			switch p := rand.IntN(100); {
			case p < 50:
				req, _ = http.NewRequestWithContext(ctx, "GET", base+"/", nil)
			case p < 75:
				req, _ = http.NewRequestWithContext(ctx, "GET", base+"/users/"+strconv.Itoa(rand.IntN(130)), nil)
			case p < 85:
				req, _ = http.NewRequestWithContext(ctx, "GET", base+"/fail", nil)
			default:
				body := bytes.Repeat([]byte("x"), rand.IntN(64<<10))
				req, _ = http.NewRequestWithContext(ctx, "POST", base+"/upload", bytes.NewReader(body))
			}
			resp, err := client.Do(req)
			if err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}()
	}
}
