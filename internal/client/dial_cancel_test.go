package client

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"
)

// Dial to a peer that accepts and never answers returns as soon as its ctx
// is cancelled, not at the ctx's deadline, with an error that says so.
func TestDialCancelledDuringHandshake(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		time.Sleep(10 * time.Second)
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	time.AfterFunc(200*time.Millisecond, cancel)
	start := time.Now()
	_, err = Dial(ctx, ln.Addr().String(), Options{})
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Dial returned after %v, cancelled at 200ms", d)
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Dial: %v, want context.Canceled", err)
	}
}
