package jstracesql

import (
	"bytes"
	"flag"
	"fmt"
	"go/format"
	"os"
	"strings"
	"testing"
)

// The wrappers keep exactly the optional interfaces of what they wrap whose
// mere presence changes what database/sql does (see doc.go; the others they
// always implement, reproducing database/sql's fallback): for every subset
// of those there is a type embedding just those interfaces, generated here
// into wrap_gen.go. The test's fake driver needs every subset of every
// optional interface: its types are generated into wrap_gen_test.go.
// TestGenerated fails while the files are stale;
// `go test ./jstracesql -run TestGenerated -update` rewrites them.

var update = flag.Bool("update", false, "rewrite wrap_gen.go and wrap_gen_test.go")

// genKind is one kind of driver object: the prefix of its types' names,
// the type that implements every method (core), the interface it is
// returned as, the interface all subsets embed, and the optional
// interfaces, bit i of a mask for opts[i]. embed, when set, names for each
// optional interface the one the types embed: driver.Rows' optional
// interfaces embed driver.Rows itself, whose methods would then be
// ambiguous, and a field named ColumnConverter would hide the method of
// that name. has, when set, is for each bit the condition on x that sets
// it, when that is not x implementing the interface. nocmp makes the types
// incomparable, which spares an equality function for each (neither
// database/sql nor the wrapper compares them).
type genKind struct {
	name, core, ret, base string
	opts, embed, has      []string
	nocmp                 bool
}

var genWrap = []genKind{
	{"drv", "*drv", "driver.Driver", "driver.Driver", []string{"driver.DriverContext"}, nil, nil, false},
	{"connector", "*connector", "driver.Connector", "driver.Connector", []string{"io.Closer"}, nil, nil, false},
	{"conn", "*conn", "driver.Conn", "connBase", []string{
		"driver.ExecerContext", "driver.QueryerContext",
		"driver.SessionResetter", "driver.Validator",
	}, nil, []string{"hasExec(x)", "hasQuery(x)", "", ""}, true},
	{"stmt", "*stmt", "driver.Stmt", "stmtBase", []string{"driver.ColumnConverter"}, []string{"columnConverter"}, nil, true},
	{"rows", "*rows", "driver.Rows", "rowsBase", []string{"driver.RowsNextResultSet"}, []string{"rowsNextResultSet"}, nil, true},
}

var genFake = []genKind{
	{"fdrv", "*fakeDriver", "driver.Driver", "driver.Driver", []string{"driver.DriverContext"}, nil, nil, false},
	{"fconnector", "fakeConnector", "driver.Connector", "driver.Connector", []string{"io.Closer"}, nil, nil, false},
	{"fconn", "*fakeConn", "driver.Conn", "driver.Conn", []string{
		"driver.ConnBeginTx", "driver.ConnPrepareContext",
		"driver.ExecerContext", "driver.Execer",
		"driver.QueryerContext", "driver.Queryer",
		"driver.Pinger", "driver.SessionResetter", "driver.Validator",
		"driver.NamedValueChecker",
	}, nil, nil, true},
	{"fstmt", "*fakeStmt", "driver.Stmt", "driver.Stmt", []string{
		"driver.StmtExecContext", "driver.StmtQueryContext",
		"driver.NamedValueChecker", "driver.ColumnConverter",
	}, []string{
		"driver.StmtExecContext", "driver.StmtQueryContext",
		"driver.NamedValueChecker", "columnConverter",
	}, nil, true},
	{"frows", "*fakeRows", "driver.Rows", "driver.Rows", []string{
		"driver.RowsNextResultSet", "driver.RowsColumnTypeScanType",
		"driver.RowsColumnTypeDatabaseTypeName", "driver.RowsColumnTypeLength",
		"driver.RowsColumnTypeNullable", "driver.RowsColumnTypePrecisionScale",
	}, []string{
		"rowsNextResultSet", "rowsScanType", "rowsDatabaseTypeName",
		"rowsLength", "rowsNullable", "rowsPrecisionScale",
	}, nil, true},
}

func (k genKind) embedded(i int) string {
	if k.embed != nil {
		return k.embed[i]
	}
	return k.opts[i]
}

// write writes k's mask function, its types and the table that builds,
// from a core, the type of each mask.
func (k genKind) write(b *bytes.Buffer, table string) {
	fmt.Fprintf(b, "\n// %sMask returns the optional interfaces x has, bit i for the i-th below.\n", k.name)
	fmt.Fprintf(b, "func %sMask(x any) (m uint) {\n", k.name)
	for i, o := range k.opts {
		if k.has != nil && k.has[i] != "" {
			fmt.Fprintf(b, "\tif %s {\n\t\tm |= 1 << %d\n\t}\n", k.has[i], i)
			continue
		}
		fmt.Fprintf(b, "\tif _, ok := x.(%s); ok {\n\t\tm |= 1 << %d\n\t}\n", o, i)
	}
	b.WriteString("\treturn m\n}\n\n")
	n := 1 << len(k.opts)
	for m := 0; m < n; m++ {
		fmt.Fprintf(b, "type %s%d struct {\n", k.name, m)
		if k.nocmp {
			b.WriteString("\t_ nocmp\n")
		}
		fmt.Fprintf(b, "\t%s\n", k.base)
		for i := range k.opts {
			if m&(1<<i) != 0 {
				fmt.Fprintf(b, "\t%s\n", k.embedded(i))
			}
		}
		b.WriteString("}\n")
	}
	fmt.Fprintf(b, "\n// %s[m](x) is x exposing the optional interfaces of mask m only.\n", table)
	fmt.Fprintf(b, "var %s = [%d]func(%s) %s{\n", table, n, k.core, k.ret)
	for m := 0; m < n; m++ {
		fields := "x"
		if k.nocmp {
			fields = "nocmp{}, x"
		}
		for i := range k.opts {
			if m&(1<<i) != 0 {
				fields += ", x"
			}
		}
		fmt.Fprintf(b, "\tfunc(x %s) %s { return %s%d{%s} },\n", k.core, k.ret, k.name, m, fields)
	}
	b.WriteString("}\n")
}

const genHeader = "// Code generated by gen_test.go (go test ./jstracesql -run TestGenerated -update); DO NOT EDIT.\n\n"

// generate returns wrap_gen.go and the fakes' types, wrap_gen_test.go.
func generate() (wrap, fakes []byte) {
	var b, f bytes.Buffer
	imports := "package jstracesql\n\nimport (\n\t\"database/sql/driver\"\n\t\"io\"\n)\n"
	b.WriteString(genHeader + imports)
	f.WriteString(genHeader + imports)
	for _, k := range genWrap {
		k.write(&b, k.name+"As")
	}
	for _, k := range genFake {
		k.write(&f, "fake"+strings.ToUpper(k.name[1:2])+k.name[2:]+"As")
	}
	var err error
	if wrap, err = format.Source(b.Bytes()); err != nil {
		panic(err)
	}
	if fakes, err = format.Source(f.Bytes()); err != nil {
		panic(err)
	}
	return wrap, fakes
}

func TestGenerated(t *testing.T) {
	wrap, fakes := generate()
	for file, want := range map[string][]byte{"wrap_gen.go": wrap, "wrap_gen_test.go": fakes} {
		if *update {
			if err := os.WriteFile(file, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(file)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s is stale (%v): run go test ./jstracesql -run TestGenerated -update", file, err)
		}
	}
}
