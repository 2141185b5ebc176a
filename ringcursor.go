package jstrace

import "encoding/binary"

// A runCursor walks the frames of one run: a then b, the bytes of a shard
// (b non-empty when they wrap around the end of its buffer).
type runCursor struct {
	a, b    []byte
	off     int    // of the current frame in a++b
	frame   []byte // the current frame; nil when the run is done
	ts      int64  // its record's time
	scratch []byte // a frame that straddles a and b, made whole
}

func (c *runCursor) start() {
	c.off, c.frame = 0, nil
	c.read()
}

// next moves to the frame after the current one.
func (c *runCursor) next() {
	c.off += len(c.frame)
	c.read()
}

// read makes the frame at off current.
func (c *runCursor) read() {
	var p []byte // the bytes from off, in the piece that holds off
	if c.off < len(c.a) {
		p = c.a[c.off:]
	} else {
		p = c.b[c.off-len(c.a):]
	}
	if len(p) == 0 {
		c.frame = nil
		return
	}
	if v, w := binary.Uvarint(p); w > 0 && w+int(v) <= len(p) { // the common case: the frame in one piece
		c.frame = p[:w+int(v)]
		c.ts = recordTime(c.frame[w:])
		return
	}
	c.readSplit()
}

// readSplit is read for a frame that straddles a and b.
func (c *runCursor) readSplit() {
	rest := len(c.a) + len(c.b) - c.off
	var hdr [frameHdr]byte
	for k := range min(rest, frameHdr) {
		hdr[k] = c.byteAt(c.off + k)
	}
	v, w := binary.Uvarint(hdr[:])
	size := w + int(v)
	if w <= 0 || size > rest { // cannot happen: shards hold whole frames
		w, size = 0, rest
	}
	c.frame = c.span(c.off, size)
	c.ts = recordTime(c.frame[w:])
}

func (c *runCursor) byteAt(i int) byte {
	if i < len(c.a) {
		return c.a[i]
	}
	return c.b[i-len(c.a)]
}

// span returns n bytes of a++b from off, in one piece.
func (c *runCursor) span(off, n int) []byte {
	switch {
	case off+n <= len(c.a):
		return c.a[off : off+n]
	case off >= len(c.a):
		return c.b[off-len(c.a) : off-len(c.a)+n]
	}
	c.scratch = append(append(c.scratch[:0], c.a[off:]...), c.b[:off+n-len(c.a)]...)
	return c.scratch
}
