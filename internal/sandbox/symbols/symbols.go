// Package symbols holds the yaegi symbol tables of the standard packages
// that jstrace scripts may import. It is generated from an allowlist by
// ./gen (go generate), never from yaegi's whole stdlib table: see
// gen/main.go for what is left out and why.
package symbols

import (
	"fmt"
	"hash/crc32"
	"maps"
	"reflect"

	"github.com/jstrace-go/jstrace/internal/sandbox/guard"
)

//go:generate go run ./gen

// Symbols maps "importpath/name" to the package's exported symbols, in the
// form interp.Use expects. Callers must copy it before handing it to an
// interpreter they customise: interp.Use copies the inner maps itself.
var Symbols = map[string]map[string]reflect.Value{}

// Script is package script's table: all its exported names, which are the
// script author's API (the host's side is in internal/scripthost). Like
// Symbols, it must be copied before it is modified.
var Script map[string]reflect.Value

// guarded replaces functions and types that could ask for gigabytes at
// once, recurse without bound over a script's values, or hand out the
// process's own tables (see package guard). TestAllowlistInterfaceArgs in
// package sandbox lists what takes a script's values and why the rest is
// safe.
var guarded = map[string]map[string]reflect.Value{
	"strings/strings": {
		"Repeat":      reflect.ValueOf(guard.Repeat),
		"Join":        reflect.ValueOf(guard.Join),
		"Replace":     reflect.ValueOf(guard.Replace),
		"ReplaceAll":  reflect.ValueOf(guard.ReplaceAll),
		"NewReplacer": reflect.ValueOf(guard.NewReplacer),
		"Replacer":    reflect.ValueOf((*guard.Replacer)(nil)),
		"Builder":     reflect.ValueOf((*guard.Builder)(nil)),
		"Split":       reflect.ValueOf(guard.Split),
		"SplitN":      reflect.ValueOf(guard.SplitN),
		"SplitAfter":  reflect.ValueOf(guard.SplitAfter),
		"SplitAfterN": reflect.ValueOf(guard.SplitAfterN),
		"Fields":      reflect.ValueOf(guard.Fields),
		"ToValidUTF8": reflect.ValueOf(guard.ToValidUTF8),
	},
	"bytes/bytes": {
		"Repeat":          reflect.ValueOf(guard.RepeatBytes),
		"Join":            reflect.ValueOf(guard.JoinBytes),
		"Replace":         reflect.ValueOf(guard.ReplaceBytes),
		"ReplaceAll":      reflect.ValueOf(guard.ReplaceAllBytes),
		"Buffer":          reflect.ValueOf((*guard.Buffer)(nil)),
		"NewBuffer":       reflect.ValueOf(guard.NewBuffer),
		"NewBufferString": reflect.ValueOf(guard.NewBufferString),
		"Split":           reflect.ValueOf(guard.SplitBytes),
		"SplitN":          reflect.ValueOf(guard.SplitNBytes),
		"SplitAfter":      reflect.ValueOf(guard.SplitAfterBytes),
		"SplitAfterN":     reflect.ValueOf(guard.SplitAfterNBytes),
		"Fields":          reflect.ValueOf(guard.FieldsBytes),
		"ToValidUTF8":     reflect.ValueOf(guard.ToValidUTF8Bytes),
	},
	"strconv/strconv": {
		"FormatFloat":   reflect.ValueOf(guard.FormatFloat),
		"AppendFloat":   reflect.ValueOf(guard.AppendFloat),
		"FormatComplex": reflect.ValueOf(guard.FormatComplex),
	},
	"math/rand/rand": {"Perm": reflect.ValueOf(guard.Perm)},
	"encoding/json/json": {
		"Marshal":       reflect.ValueOf(guard.Marshal),
		"MarshalIndent": reflect.ValueOf(guard.MarshalIndent),
		"NewEncoder":    reflect.ValueOf(guard.NewEncoder),
		"Encoder":       reflect.ValueOf((*guard.Encoder)(nil)),
		"Indent":        reflect.ValueOf(guard.IndentBuffer),
		"Compact":       reflect.ValueOf(guard.Compact),
		"HTMLEscape":    reflect.ValueOf(guard.HTMLEscape),
	},
	"regexp/regexp": {
		"Compile":          reflect.ValueOf(guard.Compile),
		"CompilePOSIX":     reflect.ValueOf(guard.CompilePOSIX),
		"MustCompile":      reflect.ValueOf(guard.MustCompile),
		"MustCompilePOSIX": reflect.ValueOf(guard.MustCompilePOSIX),
		"Regexp":           reflect.ValueOf((*guard.Regexp)(nil)),
	},
	"text/tabwriter/tabwriter": {
		"NewWriter": reflect.ValueOf(guard.NewTabWriter),
		"Writer":    reflect.ValueOf((*guard.TabWriter)(nil)),
	},
	"errors/errors":    {"Join": reflect.ValueOf(guard.JoinErrors)},
	"hash/crc32/crc32": {"MakeTable": reflect.ValueOf(makeTable)},
}

// makeTable is crc32.MakeTable returning a copy: the original returns the
// package's shared IEEE and Castagnoli tables, which a script could write.
func makeTable(poly uint32) *crc32.Table {
	t := *crc32.MakeTable(poly)
	return &t
}

// PointerVars lists, per package, the variables of pointer type that
// Tables replaces with pointers to private copies.
var PointerVars = map[string][]string{}

// Tables returns the symbol tables of every package for one interpreter,
// as Table makes each.
func Tables() map[string]map[string]reflect.Value {
	t := make(map[string]map[string]reflect.Value, len(Symbols))
	for k := range Symbols {
		t[k] = Table(k)
	}
	return t
}

// Table returns the symbol table of one package, keyed as in Symbols, for
// one interpreter; nil for a package not allowlisted. It is Symbols' table
// with the functions that take callbacks wrapped (see checked), the
// guarded functions and types in place of the originals, and every
// variable of PointerVars pointing to a copy made for this interpreter, so
// that a script writing through time.Local or base64.StdEncoding changes
// neither the host process nor another script.
//
// Nothing is kept from one call to the next: an interpreter is given only
// the packages its script imports, and a table made once for the process
// (its wrappers, each with its reflect.MakeFunc closure) would stay for
// the collector to mark at every collection of a service that is no
// longer traced.
func Table(key string) map[string]reflect.Value {
	syms, ok := Symbols[key]
	if !ok {
		return nil
	}
	var m map[string]reflect.Value
	own := func() {
		if m == nil {
			m = maps.Clone(syms)
		}
	}
	for name, v := range syms {
		if w, ok := checked(v); ok {
			own()
			m[name] = w
		}
	}
	funcs, names := guarded[key], PointerVars[key]
	if funcs == nil && names == nil && m == nil {
		return syms
	}
	own()
	maps.Copy(m, funcs)
	for _, name := range names {
		m[name] = copyOf(syms[name])
	}
	return m
}

// copyOf returns a pointer to a copy of what p points to. Calling String
// first completes a lazy initialisation: time.Local loads the local zone
// when first used.
func copyOf(p reflect.Value) reflect.Value {
	if s, ok := p.Interface().(fmt.Stringer); ok {
		_ = s.String()
	}
	c := reflect.New(p.Type().Elem())
	c.Elem().Set(p.Elem())
	return c
}
