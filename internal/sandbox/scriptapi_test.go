package sandbox

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// scriptAPI is the script author's API: every name of package script a
// script can reach, with the exported fields and methods of its types.
// Package script exports exactly these (its host side is in
// internal/scripthost), and the interpreter's table of it holds exactly
// these. A name added to package script must be one a script can use, and
// then added here and to the table (go generate ./internal/sandbox/symbols).
var scriptAPI = []string{
	"Agg", "Agg.By", "Agg.Check", "Agg.Hist", "Agg.Of", "Agg.Where",
	"Aggregation", "Aggregation.Dropped", "Aggregation.Missing", "Aggregation.Snapshot", "Aggregation.Take",
	"Bucket", "Bucket.Count", "Bucket.Hi", "Bucket.Lo",
	"Group", "Group.Buckets", "Group.Count", "Group.Key", "Group.Keys", "Group.Max", "Group.Mean", "Group.Merge", "Group.Min",
	"Group.Quantile", "Group.String", "Group.Sum",
	"Bars", "Chart", "DefaultWidth", "Hist", "Hist.String", "Linear", "MaxBy", "MaxGroups", "Pow2", "Quantize",
	"QuantizeValues", "Series", "Series.Add", "Series.Values", "ShipEvery", "Sparkline", "Table",
	"Trace", "Trace.Bool", "Trace.Bytes", "Trace.Dur", "Trace.Fields", "Trace.Float", "Trace.Get",
	"Trace.Has", "Trace.Hostname", "Trace.Int", "Trace.Keys", "Trace.Name", "Trace.PID", "Trace.Str",
	"Trace.String", "Trace.Time", "Trace.TimeField", "Trace.Title", "Trace.Uint",
	"Traces", "Traces.Aggregate", "Traces.Dir", "Traces.Draw", "Traces.Dump", "Traces.Emit", "Traces.Error", "Traces.Errorf",
	"Traces.Args", "Traces.Every", "Traces.Log", "Traces.Logf", "Traces.Merged", "Traces.On", "Traces.OnCleanup",
	"Traces.Ship", "Traces.Width",
}

// TestScriptAPI pins what scripts see of package script: its exports, read
// from its source, and the sandbox's table of it, read by reflection, are
// both scriptAPI.
func TestScriptAPI(t *testing.T) {
	want := slices.Sorted(slices.Values(scriptAPI))
	exported := sourceExports(t, "../../script")
	for _, n := range diff(exported, want) {
		t.Errorf("package script exports %s, which scripts are not meant to use: move it to internal/scripthost, or add it to scriptAPI if it is for scripts", n)
	}
	for _, n := range diff(want, exported) {
		t.Errorf("package script no longer exports %s (scriptAPI)", n)
	}
	table := tableNames(scriptSymbols)
	for _, n := range diff(exported, table) {
		t.Errorf("package script exports %s, which the sandbox's table lacks: go generate ./internal/sandbox/symbols", n)
	}
	for _, n := range diff(table, want) {
		t.Errorf("the sandbox's table of package script exposes %s, which is not in scriptAPI", n)
	}
}

// diff returns the names of a not in b.
func diff(a, b []string) []string {
	var d []string
	for _, n := range a {
		if !slices.Contains(b, n) {
			d = append(d, n)
		}
	}
	return d
}

// sourceExports returns the exported names of the package in dir (its
// tests left out), its types' exported fields and methods as Type.Name,
// sorted.
func sourceExports(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	fset := token.NewFileSet()
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, e.Name()), nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			names = append(names, declExports(d)...)
		}
	}
	slices.Sort(names)
	return names
}

func declExports(d ast.Decl) []string {
	var names []string
	switch d := d.(type) {
	case *ast.FuncDecl:
		if !d.Name.IsExported() {
			break
		}
		if d.Recv == nil {
			return []string{d.Name.Name}
		}
		typ := d.Recv.List[0].Type
		if star, ok := typ.(*ast.StarExpr); ok {
			typ = star.X
		}
		if id, ok := typ.(*ast.Ident); ok && id.IsExported() {
			names = append(names, id.Name+"."+d.Name.Name)
		}
	case *ast.GenDecl:
		for _, s := range d.Specs {
			switch s := s.(type) {
			case *ast.TypeSpec:
				if !s.Name.IsExported() {
					continue
				}
				names = append(names, s.Name.Name)
				if st, ok := s.Type.(*ast.StructType); ok {
					for _, f := range st.Fields.List {
						for _, n := range f.Names {
							if n.IsExported() {
								names = append(names, s.Name.Name+"."+n.Name)
							}
						}
					}
				}
			case *ast.ValueSpec:
				for _, n := range s.Names {
					if n.IsExported() {
						names = append(names, n.Name)
					}
				}
			}
		}
	}
	return names
}

// tableNames returns the names of a symbol table, with the exported
// fields and methods of its types as Type.Name, sorted.
func tableNames(syms map[string]reflect.Value) []string {
	var names []string
	for name, v := range syms {
		names = append(names, name)
		if v.Kind() != reflect.Pointer || !v.IsNil() {
			continue
		}
		typ := v.Type().Elem()
		if typ.Kind() == reflect.Struct {
			for i := range typ.NumField() {
				if f := typ.Field(i); f.IsExported() {
					names = append(names, name+"."+f.Name)
				}
			}
		}
		for i := range v.Type().NumMethod() { // *T: the methods of T too
			names = append(names, name+"."+v.Type().Method(i).Name)
		}
	}
	slices.Sort(names)
	return names
}
