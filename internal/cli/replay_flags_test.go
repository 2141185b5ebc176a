package cli

import (
	"reflect"
	"testing"
	"time"
)

func TestRecordFlags(t *testing.T) {
	for _, tt := range []struct {
		name string
		args []string
		want *RecordOptions // nil: a usage error
	}{
		{"file and globs", []string{"-o", "r.jsonl", "a:*", "b:*,-b:x"}, &RecordOptions{Output: "r.jsonl", Globs: []string{"a:*", "b:*,-b:x"}}},
		{"session", []string{"--output=-", "-p", "3", "--duration", "2s", "-v", "a:*"},
			&RecordOptions{Output: "-", Globs: []string{"a:*"}, Duration: 2 * time.Second, Verbose: true, ConnectOptions: ConnectOptions{PID: 3}}},
		{"no file", []string{"a:*"}, nil},
		{"no glob", []string{"-o", "r.jsonl"}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			clearEnv(t)
			got, code := parse(t, NewCmdRecord, tt.args...)
			if tt.want == nil {
				if got != nil || code != ExitUsage {
					t.Fatalf("ran %v, exit %d, want %d", got != nil, code, ExitUsage)
				}
				return
			}
			if code != ExitOK || got == nil {
				t.Fatalf("exit %d, ran %v", code, got != nil)
			}
			got.IO = nil
			if !reflect.DeepEqual(*got, *tt.want) {
				t.Errorf("got  %+v\nwant %+v", *got, *tt.want)
			}
		})
	}
}

func TestReplayFlags(t *testing.T) {
	for _, tt := range []struct {
		name string
		args []string
		want *ReplayOptions // nil: a usage error
	}{
		{"file and script", []string{"r.jsonl", "s.go"}, &ReplayOptions{File: "r.jsonl", Script: "s.go", Speed: 1}},
		{"fast, args", []string{"--fast", "--json", "r.jsonl", "s.go", "--", "a", "b"},
			&ReplayOptions{File: "r.jsonl", Script: "s.go", Args: []string{"a", "b"}, Fast: true, Speed: 1, JSON: true}},
		{"speed", []string{"--speed", "2.5", "--raw", "r.jsonl", "-"}, &ReplayOptions{File: "r.jsonl", Script: "-", Speed: 2.5, Raw: true}},
		{"expr", []string{"r.jsonl", "-e", "traces.Log(1)", "--", "x"},
			&ReplayOptions{File: "r.jsonl", Expr: "traces.Log(1)", Args: []string{"x"}, Speed: 1}},
		{"nothing", nil, nil},
		{"no script", []string{"r.jsonl"}, nil},
		{"dash first", []string{"--", "r.jsonl", "s.go"}, nil},
		{"two scripts", []string{"r.jsonl", "a.go", "b.go"}, nil},
		{"fast and speed", []string{"--fast", "--speed", "2", "r.jsonl", "s.go"}, nil},
		{"speed 0", []string{"--speed", "0", "r.jsonl", "s.go"}, nil},
		{"speed negative", []string{"--speed=-1", "r.jsonl", "s.go"}, nil},
		{"empty expr", []string{"-e", " ", "r.jsonl"}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, code := parse(t, NewCmdReplay, tt.args...)
			if tt.want == nil {
				if got != nil || code != ExitUsage {
					t.Fatalf("ran %v, exit %d, want %d", got != nil, code, ExitUsage)
				}
				return
			}
			if code != ExitOK || got == nil {
				t.Fatalf("exit %d, ran %v", code, got != nil)
			}
			got.IO = nil
			if !reflect.DeepEqual(*got, *tt.want) {
				t.Errorf("got  %+v\nwant %+v", *got, *tt.want)
			}
		})
	}
}

func TestHasRemote(t *testing.T) {
	for src, want := range map[string]bool{
		"package main\nfunc Remote(t *script.Traces) {}\n":               true,
		"package main\nfunc Local(t *script.Traces) {}\n":                false,
		"package main\ntype T struct{}\nfunc (T) Remote() {}\n":          false,
		"package main\nvar Remote = 1\n":                                 false,
		"package main\nfunc Local() {}\nfunc Remote() {}\nfunc x() {}\n": true,
		"not go": false,
	} {
		if got := hasRemote([]byte(src)); got != want {
			t.Errorf("hasRemote(%q) = %v, want %v", src, got, want)
		}
	}
}
