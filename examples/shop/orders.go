package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/jstrace-go/jstrace"
	"github.com/jstrace-go/jstrace/jstracehttp"
	"github.com/jstrace-go/jstrace/jstracesql"
)

// orders places orders: POST /orders {"item": "book", "qty": 2} reserves
// the stock in SQLite, asks payments to charge the amount, and gives the
// stock back if the charge fails.
type orders struct {
	db       *sql.DB
	payments string
	client   *http.Client
}

// catalogue is the shop's stock: item, price in cents.
var catalogue = []struct {
	item  string
	price int64
}{{"book", 1999}, {"lamp", 4500}, {"mug", 899}, {"pen", 250}}

// restock is the quantity an item is topped up to when it runs out: the
// shop never closes.
const restock = 1000

func newOrders(dsn, payments string) (*orders, error) {
	db, err := jstracesql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	// One connection: an in-memory SQLite database lives per connection.
	db.SetMaxOpenConns(1)
	stmts := []string{
		`CREATE TABLE IF NOT EXISTS stock (item TEXT PRIMARY KEY, price INTEGER NOT NULL, qty INTEGER NOT NULL)`,
		`CREATE TABLE IF NOT EXISTS orders (id INTEGER PRIMARY KEY, item TEXT NOT NULL, qty INTEGER NOT NULL, status TEXT NOT NULL)`,
	}
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			db.Close()
			return nil, fmt.Errorf("create tables: %w", err)
		}
	}
	for _, c := range catalogue {
		if _, err := db.Exec(`INSERT OR IGNORE INTO stock (item, price, qty) VALUES (?, ?, ?)`, c.item, c.price, restock); err != nil {
			db.Close()
			return nil, fmt.Errorf("stock %s: %w", c.item, err)
		}
	}
	return &orders{db: db, payments: strings.TrimSuffix(payments, "/"), client: newClient()}, nil
}

func (o *orders) close() { o.db.Close() }

func (o *orders) handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("POST /orders", jstracehttp.HandlerFunc("place-order", o.place))
	return mux
}

var errNoSuchItem = errors.New("no such item")

// charge is what orders asks of payments.
type charge struct {
	Order  int64 `json:"order"`
	Amount int64 `json:"amount"`
}

func (o *orders) place(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var c cart
	if err := readJSON(w, r, &c); err != nil || c.Qty < 1 {
		writeJSON(w, http.StatusBadRequest, receipt{Status: "bad order", Hops: []hop{hopOf(r)}})
		return
	}
	id, amount, err := o.reserve(ctx, c)
	switch {
	case errors.Is(err, errNoSuchItem):
		writeJSON(w, http.StatusNotFound, receipt{Status: "no such item", Hops: []hop{hopOf(r)}})
		return
	case err != nil:
		jstracehttp.Error(ctx, err)
		writeJSON(w, http.StatusInternalServerError, receipt{Status: "database error", Hops: []hop{hopOf(r)}})
		return
	}

	var rc receipt
	status, _, err := postJSON(ctx, o.client, o.payments+"/charge", charge{Order: id, Amount: amount}, &rc)
	if err == nil && status != http.StatusOK {
		err = fmt.Errorf("payments answered %d: %s", status, rc.Status)
	}
	if err != nil {
		jstracehttp.Error(ctx, fmt.Errorf("charge order %d: %w", id, err))
		o.release(ctx, id, c)
		writeJSON(w, http.StatusBadGateway, receipt{Status: "payment failed", Order: id, Amount: amount, Hops: append([]hop{hopOf(r)}, rc.Hops...)})
		return
	}
	if _, err := o.db.ExecContext(ctx, `UPDATE orders SET status = 'paid' WHERE id = ?`, id); err != nil {
		jstracehttp.Error(ctx, err)
	}
	rc.Order, rc.Amount = id, amount
	rc.Hops = append([]hop{hopOf(r)}, rc.Hops...)
	writeJSON(w, http.StatusOK, rc)
}

// reserve takes c's quantity out of the stock and records the order, in a
// span of its own around the SQL (which jstracesql traces), returning the
// order's ID and amount.
func (o *orders) reserve(ctx context.Context, c cart) (id, amount int64, err error) {
	ctx, span := jstrace.StartSpan(ctx, "reserve stock", "item", c.Item, "qty", c.Qty)
	defer func() {
		if err != nil && !errors.Is(err, errNoSuchItem) {
			span.SetError(err)
		}
		span.End()
	}()
	tx, err := o.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, 0, fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	var price, left int64
	err = tx.QueryRowContext(ctx, `SELECT price, qty FROM stock WHERE item = ?`, c.Item).Scan(&price, &left)
	if errors.Is(err, sql.ErrNoRows) {
		span.Log("unknown item")
		return 0, 0, errNoSuchItem
	}
	if err != nil {
		return 0, 0, fmt.Errorf("read stock: %w", err)
	}
	if left < int64(c.Qty) {
		span.Log("restocked", "item", c.Item, "had", left)
		left = restock
	}
	if _, err := tx.ExecContext(ctx, `UPDATE stock SET qty = ? WHERE item = ?`, left-int64(c.Qty), c.Item); err != nil {
		return 0, 0, fmt.Errorf("take stock: %w", err)
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO orders (item, qty, status) VALUES (?, ?, 'reserved')`, c.Item, c.Qty)
	if err == nil {
		id, err = res.LastInsertId()
	}
	if err == nil {
		err = tx.Commit()
	}
	if err != nil {
		return 0, 0, fmt.Errorf("record order: %w", err)
	}
	amount = price * int64(c.Qty)
	span.SetTag("order", id)
	span.SetTag("amount", amount)
	span.Log("reserved", "left", left-int64(c.Qty))
	return id, amount, nil
}

// release gives a failed order's stock back.
func (o *orders) release(ctx context.Context, id int64, c cart) {
	ctx, span := jstrace.StartSpan(ctx, "release stock", "order", id, "item", c.Item, "qty", c.Qty)
	defer span.End()
	if _, err := o.db.ExecContext(ctx, `UPDATE stock SET qty = qty + ? WHERE item = ?`, c.Qty, c.Item); err != nil {
		span.SetError(err)
		return
	}
	if _, err := o.db.ExecContext(ctx, `UPDATE orders SET status = 'cancelled' WHERE id = ?`, id); err != nil {
		span.SetError(err)
	}
}
