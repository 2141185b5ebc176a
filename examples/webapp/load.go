package main

import (
	"context"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/jstrace-go/jstrace/jstracehttp"
)

// generate sends rps requests per second to base until ctx ends, through a
// traced Transport: mostly users read (some cached, some missing), some
// created, a few slow, failing, panicking or unauthorised.
func generate(ctx context.Context, base string, rps float64) {
	client := &http.Client{Timeout: 5 * time.Second, Transport: jstracehttp.Transport(nil)}
	tick := time.NewTicker(time.Duration(float64(time.Second) / rps))
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		go func() {
			method, path, body := "GET", "/users/"+strconv.Itoa(1+rand.IntN(130)), ""
			switch p := rand.IntN(100); {
			case p < 10:
				method, path, body = "POST", "/users", `{"name":"new-`+strconv.Itoa(rand.IntN(1e6))+`"}`
			case p < 15:
				path = "/slow"
			case p < 20:
				path = "/fail"
			case p < 23:
				path = "/panic"
			}
			req, err := http.NewRequestWithContext(ctx, method, base+path, strings.NewReader(body))
			if err != nil {
				return
			}
			if rand.IntN(100) >= 3 {
				req.Header.Set("Authorization", "Bearer demo")
			}
			resp, err := client.Do(req)
			if err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}()
	}
}
