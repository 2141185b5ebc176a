package main

import (
	"errors"
	"net/http"
	"strings"

	"github.com/jstrace-go/jstrace"
	"github.com/jstrace-go/jstrace/jstracehttp"
)

// gateway is the edge: POST /checkout {"item": "book", "qty": 2} checks
// the cart and asks orders to place the order.
type gateway struct {
	orders string
	client *http.Client
}

func newGateway(orders string) *gateway {
	return &gateway{orders: strings.TrimSuffix(orders, "/"), client: newClient()}
}

func (g *gateway) handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("POST /checkout", jstracehttp.HandlerFunc("checkout", g.checkout))
	return mux
}

// cart is a checkout's request, and the order orders places.
type cart struct {
	Item string `json:"item"`
	Qty  int    `json:"qty"`
}

// receipt is every service's answer: what became of the order, and the
// hops it took, this service's first.
type receipt struct {
	Status string `json:"status"` // "paid", or why not
	Order  int64  `json:"order,omitempty"`
	Amount int64  `json:"amount,omitempty"` // cents
	Hops   []hop  `json:"hops"`
}

var errBadCart = errors.New("a cart wants an item and a quantity of 1 to 10")

func (g *gateway) checkout(w http.ResponseWriter, r *http.Request) {
	var c cart
	_, span := jstrace.StartSpan(r.Context(), "validate cart")
	err := readJSON(w, r, &c)
	if err == nil && (c.Item == "" || len(c.Item) > 64 || c.Qty < 1 || c.Qty > 10) {
		err = errBadCart
	}
	span.SetTag("item", c.Item)
	span.SetTag("qty", c.Qty)
	if err != nil {
		span.SetError(err)
	}
	span.End()
	if err != nil {
		writeJSON(w, http.StatusBadRequest, receipt{Status: errBadCart.Error(), Hops: []hop{hopOf(r)}})
		return
	}

	var rc receipt
	status, _, err := postJSON(r.Context(), g.client, g.orders+"/orders", c, &rc)
	if err != nil {
		jstracehttp.Error(r.Context(), err)
		writeJSON(w, http.StatusBadGateway, receipt{Status: "orders unavailable", Hops: []hop{hopOf(r)}})
		return
	}
	rc.Hops = append([]hop{hopOf(r)}, rc.Hops...)
	writeJSON(w, status, rc)
}
