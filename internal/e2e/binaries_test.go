package e2e

import (
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// lazyBin is a program only some tests need, built (with -race when the
// tests run with it) on first use, once per run, beside the CLI.
type lazyBin struct {
	pkg  string // relative to this package
	once sync.Once
	path string
	err  error
	out  []byte
}

var (
	probesBin = &lazyBin{pkg: "./testdata/probes"}
	webappBin = &lazyBin{pkg: "../../examples/webapp"}
	shopBin   = &lazyBin{pkg: "../../examples/shop"}
)

// get returns the binary's path, building it first if no test has.
func (b *lazyBin) get(t *testing.T) string {
	t.Helper()
	b.once.Do(func() {
		b.path = filepath.Join(filepath.Dir(bin.jstrace), filepath.Base(b.pkg))
		args := []string{"build", "-o", b.path}
		if raceEnabled {
			args = append(args, "-race")
		}
		b.out, b.err = exec.Command("go", append(args, b.pkg)...).CombinedOutput()
	})
	if b.err != nil {
		t.Fatalf("build %s: %v\n%s", b.pkg, b.err, b.out)
	}
	return b.path
}
