package tracestore

import "testing"

func TestVersionOK(t *testing.T) {
	tests := []struct {
		info string
		v    string
		ok   bool
	}{
		{"# Server\r\nredis_version:7.0.15\r\nredis_git_sha1:0\r\n", "7.0.15", true},
		{"# Server\r\nredis_version:6.2.0\r\n", "6.2.0", true},
		{"# Server\r\nredis_version:6.0.16\r\n", "6.0.16", false},
		{"# Server\r\nredis_version:5.0.7\r\n", "5.0.7", false},
		{"# Server\r\nredis_version:10.1\r\n", "10.1", true},
		{"# Server\r\nredis_mode:standalone\r\n", "unknown", false},
		{"redis_version:x.y\r\n", "x.y", false},
	}
	for _, tt := range tests {
		t.Run(tt.v, func(t *testing.T) {
			if v, ok := versionOK(tt.info); v != tt.v || ok != tt.ok {
				t.Errorf("versionOK = %q, %v; want %q, %v", v, ok, tt.v, tt.ok)
			}
		})
	}
}
