package jstrace

import (
	"reflect"
	"sync"
	"testing"
)

// TestSpanNoCopy: a Span must not be copied (Span.state finds a full
// span's state by its address: a copy's methods would read and write
// memory past it), so go vet's copylocks check must report copies, as it
// did while a Span held its mutex: one of its fields is a Locker by
// pointer, as vet looks for.
func TestSpanNoCopy(t *testing.T) {
	locker := reflect.TypeFor[sync.Locker]()
	typ := reflect.TypeFor[Span]()
	for i := range typ.NumField() {
		if reflect.PointerTo(typ.Field(i).Type).Implements(locker) {
			return
		}
	}
	t.Error("no field of Span makes go vet report its copies (copylocks)")
}
