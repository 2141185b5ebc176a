// Package webui is the web page of `jstrace collect --http` and
// `jstrace ui`: recent, slowest and failing traces of a trace store, with
// search by trace ID, service and operation, and a waterfall per trace
// with its critical path and bottleneck marked and every span's tags,
// logs and error a click away.
//
// The page and its script are embedded (no CDN, nothing fetched from
// elsewhere) and read a small JSON API of the same origin:
//
//	GET /api/traces?list=recent|slow|errors&service=&operation=&since=1h&day=YYYY-MM-DD&limit=N
//	GET /api/traces/{trace-id}
//
// The API only reads the store. Traces hold what services recorded, so
// the handler answers only requests addressed to the name it serves
// (a loopback address, localhost, or Options.Hosts), which keeps other
// sites' pages from reading it through DNS rebinding, and serves every
// response with a content security policy that allows only its own
// script.
package webui

import (
	"embed"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"strings"

	"github.com/jstrace-go/jstrace/internal/tracestore"
)

//go:embed assets
var assets embed.FS

// Options configure the handler. The zero value works.
type Options struct {
	// Hosts are the host names (without port) the page may be reached
	// by besides loopback addresses and localhost: the machine's name when
	// serving on another interface. Default: none.
	Hosts []string
	// Logger receives failed store reads (constant messages). Default:
	// slog.Default().
	Logger *slog.Logger
}

// Handler returns the page and its API over st. It is safe for
// concurrent use, as st is.
func Handler(st tracestore.Store, o Options) http.Handler {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	a := &api{st: st, log: o.Logger}
	static, _ := fs.Sub(assets, "assets")
	mux := http.NewServeMux()
	mux.Handle("GET /{$}", http.FileServerFS(static))
	mux.Handle("GET /app.js", http.FileServerFS(static))
	mux.Handle("GET /style.css", http.FileServerFS(static))
	mux.HandleFunc("GET /api/traces", a.list)
	mux.HandleFunc("GET /api/traces/{id}", a.trace)
	return guard(mux, o.Hosts)
}

// guard refuses requests addressed to another host and sets the headers
// every response carries.
func guard(next http.Handler, hosts []string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !allowedHost(r.Host, hosts) {
			http.Error(w, "jstrace: this page is served only to the host names it listens on", http.StatusMisdirectedRequest)
			return
		}
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

func allowedHost(hostport string, hosts []string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	if ip := net.ParseIP(strings.Trim(host, "[]")); ip != nil && ip.IsLoopback() {
		return true
	}
	for _, h := range hosts {
		if strings.EqualFold(h, host) {
			return true
		}
	}
	return false
}
