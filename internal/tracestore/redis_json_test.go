package tracestore

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

// FuzzSpanJSON checks that appendSpanJSON's text decodes to what
// encoding/json's decodes to, and fails where it fails.
func FuzzSpanJSON(f *testing.F) {
	f.Add("7ace0001", "web", "GET /\"q\"\n", "échec \x01 \xff \u2028", "k", "<v&>", int64(1_900_000_000_123_456_789), int64(5e9), true)
	f.Add("", "", "", "", "", "", int64(0), int64(0), false)
	f.Add("x", "服务😀", "\\", "\t\r", "", "", int64(-9_000_000_000_000_000_000), int64(-1), true)
	f.Fuzz(func(t *testing.T, id, svc, op, msg, key, val string, start, d int64, logs bool) {
		sp := Span{TraceID: id, SpanID: id, ParentID: op, Service: svc, Operation: op, Start: time.Unix(0, start).In(time.FixedZone("z", int(d%50000))),
			Duration: time.Duration(d), Error: msg, ErrorType: key, Host: val}
		if key != "" || val != "" {
			sp.Tags = []Tag{{Key: key, Value: val}, {Key: val, Value: key}}
		}
		if logs {
			sp.Logs = []Log{{Time: sp.Start.Add(time.Duration(d)), Message: msg}, {Time: time.Unix(d, 0), Message: val, Fields: sp.Tags}}
		}
		mine, err := appendSpanJSON(nil, &sp)
		want, werr := json.Marshal(&sp)
		if (err != nil) != (werr != nil) {
			t.Fatalf("appendSpanJSON error %v, encoding/json's %v", err, werr)
		}
		if err != nil {
			return
		}
		if !json.Valid(mine) {
			t.Fatalf("not JSON: %s", mine)
		}
		var got, exp Span
		if err := json.Unmarshal(mine, &got); err != nil {
			t.Fatalf("%v: %s", err, mine)
		}
		if err := json.Unmarshal(want, &exp); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, exp) {
			t.Fatalf("decoded\n%+v\nwant\n%+v\nfrom %s\nand  %s", got, exp, mine, want)
		}
	})
}
