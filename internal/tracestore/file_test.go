package tracestore_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

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

// TestFileCreatesPrivateFiles checks that the store's directory is 0700
// and its files 0600: traces hold request data.
func TestFileCreatesPrivateFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state", "jstrace")
	path := filepath.Join(dir, "traces.db")
	s := openT(t, path)
	if err := s.Put(context.Background(), (&spanGen{perTrace: 3}).batch(3)); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		path string
		mode os.FileMode
	}{
		{filepath.Dir(dir), 0o700},
		{dir, 0o700},
		{path, 0o600},
		{path + "-wal", 0o600},
	} {
		fi, err := os.Stat(c.path)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != c.mode {
			t.Errorf("%s: mode %v, want %v", c.path, got, c.mode)
		}
	}
}

func TestFileOpen(t *testing.T) {
	ctx := context.Background()
	t.Run("default path", func(t *testing.T) {
		t.Setenv("XDG_STATE_HOME", t.TempDir())
		s, err := tracestore.Open(ctx, "", tracestore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		s.Close()
		if _, err := os.Stat(filepath.Join(os.Getenv("XDG_STATE_HOME"), "jstrace", "traces.db")); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("file: prefix and odd characters", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "a dir?#%", "traces.db")
		s, err := tracestore.Open(ctx, "file:"+path, tracestore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		s.Close()
		if _, err := os.Stat(path); err != nil {
			t.Fatal(err)
		}
	})
	bad := []struct {
		name, path string
	}{
		{"a directory", ""},
		{"under a file", "file/traces.db"},
		{"not a database", "junk.db"},
	}
	for _, b := range bad {
		t.Run(b.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "file"), []byte("x"), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "junk.db"), []byte(strings.Repeat("not sqlite ", 1000)), 0o600); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, b.path)
			s, err := tracestore.Open(ctx, path, tracestore.Options{})
			if err == nil {
				s.Close()
				t.Fatalf("Open(%s) = nil error", path)
			}
			if !strings.Contains(err.Error(), path) && !strings.Contains(err.Error(), b.path) {
				t.Fatalf("Open(%s) = %v, want the path in the error", path, err)
			}
		})
	}
}

// TestFileConformanceWalking runs the suite with every filtered listing
// read by walking the listing's index, the plan for filters that keep
// many traces, which the suite's small stores never reach.
func TestFileConformanceWalking(t *testing.T) {
	defer func(n int) { *tracestore.RareKey = n }(*tracestore.RareKey)
	*tracestore.RareKey = 0
	storetest.Run(t, fileOpener())
}

// TestFileConformanceRealClock runs the suite as it runs a Redis store:
// retention on real time (the suite's clock plus the time elapsed), so
// that the suite's RealClock path is proven too.
func TestFileConformanceRealClock(t *testing.T) {
	if testing.Short() {
		t.Skip("sleeps through retention")
	}
	open := fileOpener()
	storetest.RunWith(t, storetest.Capabilities{RealClock: true}, func(t *testing.T, o tracestore.Options) tracestore.Store {
		suite, start := o.Now, time.Now()
		o.Now = func() time.Time { return suite().Add(time.Since(start)) }
		return open(t, o)
	})
}
