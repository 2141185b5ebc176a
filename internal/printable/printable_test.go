package printable

import (
	"errors"
	"reflect"
	"testing"
)

func TestCheck(t *testing.T) {
	m := map[string]any{}
	m["self"] = m
	s := []any{nil}
	s[0] = s
	deep := any(1)
	for range MaxDepth + 2 {
		deep = []any{deep}
	}
	type node struct{ Next *node }
	ring := &node{}
	ring.Next = ring
	shared := []int{1, 2}
	tests := []struct {
		name string
		args []any
		want error
	}{
		{"plain", []any{1, "a", []int{1, 2}, map[string]int{"a": 1}}, nil},
		{"map cycle", []any{m}, ErrCycle},
		{"slice cycle", []any{s}, ErrCycle},
		{"deep", []any{deep}, ErrDeep},
		{"pointer cycle", []any{ring}, nil}, // fmt prints nested pointers as addresses
		{"shared, not cyclic", []any{[]any{shared, shared}}, nil},
		{"large", []any{make([]int, MaxNodes+1)}, ErrLarge},
		{"cycle in a reflect.Value", []any{reflect.ValueOf(m)}, ErrCycle},
	}
	for _, tt := range tests {
		if err := Check(tt.args...); !errors.Is(err, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
		}
	}
}
