// Package symbols holds the yaegi symbol tables of the standard packages
// that jstrace scripts may import. It is generated from an allowlist by
// ./gen (go generate), never from yaegi's whole stdlib table: see
// gen/main.go for what is left out and why.
package symbols

import "reflect"

//go:generate go run ./gen

// Symbols maps "importpath/name" to the package's exported symbols, in the
// form interp.Use expects. Callers must copy it before handing it to an
// interpreter they customise: interp.Use copies the inner maps itself.
var Symbols = map[string]map[string]reflect.Value{}
