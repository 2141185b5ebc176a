package otel

import "testing"

// An endpoint is a base URL, as OTEL_EXPORTER_OTLP_ENDPOINT is: a vendor's
// path prefix is kept, a full traces URL is taken as it is.
func TestOTLPPath(t *testing.T) {
	for _, tc := range []struct{ base, want string }{
		{"", "/v1/traces"},
		{"/", "/v1/traces"},
		{"/otlp", "/otlp/v1/traces"},
		{"/otlp/", "/otlp/v1/traces"},
		{"/v1/traces", "/v1/traces"},
		{"/otlp/v1/traces", "/otlp/v1/traces"},
	} {
		if got := otlpPath(tc.base); got != tc.want {
			t.Errorf("endpoint path %q: posts to %q, want %q", tc.base, got, tc.want)
		}
	}
}
