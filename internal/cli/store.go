package cli

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/jstrace-go/jstrace/internal/tracestore"
)

// EnvStore is the store of the commands that read or write one (trace,
// slow, errors, recent, collect) when --store is not given. It may hold a
// Redis password, so it is read after parsing, never shown.
const EnvStore = "JSTRACE_STORE"

// StoreOptions are the flags of the commands that use a trace store. The
// zero value uses the embedded store at its default path.
type StoreOptions struct {
	// Store (--store, $JSTRACE_STORE) is a file path (or file:PATH) of an
	// embedded store, or redis://[user:password@]host:port[/db] (rediss://
	// with TLS). Default "": the embedded store at tracestore.DefaultPath.
	Store string

	// open, if set, stands in for tracestore.Open (tests).
	open func(ctx context.Context, where string) (tracestore.Store, error)
}

// addStoreFlag binds --store to o. Its default is not the environment's:
// fromEnv reads it after parsing, so a password never shows in --help.
func addStoreFlag(c *cobra.Command, o *StoreOptions) {
	c.Flags().StringVar(&o.Store, "store", "", "trace store: a file path, or redis://[user:password@]host:port[/db] (env "+EnvStore+"; default "+defaultStoreHelp+")")
}

// defaultStoreHelp is the default store as help says it: the path itself
// would show the user's home.
const defaultStoreHelp = "$XDG_STATE_HOME/jstrace/traces.db or ~/.local/state/jstrace/traces.db"

// fromEnv sets Store from $JSTRACE_STORE when --store was not given.
func (o *StoreOptions) fromEnv(cmd *cobra.Command) {
	if !cmd.Flags().Changed("store") {
		o.Store = os.Getenv(EnvStore)
	}
}

// name is the store as messages show it: its password replaced.
func (o *StoreOptions) name() string {
	if o.Store == "" {
		if p, err := tracestore.DefaultPath(); err == nil {
			return p
		}
		return "the default store"
	}
	return tracestore.Redact(o.Store)
}

// openStore opens the store; its errors (ExitStore) never quote a
// password.
func (o *StoreOptions) openStore(ctx context.Context) (tracestore.Store, error) {
	open := o.open
	if open == nil {
		open = func(ctx context.Context, where string) (tracestore.Store, error) {
			return tracestore.Open(ctx, where, tracestore.Options{})
		}
	}
	s, err := open(ctx, o.Store)
	if err != nil {
		return nil, withCode(ExitStore, o.storeError("open", err))
	}
	return s, nil
}

// storeError says which store failed at what, its message cleared of the
// store's password whatever the error quotes, still wrapping err.
func (o *StoreOptions) storeError(what string, err error) error {
	name := o.name()
	msg := err.Error()
	if !strings.Contains(msg, name) {
		msg = fmt.Sprintf("%s store %s: %s", what, name, msg)
	}
	if u, perr := url.Parse(o.Store); perr == nil && u.User != nil {
		if pw, ok := u.User.Password(); ok && pw != "" {
			msg = strings.ReplaceAll(msg, pw, "xxxxx")
		}
	} else if perr != nil && strings.Contains(o.Store, "@") {
		msg = strings.ReplaceAll(msg, o.Store, name) // unparsable: never quoted whole
	}
	return &storeError{msg: msg, err: err}
}

// storeError is an error of a store, its message made safe to print.
type storeError struct {
	msg string
	err error
}

func (e *storeError) Error() string { return e.msg }
func (e *storeError) Unwrap() error { return e.err }
