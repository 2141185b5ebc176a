package tracestore_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"

	"github.com/jstrace-go/jstrace/internal/tracestore"
	"github.com/jstrace-go/jstrace/internal/tracestore/storetest"
)

// fileOpener opens embedded stores for storetest: one file per test.
func fileOpener() storetest.Opener {
	var mu sync.Mutex
	paths := make(map[*testing.T]string)
	return func(t *testing.T, o tracestore.Options) tracestore.Store {
		t.Helper()
		mu.Lock()
		p, ok := paths[t]
		if !ok {
			p = filepath.Join(t.TempDir(), "state", "traces.db")
			paths[t] = p
		}
		mu.Unlock()
		s, err := tracestore.Open(context.Background(), p, o)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
}

func TestFileConformance(t *testing.T) {
	storetest.Run(t, fileOpener())
}
