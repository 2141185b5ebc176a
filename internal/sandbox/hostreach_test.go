package sandbox

import (
	"go/types"
	"reflect"
	"sync"
	"testing"
)

// Types for the universe to convert: Outer reaches Held only through an
// unexported field, Held reaches Deep through an exported one, and Shown
// is embedded, so that its methods are promoted.
type (
	Outer struct {
		held  Held
		Shown // embedded: promoted
	}
	Held  struct{ Deep *Deep }
	Deep  struct{ n int }
	Shown struct{ guts *Guts }
	Guts  struct{ n int }
)

func (Held) HeldMethod() int   { return 0 }
func (*Deep) DeepMethod() int  { return 0 }
func (Shown) ShownMethod() int { return 0 }
func (Guts) GutsMethod() int   { return 0 }

// methodsOf returns the names of the methods the universe gave t.
func methodsOf(u *universe, t reflect.Type) []string {
	n, ok := u.types[t].(*types.Named)
	if !ok {
		return nil
	}
	var names []string
	for i := range n.NumMethods() {
		names = append(names, n.Method(i).Name())
	}
	return names
}

// A type held only in an unexported field gets no methods, until a script
// can reach it another way; then it gets them, and so does what it
// exposes.
func TestHostTypesHiddenUntilReached(t *testing.T) {
	u := newUniverse()
	p := u.importable("example.com/p", map[string]reflect.Value{"Outer": reflect.ValueOf((*Outer)(nil))})
	if p.Scope().Lookup("Outer") == nil {
		t.Fatal("Outer not declared")
	}
	held, deep, shown, guts := reflect.TypeFor[Held](), reflect.TypeFor[Deep](), reflect.TypeFor[Shown](), reflect.TypeFor[Guts]()
	for _, c := range []struct {
		t    reflect.Type
		want int
	}{{held, 0}, {deep, 0}, {shown, 1}, {guts, 0}} {
		if got := methodsOf(u, c.t); len(got) != c.want {
			t.Errorf("%v: methods %v, want %d", c.t, got, c.want)
		}
	}

	u.importable("example.com/q", map[string]reflect.Value{"Held": reflect.ValueOf((*Held)(nil))})
	if got := methodsOf(u, held); len(got) != 1 || got[0] != "HeldMethod" {
		t.Errorf("Held once exported: methods %v", got)
	}
	if got := methodsOf(u, deep); len(got) != 1 || got[0] != "DeepMethod" {
		t.Errorf("Deep, an exported field of Held: methods %v", got)
	}
	if got := methodsOf(u, guts); len(got) != 0 {
		t.Errorf("Guts, still reached only through an unexported field: methods %v", got)
	}
	if len(u.hidden) != 1 {
		t.Errorf("hidden: %v, want Guts alone", u.hidden)
	}
}

// A script checks against a revealed type as against any other, while
// other checks share the cache (run with -race).
func TestHostTypesRevealedWhileShared(t *testing.T) {
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			src := "package main\n\nimport (\n\t\"time\"\n\n\t\"github.com/jstrace-go/jstrace/script\"\n)\n\nfunc Remote(traces *script.Traces) {\n\tvar d time.Duration\n\t_ = d.String()\n}\n"
			if i%2 == 1 {
				src = "package main\n\nimport \"github.com/jstrace-go/jstrace/script\"\n\nfunc Remote(traces *script.Traces) {\n\ttraces.On(\"x\", func(t *script.Trace) { _ = t.TimeField(\"k\").Location().String() })\n}\n"
			}
			if err := Check("s.go", []byte(src)); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
}
