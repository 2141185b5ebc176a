package guard

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"github.com/jstrace-go/jstrace/internal/printable"
)

// MaxJSONDepth bounds the nesting of a value encoding/json encodes for a
// script: each interface, pointer, slice, map, array and struct level
// counts one. encoding/json recurses once per level, and a stack overflow
// kills the process.
const MaxJSONDepth = 1000

var jsonWalk = printable.Walk{FollowPointers: true, MaxDepth: MaxJSONDepth}

// checkJSON panics, in the script, if encoding/json could not encode v
// without overflowing the stack or allocating more than MaxAlloc with the
// given indentation: v too deep, cyclic, too large.
func checkJSON(v any, prefix, indent string) {
	size, err := jsonWalk.Check(v)
	if err != nil {
		panic("json: " + err.Error())
	}
	// Each value starts a line at most: the prefix, an indent per level,
	// and its own text (a few bytes beyond its strings).
	out := int64(size.Bytes) + int64(size.Nodes)*int64(len(prefix)+24) + int64(size.Depths)*int64(len(indent))
	if out > MaxAlloc {
		panic(fmt.Sprintf("json: the encoding of a value of %d parts with this indentation would exceed the scripts' limit of %d MiB", size.Nodes, MaxAlloc>>20))
	}
}

// Marshal is json.Marshal with the checks of checkJSON.
func Marshal(v any) ([]byte, error) {
	checkJSON(v, "", "")
	return json.Marshal(v)
}

// MarshalIndent is json.MarshalIndent with the checks of checkJSON.
func MarshalIndent(v any, prefix, indent string) ([]byte, error) {
	checkJSON(v, prefix, indent)
	return json.MarshalIndent(v, prefix, indent)
}

// Encoder is json.Encoder with the checks of checkJSON: scripts see it as
// json.Encoder, and json.NewEncoder returns it. Like json.Encoder, it is
// not safe for concurrent use.
type Encoder struct {
	enc            *json.Encoder
	prefix, indent string
}

// NewEncoder is json.NewEncoder.
func NewEncoder(w io.Writer) *Encoder { return &Encoder{enc: json.NewEncoder(w)} }

// Encode is json.Encoder.Encode with the checks of checkJSON.
func (e *Encoder) Encode(v any) error {
	if e.enc == nil {
		panic("json: Encode of an Encoder not made by NewEncoder")
	}
	checkJSON(v, e.prefix, e.indent)
	return e.enc.Encode(v)
}

// SetEscapeHTML is json.Encoder.SetEscapeHTML.
func (e *Encoder) SetEscapeHTML(on bool) {
	if e.enc != nil {
		e.enc.SetEscapeHTML(on)
	}
}

// SetIndent is json.Encoder.SetIndent.
func (e *Encoder) SetIndent(prefix, indent string) {
	e.prefix, e.indent = prefix, indent
	if e.enc != nil {
		e.enc.SetIndent(prefix, indent)
	}
}

// Indent is json.Indent, refusing an output beyond MaxAlloc: each of the
// src's delimiters may start a line of the prefix and an indent per level.
func Indent(dst *bytes.Buffer, src []byte, prefix, indent string) error {
	lines, depth, maxDepth := int64(0), int64(0), int64(0)
	inString, escaped := false, false
	for _, c := range src {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '[' || c == '{':
			lines++
			depth++
			maxDepth = max(maxDepth, depth)
		case c == ']' || c == '}':
			lines++
			depth--
		case c == ',':
			lines++
		}
	}
	out := int64(len(src)) + lines*(1+int64(len(prefix))+min(maxDepth, 1<<20)*int64(len(indent)))
	if out > MaxAlloc || (len(indent) > 0 && maxDepth > MaxAlloc/int64(len(indent))) {
		panic(fmt.Sprintf("json: Indent of %d bytes would exceed the scripts' limit of %d MiB", len(src), MaxAlloc>>20))
	}
	return json.Indent(dst, src, prefix, indent)
}
