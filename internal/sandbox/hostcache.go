package sandbox

import (
	"go/types"
	"reflect"
	"sync"
	"weak"

	"github.com/jstrace-go/jstrace/internal/sandbox/symbols"
)

// hostCache is what type-checking a script needs of the process and can
// keep from one check to the next: the host's types as go/types objects
// (universe), the symbol tables as scripts get them, and yaegi's generic
// sources type-checked.
//
// It lives while a check holds it, or an interpreter that may still
// compile handlers against the check's types (Interp.host, until the
// script's entry point has run: see Interp.settle), and until the garbage
// collector next finds nothing holding it: checks that overlap or follow
// each other closely (an agent's sessions attaching together, a hundred
// agents in one process) share one; the next check after that builds
// another (~1.5 ms for a script importing time, strconv and slices). Kept
// for the life of the process, as it was, it was ~150 KiB of pointers
// that every collection marked again in a service no longer traced: what
// a session leaves for the collector to mark went from 231 to 80 KiB
// (reflect's and the symbol tables' own caches; BenchmarkSessionMemory,
// KB-GC-scan-left; 44 KiB since the tables are made per interpreter and
// hidden types converted without methods, see hostreach.go; 19 since
// methods are converted from generated names, see symbols.Methods); and
// held by a session with compiled handlers while it lasted, it made what
// the collector marks during the session 266 KiB rather than ~97
// (KB-GC-scan-during).
type hostCache struct {
	types  *universe
	tables struct {
		sync.Mutex
		m map[string]map[string]reflect.Value // symbols.Table by key, made on first use
	}
	generic struct {
		sync.Mutex
		pkgs map[string]*types.Package
	}
}

var hostCaches struct {
	sync.Mutex
	current weak.Pointer[hostCache]
}

// currentHostCache returns the live cache, or a new empty one. The caller
// keeps it reachable for as long as it uses what it returns: every object
// it hands out belongs to it, and objects of two caches are never the
// same type to go/types.
func currentHostCache() *hostCache {
	hostCaches.Lock()
	defer hostCaches.Unlock()
	if h := hostCaches.current.Value(); h != nil {
		return h
	}
	h := &hostCache{
		types: newUniverse(),
	}
	h.tables.m = map[string]map[string]reflect.Value{}
	h.generic.pkgs = map[string]*types.Package{}
	hostCaches.current = weak.Make(h)
	return h
}

// table returns symbols.Table(key), made once per cache, and whether the
// package is allowlisted.
func (h *hostCache) table(key string) (map[string]reflect.Value, bool) {
	h.tables.Lock()
	defer h.tables.Unlock()
	t, ok := h.tables.m[key]
	if !ok {
		if t = symbols.Table(key); t == nil {
			return nil, false
		}
		h.tables.m[key] = t
	}
	return t, true
}
