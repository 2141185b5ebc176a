package main

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"

	"github.com/jstrace-go/jstrace/jstracehttp"
)

// app is the service: its routes over the users table.
type app struct {
	db    *sql.DB
	cache *cache
}

func newApp(db *sql.DB) (*app, error) {
	// One connection: an in-memory SQLite database lives per connection.
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(`CREATE TABLE IF NOT EXISTS users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, created INTEGER NOT NULL)`); err != nil {
		return nil, fmt.Errorf("create table: %w", err)
	}
	for i := 1; i <= 100; i++ {
		if _, err := db.Exec(`INSERT OR IGNORE INTO users (id, name, created) VALUES (?, ?, ?)`, i, "user-"+strconv.Itoa(i), time.Now().Unix()); err != nil {
			return nil, fmt.Errorf("seed: %w", err)
		}
	}
	return &app{db: db, cache: newCache(256)}, nil
}

// handler is the routes behind three traced middleware layers, outermost
// first: recover (a panic becomes a 500), auth (a bearer token), cache
// (GET /users/{id} answered from memory).
func (a *app) handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /users/{id}", jstracehttp.HandlerFunc("get-user", a.getUser))
	mux.Handle("POST /users", jstracehttp.HandlerFunc("create-user", a.createUser))
	mux.Handle("GET /slow", jstracehttp.HandlerFunc("slow", a.slow))
	mux.Handle("GET /fail", jstracehttp.HandlerFunc("fail", a.fail))
	mux.Handle("GET /panic", jstracehttp.HandlerFunc("panic", func(http.ResponseWriter, *http.Request) {
		panic("the panic route panicked, as it does")
	}))
	var h http.Handler = mux
	h = jstracehttp.Layer("cache", a.cache.middleware)(h)
	h = jstracehttp.Layer("auth", auth)(h)
	h = jstracehttp.Layer("recover", recoverPanics)(h)
	return jstracehttp.Middleware(h)
}

type user struct {
	ID      int64  `json:"id"`
	Name    string `json:"name"`
	Created int64  `json:"created"`
}

func (a *app) getUser(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		http.Error(w, "bad user id", http.StatusBadRequest)
		return
	}
	var u user
	err = a.db.QueryRowContext(r.Context(), `SELECT id, name, created FROM users WHERE id = ?`, id).Scan(&u.ID, &u.Name, &u.Created)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		http.Error(w, "no such user", http.StatusNotFound)
	case err != nil:
		jstracehttp.Error(r.Context(), err)
		http.Error(w, "database error", http.StatusInternalServerError)
	default:
		writeJSON(w, u)
	}
}

func (a *app) createUser(w http.ResponseWriter, r *http.Request) {
	var u user
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<10)).Decode(&u); err != nil || u.Name == "" {
		http.Error(w, "want {\"name\": ...}", http.StatusBadRequest)
		return
	}
	tx, err := a.db.BeginTx(r.Context(), nil)
	if err != nil {
		jstracehttp.Error(r.Context(), err)
		http.Error(w, "database error", http.StatusInternalServerError)
		return
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(r.Context(), `INSERT INTO users (name, created) VALUES (?, ?)`, u.Name, time.Now().Unix())
	if err == nil {
		u.ID, err = res.LastInsertId()
	}
	if err == nil {
		err = tx.Commit()
	}
	if err != nil {
		jstracehttp.Error(r.Context(), err)
		http.Error(w, "database error", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusCreated)
	writeJSON(w, u)
}

// slow stands for a slow dependency: 50 to 250 ms, then a count.
func (a *app) slow(w http.ResponseWriter, r *http.Request) {
	select {
	case <-time.After(time.Duration(50+rand.IntN(200)) * time.Millisecond):
	case <-r.Context().Done():
		return
	}
	var n int
	if err := a.db.QueryRowContext(r.Context(), `SELECT count(*) FROM users`).Scan(&n); err != nil {
		jstracehttp.Error(r.Context(), err)
		http.Error(w, "database error", http.StatusInternalServerError)
		return
	}
	writeJSON(w, map[string]int{"users": n})
}

// fail runs a statement that cannot work, as a bug would.
func (a *app) fail(w http.ResponseWriter, r *http.Request) {
	_, err := a.db.ExecContext(r.Context(), `UPDATE no_such_table SET x = 1`)
	jstracehttp.Error(r.Context(), fmt.Errorf("update the audit log: %w", err))
	http.Error(w, "internal error", http.StatusInternalServerError)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}
