package protocol_test

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/jstrace-go/jstrace"
	"github.com/jstrace-go/jstrace/internal/protocol"
)

type named int

// AppendPlainField appends what a probe's encoder appends, for every
// plain type and its edges, and refuses what is not plain.
func TestPlainFieldsAsProbesEncode(t *testing.T) {
	cases := []struct {
		key   string
		v     any
		plain bool
	}{
		{"int", 7, true}, {"neg", -1 << 62, true}, {"min", int64(math.MinInt64), true},
		{"i32", int32(-5), true}, {"i16", int16(300), true}, {"i8", int8(-128), true},
		{"uint", uint(1 << 40), true}, {"u64", uint64(math.MaxUint64), true}, {"u32", uint32(9), true},
		{"u16", uint16(65535), true}, {"u8", uint8(255), true}, {"uptr", uintptr(12), true},
		{"f64", 1.5, true}, {"nan", math.NaN(), true}, {"negzero", math.Copysign(0, -1), true}, {"f32", float32(0.1), true},
		{"true", true, true}, {"false", false, true},
		{"dur", 1500 * time.Millisecond, true}, {"negdur", -time.Nanosecond, true},
		{"empty", "", true}, {"s", "GET", true}, {"utf8", "héllo ✓", true}, {"invalid", "\xff\xfe", true},
		{"long", strings.Repeat("x", 1<<10), true}, {strings.Repeat("k", 200), "long key", true},
		{"toolong", strings.Repeat("x", 1<<10+1), false}, {strings.Repeat("k", 1<<10+1), 1, false},
		{"named", named(3), false}, {"nil", nil, false}, {"time", time.Unix(5, 0), false},
		{"err", errors.New("e"), false}, {"bytes", []byte("b"), false},
	}
	p := jstrace.NewProbe("test:plain")
	for _, c := range cases {
		t.Run(c.key[:min(len(c.key), 8)], func(t *testing.T) {
			var rec []byte
			stop := jstrace.SubscribeFunc(func(n string) bool { return n == "test:plain" }, func(e jstrace.Event) {
				rec = append([]byte(nil), e.Record()...)
			})
			p.Emit(c.key, c.v)
			stop.Close()
			r, err := protocol.ParseRecord(rec)
			if err != nil {
				t.Fatal(err)
			}
			prefix := []byte("prefix")
			got, ok := protocol.AppendPlainField(prefix, c.key, c.v)
			if ok != c.plain {
				t.Fatalf("plain %v, want %v", ok, c.plain)
			}
			if !ok {
				if !bytes.Equal(got, prefix) {
					t.Errorf("refused, it appended %q", got[len(prefix):])
				}
				return
			}
			if !bytes.Equal(got[len(prefix):], r.Fields) {
				t.Errorf("appended %x, the probe's record holds %x", got[len(prefix):], r.Fields)
			}
		})
	}
}
