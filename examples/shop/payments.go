package main

import (
	"context"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"

	"github.com/jstrace-go/jstrace"
	"github.com/jstrace-go/jstrace/jstracehttp"
)

// payments charges cards: POST /charge {"order": 7, "amount": 3998}. A
// fraction of charges is slow (the bank takes its time) and a fraction
// fails (the bank is unavailable: 503, with the error on the span).
type payments struct {
	slow, fail float64
	delay      time.Duration
}

func newPayments(slow float64, delay time.Duration, fail float64) *payments {
	return &payments{slow: slow, delay: delay, fail: fail}
}

func (p *payments) handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("POST /charge", jstracehttp.HandlerFunc("charge", p.charge))
	return mux
}

// bankError is a failed charge. Its ErrorCode and ErrorData are recorded
// in the span's error beside its type and message.
type bankError struct {
	Order int64
}

func (e *bankError) Error() string     { return "bank unavailable" }
func (e *bankError) ErrorCode() string { return "BANK_UNAVAILABLE" }
func (e *bankError) ErrorData() any    { return map[string]any{"order": e.Order, "retry": true} }

func (p *payments) charge(w http.ResponseWriter, r *http.Request) {
	var c charge
	if err := readJSON(w, r, &c); err != nil || c.Amount <= 0 {
		writeJSON(w, http.StatusBadRequest, receipt{Status: "bad charge", Hops: []hop{hopOf(r)}})
		return
	}
	ctx, span := jstrace.StartSpan(r.Context(), "charge card", "order", c.Order, "amount", c.Amount, "card", "visa")
	if rand.Float64() < p.slow {
		span.Log("bank slow to answer", "delay", p.delay)
		if !sleep(ctx, p.delay) {
			span.SetError(ctx.Err())
			span.End()
			return
		}
	}
	if rand.Float64() < p.fail {
		err := &bankError{Order: c.Order}
		span.SetError(err)
		span.End()
		jstracehttp.Error(r.Context(), err)
		writeJSON(w, http.StatusServiceUnavailable, receipt{Status: err.Error(), Order: c.Order, Hops: []hop{hopOf(r)}})
		return
	}
	auth := strconv.FormatUint(rand.Uint64N(1e6), 10)
	span.Log("authorised", "auth_code", auth)
	span.End()
	writeJSON(w, http.StatusOK, receipt{Status: "paid", Order: c.Order, Amount: c.Amount, Hops: []hop{hopOf(r)}})
}

// sleep waits d, or less if ctx ends first: it reports whether it waited
// all of d.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
