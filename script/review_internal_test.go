package script

import (
	"fmt"
	"testing"
)

// A new group's first buckets are charged when it is made, because
// update does not ask growth for them. newGroup charged them only for a
// value other than zero, which the log-linear and Pow2 layouts count
// apart; but Linear counts a zero in its buckets: every group whose first
// value was 0 held 128 bytes that neither MaxBytes nor the session's pool
// knew of.
func TestReviewAggregationBytesFirstZero(t *testing.T) {
	for _, h := range []Hist{{}, Pow2(), Linear(0, 100, 10), Linear(-50, 50, 1)} {
		t.Run(h.String(), func(t *testing.T) {
			a, err := newAggregation(Agg{By: "k", Of: "v", Hist: h})
			if err != nil {
				t.Fatal(err)
			}
			for i := range 50 {
				a.update([]byte(fmt.Sprint(i)), 0, true)
				a.update([]byte(fmt.Sprint(i)), 5, true)
			}
			var sum int64
			for _, g := range a.allGroups() {
				sum += groupCost + int64(len(g.Key)) + 8*int64(cap(g.hist.pos.n)+cap(g.hist.neg.n))
			}
			sum += a.keysCost()
			if sum != a.bytes {
				t.Fatalf("groups hold %d bytes, the aggregation counted %d", sum, a.bytes)
			}
		})
	}
}
