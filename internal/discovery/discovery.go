// Package discovery is how the jstrace CLI finds the agents of a machine:
// every agent writes a small JSON file into a run directory, and the CLI
// lists them.
//
// The run directory is $JSTRACE_RUN_DIR if set, else
// $XDG_RUNTIME_DIR/jstrace, else <os.TempDir()>/jstrace-<uid>. It is
// created with mode 0700 and files with mode 0600, so only the user who
// runs the service (and root) can see or use its entries.
package discovery

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// EnvRunDir overrides the run directory.
const EnvRunDir = "JSTRACE_RUN_DIR"

// An Entry describes one agent.
type Entry struct {
	PID      int       `json:"pid"`
	Title    string    `json:"title"`
	Hostname string    `json:"hostname"`
	Addr     string    `json:"addr"`
	TLS      bool      `json:"tls,omitempty"`
	Secret   string    `json:"secret,omitempty"` // proves the CLI's user can read the file
	Version  string    `json:"version"`
	Started  time.Time `json:"started"`
}

// Dir returns the run directory: override if not empty, else the default
// described in the package documentation.
func Dir(override string) string {
	if override != "" {
		return override
	}
	if d := os.Getenv(EnvRunDir); d != "" {
		return d
	}
	if d := os.Getenv("XDG_RUNTIME_DIR"); d != "" {
		return filepath.Join(d, "jstrace")
	}
	return filepath.Join(os.TempDir(), "jstrace-"+strconv.Itoa(os.Getuid()))
}

// Register writes e into dir and returns a function that removes it. The
// file is named after the pid and the port, so several agents of one process
// can coexist, and is written atomically. dir is created if needed, and
// refused if it is not private (see Private).
func Register(dir string, e Entry) (remove func() error, err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create run directory: %w", err)
	}
	if err := Private(dir); err != nil {
		return nil, err
	}
	data, err := json.Marshal(e)
	if err != nil {
		return nil, err
	}
	port := e.Addr[strings.LastIndexByte(e.Addr, ':')+1:]
	if strings.HasPrefix(e.Addr, "unix:") {
		port = filepath.Base(e.Addr)
	}
	name := filepath.Join(dir, fmt.Sprintf("%d-%s.json", e.PID, port))
	tmp, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("write discovery file: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("write discovery file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return nil, fmt.Errorf("write discovery file: %w", err)
	}
	if err := os.Rename(tmp.Name(), name); err != nil {
		return nil, fmt.Errorf("write discovery file: %w", err)
	}
	return func() error {
		if err := os.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return nil
	}, nil
}

// List returns the entries of dir whose process is alive, removing those of
// dead processes. A missing directory is no entries; a directory that is
// not private is an error: its entries could have been planted by another
// user to capture the scripts and tokens the CLI sends.
func List(dir string) ([]Entry, error) {
	files, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list run directory: %w", err)
	}
	if err := Private(dir); err != nil {
		return nil, err
	}
	var entries []Entry
	for _, f := range files {
		if f.IsDir() || !strings.HasSuffix(f.Name(), ".json") {
			continue
		}
		path := filepath.Join(dir, f.Name())
		data, err := os.ReadFile(path)
		if err != nil {
			continue // removed meanwhile
		}
		var e Entry
		if err := json.Unmarshal(data, &e); err != nil || e.PID <= 0 {
			continue
		}
		if !alive(e.PID) {
			os.Remove(path)
			continue
		}
		entries = append(entries, e)
	}
	return entries, nil
}
