package printable

import (
	"errors"
	"fmt"
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

func TestWalkFollowingPointers(t *testing.T) {
	type node struct {
		Next *node
		V    any
	}
	ring := &node{}
	ring.Next = ring
	chain := &node{}
	for range 2000 {
		chain = &node{Next: chain}
	}
	deepAny := any(1)
	for range 600 {
		deepAny = []any{deepAny}
	}
	same, mib := make([]string, 1000), string(make([]byte, 1<<20))
	for i := range same {
		same[i] = mib
	}
	dag := any(1)
	for range 40 {
		dag = []any{dag, dag}
	}
	json := Walk{FollowPointers: true, MaxDepth: 1000}
	tests := []struct {
		name string
		arg  any
		want error
	}{
		{"pointer cycle", ring, ErrCycle},
		{"pointer chain", chain, ErrDeep},
		{"deep []any", deepAny, ErrDeep},
		{"one string a thousand times", same, ErrLarge},
		{"shared halves, 2^40 leaves", dag, ErrLarge},
		{"plain", map[string]any{"a": []int{1, 2}, "b": &node{V: "x"}}, nil},
	}
	for _, tt := range tests {
		if _, err := json.Check(tt.arg); !errors.Is(err, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
		}
	}
	// fmt's walk does not follow nested pointers: the chain is fine there.
	if err := Check(chain); err != nil {
		t.Errorf("fmt walk of a pointer chain: %v", err)
	}
	if err := Check(same); !errors.Is(err, ErrLarge) {
		t.Errorf("fmt walk of a large []string: %v", err)
	}
	size, err := json.Check([]any{"ab", []int{1, 2, 3}})
	if err != nil || size.Nodes != 8 || size.Bytes != 2 || size.Depths != 0+(1+2)+(1+2)+3*3 {
		t.Errorf("size %+v, %v", size, err)
	}
}

type panicky struct{}

func (*panicky) Error() string { panic("no") }

func TestErrorSize(t *testing.T) {
	e := errors.New("0123456789")
	dag := e
	for range 30 {
		dag = errors.Join(dag, dag)
	}
	deep := e
	for range MaxDepth + 1 {
		deep = errors.Join(deep, e)
	}
	chain := e
	for range 1000 {
		chain = fmt.Errorf("w: %w", chain)
	}
	big := errors.New(string(make([]byte, 1<<20)))
	many := make([]error, 300)
	for i := range many {
		many[i] = big
	}
	tests := []struct {
		name string
		err  error
		n    int
		want error
	}{
		{"plain", e, 10, nil},
		{"join", errors.Join(e, e), 21, nil},
		{"2^30 paths", dag, 0, ErrLarge},
		{"joins too deep", deep, 0, ErrDeep},
		{"a long chain of single wraps", chain, len(chain.Error()), nil},
		{"300 MiB message", errors.Join(many...), 0, ErrLarge},
		{"Error panics", &panicky{}, 0, nil},
	}
	for _, tt := range tests {
		n, err := ErrorSize(tt.err)
		if !errors.Is(err, tt.want) || (err == nil && n != tt.n) {
			t.Errorf("%s: %d, %v; want %d, %v", tt.name, n, err, tt.n, tt.want)
		}
	}
	// fmt's walk counts the messages of the errors it meets.
	if err := Check([]any{errors.Join(many[:200]...), errors.Join(many[:200]...)}); !errors.Is(err, ErrLarge) {
		t.Errorf("two 200 MiB errors: %v", err)
	}
}
