package agent

import (
	"testing"

	"github.com/jstrace-go/jstrace/internal/scripthost"
)

// The warner's ticks stop once nothing is left to check: before the
// patterns are checked they are due; after, only Aggregations' fields
// are, until every field Warning allowed was sent.
func TestWarnerIdle(t *testing.T) {
	var w warner
	if w.idle() {
		t.Fatal("idle before the patterns were checked")
	}
	w.checked = true
	if !w.idle() {
		t.Fatal("not idle with the patterns checked and no Aggregation")
	}
	w.aggs = append(w.aggs, fedAgg{"x", func() scripthost.FieldReport { return scripthost.FieldReport{} }})
	if w.idle() {
		t.Fatal("idle with an Aggregation's fields to check")
	}
	w.fields = maxWarnings
	if !w.idle() {
		t.Fatal("not idle with every field Warning sent")
	}
}
