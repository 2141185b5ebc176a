package jstracehttp

import "testing"

func TestSpanNames(t *testing.T) {
	for _, tc := range []struct{ method, pattern, name, route string }{
		{"GET", "GET /users/{id}", "GET /users/{id}", "/users/{id}"},
		{"GET", "/users/{id}", "GET /users/{id}", "/users/{id}"},
		{"POST", "POST example.com/orders/", "POST /orders/", "/orders/"},
		{"GET", "example.com/", "GET /", "/"},
		{"GET", "", "GET", ""},
		{"BREW", "/pot", "HTTP /pot", "/pot"}, // a method outside HTTP's nine
		{"get", "", "HTTP", ""},               // methods are case-sensitive
	} {
		t.Run(tc.method+" "+tc.pattern, func(t *testing.T) {
			route := routePath(tc.pattern)
			if name := spanName(spanMethod(tc.method), route); name != tc.name || route != tc.route {
				t.Errorf("name %q route %q, want %q %q", name, route, tc.name, tc.route)
			}
		})
	}
}
