package jstracehttp_test

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/jstrace-go/jstrace"
	"github.com/jstrace-go/jstrace/jstracehttp"
)

// validID is the request ID rule as the issue states it.
var validID = regexp.MustCompile(`^[A-Za-z0-9\-_.:+/=]{1,128}$`)

func TestValidRequestID(t *testing.T) {
	for _, tc := range []struct {
		name, id string
		ok       bool
	}{
		{"uuid", "0b7e2f4c-6a55-4c63-9d1e-3f8a2c1d9e70", true},
		{"every symbol", "aZ09-_.:+/=", true},
		{"one char", "x", true},
		{"128 chars", strings.Repeat("a", 128), true},
		{"empty", "", false},
		{"129 chars", strings.Repeat("a", 129), false},
		{"huge", strings.Repeat("a", 1<<16), false},
		{"space", "a b", false},
		{"header injection", "abc\r\nSet-Cookie: x=1", false},
		{"newline", "abc\n", false},
		{"nul", "a\x00b", false},
		{"html", "<script>alert(1)</script>", false},
		{"non-ASCII", "é", false},
		{"invalid UTF-8", "\xff\xfe", false},
		{"comma list", "a,b", false},
		{"quote", `"a"`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := jstracehttp.ValidRequestID(tc.id); got != tc.ok {
				t.Errorf("ValidRequestID(%q) = %v, want %v", tc.id, got, tc.ok)
			}
		})
	}
}

// FuzzValidRequestID checks the validator against the rule's regular
// expression on any bytes.
func FuzzValidRequestID(f *testing.F) {
	for _, s := range []string{"", "abc", "a b", "\r\n", strings.Repeat("z", 128), strings.Repeat("z", 129), "é", "a=b+c/d:e.f_g-h"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		if got, want := jstracehttp.ValidRequestID(id), validID.MatchString(id); got != want {
			t.Fatalf("ValidRequestID(%q) = %v, the rule says %v", id, got, want)
		}
	})
}

func TestNewRequestID(t *testing.T) {
	seen := map[string]bool{}
	for range 10000 {
		id := jstracehttp.NewRequestID()
		if !jstracehttp.ValidRequestID(id) || len(id) != 26 {
			t.Fatalf("NewRequestID() = %q: not a valid 26-character ID", id)
		}
		if seen[id] {
			t.Fatalf("NewRequestID() repeated %q", id)
		}
		seen[id] = true
	}
}

// The middleware keeps a valid incoming ID and replaces anything else with
// a fresh one, never echoing the bad value; the handler's context carries
// the ID the response's header shows.
func TestMiddlewareRequestID(t *testing.T) {
	var ctxID string
	srv := serve(t, jstracehttp.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctxID = jstrace.RequestID(r.Context())
	})))
	for _, tc := range []struct {
		name string
		in   []string // incoming X-Request-ID values; nil: none
		keep bool
	}{
		{"none", nil, false},
		{"valid", []string{"req-42.a:b+c/d=="}, true},
		{"128 chars", []string{strings.Repeat("k", 128)}, true},
		{"empty", []string{""}, false},
		{"oversized", []string{strings.Repeat("k", 129)}, false},
		{"space", []string{"a b"}, false},
		{"html", []string{"<b>x</b>"}, false},
		{"non-ASCII", []string{"ïd"}, false},
		{"two values", []string{"a", "b"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var h http.Header
			if tc.in != nil {
				h = http.Header{"X-Request-Id": tc.in}
			}
			resp, _ := get(t, srv, "/", h)
			got := resp.Header.Values("X-Request-ID")
			if len(got) != 1 || !jstracehttp.ValidRequestID(got[0]) {
				t.Fatalf("response X-Request-ID %q: want one valid ID", got)
			}
			if got[0] != ctxID {
				t.Errorf("response ID %q, context ID %q", got[0], ctxID)
			}
			switch {
			case tc.keep && got[0] != tc.in[0]:
				t.Errorf("valid incoming ID %q replaced by %q", tc.in[0], got[0])
			case !tc.keep && tc.in != nil && got[0] == tc.in[0]:
				t.Errorf("bad incoming ID %q echoed", tc.in[0])
			}
		})
	}
}

func TestNewMiddlewareOptions(t *testing.T) {
	echo := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(jstrace.RequestID(r.Context())))
	})
	for _, tc := range []struct {
		name   string
		o      jstracehttp.Options
		header string // request and response header
		in     string
		want   string // "" for a fresh NewRequestID-shaped ID
	}{
		{"custom header kept", jstracehttp.Options{Header: "x-correlation-id"}, "X-Correlation-Id", "abc", "abc"},
		{"ignore incoming", jstracehttp.Options{IgnoreIncoming: true}, "X-Request-Id", "abc", ""},
		{"custom generator", jstracehttp.Options{NewID: func() string { return "gen-1" }}, "X-Request-Id", "", "gen-1"},
		{"bad generator replaced", jstracehttp.Options{NewID: func() string { return "bad id\r\n" }}, "X-Request-Id", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := serve(t, jstracehttp.NewMiddleware(tc.o)(echo))
			h := http.Header{}
			if tc.in != "" {
				h.Set(tc.header, tc.in)
			}
			resp, body := get(t, srv, "/", h)
			got := resp.Header.Get(tc.header)
			if got != body {
				t.Errorf("header %s = %q, context %q", tc.header, got, body)
			}
			if tc.want != "" && got != tc.want || tc.want == "" && (len(got) != 26 || !jstracehttp.ValidRequestID(got)) {
				t.Errorf("ID %q, want %q (empty: a fresh one)", got, tc.want)
			}
		})
	}
}

// FuzzMiddlewareRequestID sends any incoming header value through the
// middleware: the response carries it only if it is valid, else a fresh
// valid ID.
func FuzzMiddlewareRequestID(f *testing.F) {
	for _, s := range []string{"abc", "a\r\nb", strings.Repeat("q", 200), "=/+:._-", " lead", "ü"} {
		f.Add(s)
	}
	h := jstracehttp.Middleware(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	f.Fuzz(func(t *testing.T, in string) {
		w := httptest.NewRecorder()
		r := httptest.NewRequest("GET", "/", nil)
		r.Header["X-Request-Id"] = []string{in}
		h.ServeHTTP(w, r)
		got := w.Header().Values("X-Request-ID")
		if len(got) != 1 || !jstracehttp.ValidRequestID(got[0]) {
			t.Fatalf("incoming %q: response IDs %q", in, got)
		}
		if (got[0] == in) != validID.MatchString(in) {
			t.Fatalf("incoming %q (valid %v): response ID %q", in, validID.MatchString(in), got[0])
		}
	})
}
