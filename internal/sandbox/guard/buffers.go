package guard

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"strings"

	"github.com/jstrace-go/jstrace/internal/printable"
)

// Builder and Buffer are strings.Builder and bytes.Buffer whose Grow
// refuses to grow past MaxAlloc: scripts see them under the original names
// (yaegi calls methods of native types through reflect, so the originals'
// Grow could not be guarded). Like the originals, they are not safe for
// concurrent use.

func checkGrow(have, n int) {
	if n > 0 && int64(n) > MaxAlloc-int64(have) {
		panic(fmt.Sprintf("Grow of %d bytes exceeds the scripts' limit of %d MiB", n, MaxAlloc>>20))
	}
}

// Builder is strings.Builder with a guarded Grow.
type Builder struct{ b strings.Builder }

// fmt prints Builders and Buffers by their String method, which copies:
// Check measures them by their Len.
func init() { printable.StringLen(reflect.TypeFor[*Builder](), reflect.TypeFor[*Buffer]()) }

func (b *Builder) Cap() int                          { return b.b.Cap() }
func (b *Builder) Grow(n int)                        { checkGrow(b.b.Len(), n); b.b.Grow(n) }
func (b *Builder) Len() int                          { return b.b.Len() }
func (b *Builder) Reset()                            { b.b.Reset() }
func (b *Builder) String() string                    { return b.b.String() }
func (b *Builder) Write(p []byte) (int, error)       { return b.b.Write(p) }
func (b *Builder) WriteByte(c byte) error            { return b.b.WriteByte(c) }
func (b *Builder) WriteRune(r rune) (int, error)     { return b.b.WriteRune(r) }
func (b *Builder) WriteString(s string) (int, error) { return b.b.WriteString(s) }

// Buffer is bytes.Buffer with a guarded Grow.
type Buffer struct{ b bytes.Buffer }

// NewBuffer is bytes.NewBuffer.
func NewBuffer(buf []byte) *Buffer {
	b := &Buffer{}
	b.b = *bytes.NewBuffer(buf)
	return b
}

// NewBufferString is bytes.NewBufferString.
func NewBufferString(s string) *Buffer {
	b := &Buffer{}
	b.b = *bytes.NewBufferString(s)
	return b
}

func (b *Buffer) Available() int                        { return b.b.Available() }
func (b *Buffer) AvailableBuffer() []byte               { return b.b.AvailableBuffer() }
func (b *Buffer) Bytes() []byte                         { return b.b.Bytes() }
func (b *Buffer) Cap() int                              { return b.b.Cap() }
func (b *Buffer) Grow(n int)                            { checkGrow(b.b.Len(), n); b.b.Grow(n) }
func (b *Buffer) Len() int                              { return b.b.Len() }
func (b *Buffer) Next(n int) []byte                     { return b.b.Next(n) }
func (b *Buffer) Peek(n int) ([]byte, error)            { return b.b.Peek(n) }
func (b *Buffer) Read(p []byte) (int, error)            { return b.b.Read(p) }
func (b *Buffer) ReadByte() (byte, error)               { return b.b.ReadByte() }
func (b *Buffer) ReadBytes(delim byte) ([]byte, error)  { return b.b.ReadBytes(delim) }
func (b *Buffer) ReadFrom(r io.Reader) (int64, error)   { checkSource(b, r); return b.b.ReadFrom(r) }
func (b *Buffer) ReadRune() (rune, int, error)          { return b.b.ReadRune() }
func (b *Buffer) ReadString(delim byte) (string, error) { return b.b.ReadString(delim) }
func (b *Buffer) Reset()                                { b.b.Reset() }
func (b *Buffer) String() string                        { return b.b.String() }
func (b *Buffer) Truncate(n int)                        { b.b.Truncate(n) }
func (b *Buffer) UnreadByte() error                     { return b.b.UnreadByte() }
func (b *Buffer) UnreadRune() error                     { return b.b.UnreadRune() }
func (b *Buffer) Write(p []byte) (int, error)           { return b.b.Write(p) }
func (b *Buffer) WriteByte(c byte) error                { return b.b.WriteByte(c) }
func (b *Buffer) WriteRune(r rune) (int, error)         { return b.b.WriteRune(r) }
func (b *Buffer) WriteString(s string) (int, error)     { return b.b.WriteString(s) }
func (b *Buffer) WriteTo(w io.Writer) (int64, error)    { return b.b.WriteTo(w) }

// Compact is json.Compact into a Buffer.
func Compact(dst *Buffer, src []byte) error { return json.Compact(&dst.b, src) }

// HTMLEscape is json.HTMLEscape into a Buffer.
func HTMLEscape(dst *Buffer, src []byte) { json.HTMLEscape(&dst.b, src) }

// IndentBuffer is Indent into a Buffer.
func IndentBuffer(dst *Buffer, src []byte, prefix, indent string) error {
	return Indent(&dst.b, src, prefix, indent)
}

// checkSource panics, in the script, if b would read from itself: a
// Buffer reading itself always has more to read, in native code no
// watchdog can stop.
func checkSource(b *Buffer, r io.Reader) {
	if r, ok := r.(*Buffer); ok && r == b {
		panic("bytes.Buffer.ReadFrom: a buffer cannot read from itself")
	}
}
