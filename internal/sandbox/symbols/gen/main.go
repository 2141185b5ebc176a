// Command gen writes the yaegi symbol tables of the standard packages that
// jstrace scripts may import (see the script package's documentation).
//
// Beyond the package allowlist it leaves out:
//   - whatever can block or wait (time.Sleep, timers, tickers, fmt.Scan):
//     the interpreter cannot interrupt a blocked call;
//   - whatever reads the file system or mutates process-wide state
//     (time.LoadLocation, math/rand.Seed);
//   - package variables through which a script could change the host
//     process: maps, slices, pointers to arrays or to structs with exported
//     fields (unicode tables, crc32.IEEETable). The variables it keeps are
//     never handed out as addressable values, so a script cannot reassign
//     them: errors and basic values as copies; pointers to structs
//     (*time.Location, *base64.Encoding) are listed in PointerVars, and
//     Tables gives each interpreter pointers to private copies of them, so
//     that *time.Local = x changes nothing in the host nor in other scripts.
//
// It also writes script.go, the table of package script, whose every
// exported name is for scripts (TestScriptAPI in package sandbox pins them):
// the host's side of the package is in internal/scripthost; and
// methods.go, the method names of the types the tables reach (see
// writeMethods).
//
// Run it with go generate from the symbols directory.
package main

import (
	"bytes"
	"fmt"
	"go/format"
	"go/importer"
	"go/token"
	"go/types"
	"log"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/traefik/yaegi/extract"
)

// packages scripts may import, with the symbols left out of each.
var packages = map[string][]string{
	"bytes":          nil,
	"container/heap": nil,
	"container/list": nil,
	// container/ring is left out: Ring.Move(n) steps n times in native
	// code, n a script int, and methods cannot be guarded.
	"encoding/base64": nil,
	"encoding/hex":    nil,
	"encoding/json": {
		// Errors with reflect.Type or reflect.Value fields (reflect is
		// not for scripts), and an Err a script could chain so deep that
		// Error overflows the stack.
		"InvalidUnmarshalError", "MarshalerError", "UnmarshalFieldError",
		"UnmarshalTypeError", "UnsupportedTypeError", "UnsupportedValueError",
	},
	"errors":     nil,
	"fmt":        {"Scan", "Scanf", "Scanln"},
	"hash/crc32": nil,
	"hash/fnv":   nil,
	"html":       nil,
	"math":       nil,
	"math/bits":  nil,
	// Rand's Shuffle is a method (which the sandbox cannot wrap) looping
	// up to a script int over a script callback: only the package-level
	// functions, whose callbacks are wrapped, are left.
	"math/rand":      {"Seed", "New", "Rand", "NewZipf", "Zipf"},
	"path":           nil,
	"regexp":         nil,
	"sort":           nil,
	"strconv":        {"NumError"}, // its Err a script could chain so deep that Error overflows the stack
	"strings":        nil,
	"text/tabwriter": nil,
	"time":           {"Sleep", "After", "AfterFunc", "NewTimer", "NewTicker", "Tick", "Timer", "Ticker", "LoadLocation"},
	"unicode":        nil,
	"unicode/utf16":  nil,
	"unicode/utf8":   nil,
}

func main() {
	imp := importer.ForCompiler(token.NewFileSet(), "source", nil)
	left := map[string][]string{scriptPath: nil, guardPath: nil} // what writeMethods leaves out
	for path, excluded := range packages {
		pkg, err := imp.Import(path)
		if err != nil {
			log.Fatalf("import %s: %v", path, err)
		}
		var exclude []string
		for _, name := range excluded {
			exclude = append(exclude, "^"+name+"$")
		}
		unsafe := unsafeVars(pkg)
		for _, name := range unsafe {
			exclude = append(exclude, "^"+name+"$")
		}
		left[path] = append(unsafe, excluded...)
		ext := extract.Extractor{Dest: "symbols", Exclude: exclude}
		var buf bytes.Buffer
		if _, err := ext.Extract(path, "", &buf); err != nil {
			log.Fatalf("extract %s: %v", path, err)
		}
		src, err := rewrite(buf.Bytes())
		if err != nil {
			log.Fatalf("rewrite %s: %v", path, err)
		}
		if ptrs := pointerVars(pkg); len(ptrs) > 0 {
			var names []string
			for n := range ptrs {
				names = append(names, strconv.Quote(n))
			}
			sort.Strings(names)
			key := path + "/" + pkg.Name()
			src = bytes.Replace(src, []byte("\n}\n"), []byte(fmt.Sprintf("\n\tPointerVars[%q] = []string{%s}\n}\n", key, strings.Join(names, ", "))), 1)
			if src, err = format.Source(src); err != nil {
				log.Fatalf("format %s: %v", path, err)
			}
		}
		file := strings.ReplaceAll(path, "/", "_") + ".go"
		if err := os.WriteFile(file, src, 0o644); err != nil {
			log.Fatal(err)
		}
	}
	if err := writeScript(); err != nil {
		log.Fatalf("extract %s: %v", scriptPath, err)
	}
	if err := writeMethods(imp, left); err != nil {
		log.Fatal(err)
	}
}

// guardPath is the package of the guarded replacements that the tables
// hand out in place of some standard functions and types.
const guardPath = "github.com/jstrace-go/jstrace/internal/sandbox/guard"

const scriptPath = "github.com/jstrace-go/jstrace/script"

// writeScript writes script.go: package script's table, as the variable
// Script rather than an entry of Symbols, which lists the standard
// packages.
func writeScript() error {
	var buf bytes.Buffer
	ext := extract.Extractor{Dest: "symbols"}
	if _, err := ext.Extract(scriptPath, "", &buf); err != nil {
		return err
	}
	entry := fmt.Sprintf("Symbols[%q] = ", scriptPath+"/script")
	if !bytes.Contains(buf.Bytes(), []byte(entry)) {
		return fmt.Errorf("no %s in yaegi's output", entry)
	}
	src, err := rewrite(bytes.Replace(buf.Bytes(), []byte(entry), []byte("Script = "), 1))
	if err != nil {
		return err
	}
	return os.WriteFile("script.go", src, 0o644)
}

// unsafeVars lists the package's exported variables that a script could use
// to change the host process even through a copy.
func unsafeVars(pkg *types.Package) []string {
	var names []string
	for _, name := range pkg.Scope().Names() {
		v, ok := pkg.Scope().Lookup(name).(*types.Var)
		if !ok || !v.Exported() || safeType(v.Type()) {
			continue
		}
		names = append(names, name)
	}
	return names
}

// pointerVars lists the package's exported variables of pointer type that
// are kept (see safeType).
func pointerVars(pkg *types.Package) map[string]bool {
	m := map[string]bool{}
	for _, name := range pkg.Scope().Names() {
		if v, ok := pkg.Scope().Lookup(name).(*types.Var); ok && v.Exported() && safeType(v.Type()) {
			if _, ok := v.Type().Underlying().(*types.Pointer); ok {
				m[name] = true
			}
		}
	}
	return m
}

func safeType(t types.Type) bool {
	switch u := t.Underlying().(type) {
	case *types.Basic:
		return true
	case *types.Interface:
		return types.Identical(t, types.Universe.Lookup("error").Type())
	case *types.Pointer:
		s, ok := u.Elem().Underlying().(*types.Struct)
		if !ok {
			return false
		}
		for i := range s.NumFields() {
			if s.Field(i).Exported() {
				return false
			}
		}
		return true
	}
	return false
}

var (
	addrVar       = regexp.MustCompile(`reflect\.ValueOf\(&([A-Za-z0-9_.]+)\)\.Elem\(\)`)
	buildLine     = regexp.MustCompile(`(?m)^// \+build .*\n`)
	wrapperMethod = regexp.MustCompile(`(?m)^func \(W _[A-Za-z0-9_]+\) .*\{\n`)
	importBlock   = regexp.MustCompile(`(?ms)^import \(\n(.*?)\n\)\n`)
)

const haltPath = "github.com/jstrace-go/jstrace/internal/sandbox/halt"

// rewrite hands variables to scripts as values, not addressable variables,
// makes every method of the interface wrappers (through which native code
// calls a script's methods) begin with halt.Check, so that native code
// calling a killed script unwinds (see package halt), and drops the
// Go-version build line: go.mod pins the Go version these tables were made
// with.
func rewrite(src []byte) ([]byte, error) {
	src = addrVar.ReplaceAll(src, []byte("reflect.ValueOf($1)"))
	if wrapperMethod.Match(src) {
		src = wrapperMethod.ReplaceAll(src, []byte("${0}\thalt.Check()\n"))
		src = importBlock.ReplaceAll(src, []byte("import (\n${1}\n\n\t\""+haltPath+"\"\n)\n"))
	}
	src = buildLine.ReplaceAll(src, nil)
	src = bytes.Replace(src, []byte("// Code generated by 'yaegi extract"), []byte("// Code generated by internal/sandbox/symbols/gen from 'yaegi extract"), 1)
	out, err := format.Source(src)
	if err != nil {
		return nil, fmt.Errorf("format: %w", err)
	}
	return out, nil
}
