package jstracehttp

import (
	"net/http"

	"github.com/jstrace-go/jstrace"
)

// spanned sends req under a client span, the child of parent (the span of
// req's context): the span goes in the context and the headers of a copy
// of req, with the request ID.
func (t *transport) spanned(req *http.Request, parent *jstrace.Span) (*http.Response, error) {
	method := spanMethod(req.Method)
	host, path := hostPath(req)
	name := spanName(method, "")
	if parent.IsSampled() || spanWatched() {
		name = spanName(method, host)
	}
	ctx, span := jstrace.StartSpan(req.Context(), name,
		"span.kind", "client", "http.request.method", method, "server.address", host, "url.path", path)

	h := make(http.Header, len(req.Header)+len(propagationHeaders)+1)
	for k, v := range req.Header {
		if !isPropagationHeader(k) {
			h[k] = v
		}
	}
	if id := jstrace.RequestID(ctx); id != "" && !hasValidID(h) && ValidRequestID(id) {
		setRequestID(h, id)
	}
	jstrace.Inject(ctx, &headerCarrier{h: h})
	r := req.WithContext(ctx)
	r.Header = h
	return t.traced(r, span)
}
