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
	return (&Lister{Dir: dir}).List()
}

// A Lister lists a run directory as List does, again and again, reading
// and parsing only the files that are new or changed since its last list
// (by name, inode, size and modification time), and asking the system whether a
// process is alive once a list however many agents it holds: a CLI that
// rescans a machine of 1,000 agents every second otherwise reads and
// parses 1,000 files a second (bench/README.md, Attach). The zero value
// with Dir set is ready; a Lister is for one goroutine at a time.
type Lister struct {
	Dir  string
	seen map[string]seenFile // by file name, from the last list
}

// seenFile is a file a Lister read: its inode, size and modification
// time then, and its entry (nil for a file that is not one: it is read
// again only once it changes).
type seenFile struct {
	ino  uint64
	size int64
	mod  time.Time
	e    *Entry
}

// List is the package's List, from what l read before where it can.
func (l *Lister) List() ([]Entry, error) {
	files, err := os.ReadDir(l.Dir)
	if errors.Is(err, fs.ErrNotExist) {
		l.seen = nil
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list run directory: %w", err)
	}
	if err := Private(l.Dir); err != nil {
		return nil, err
	}
	seen := make(map[string]seenFile, len(files))
	live := map[int]bool{}
	var entries []Entry
	for _, f := range files {
		name := f.Name()
		if f.IsDir() || !strings.HasSuffix(name, ".json") {
			continue
		}
		info, err := f.Info()
		if err != nil {
			continue // removed meanwhile
		}
		path := filepath.Join(l.Dir, name)
		s, ok := l.seen[name]
		if !ok || s.ino != inode(info) || s.size != info.Size() || !s.mod.Equal(info.ModTime()) {
			if s, ok = read(path, info); !ok {
				continue // removed meanwhile
			}
		}
		seen[name] = s
		if s.e == nil {
			continue
		}
		pid := s.e.PID
		if _, ok := live[pid]; !ok {
			live[pid] = alive(pid)
		}
		if !live[pid] {
			os.Remove(path)
			delete(seen, name)
			continue
		}
		entries = append(entries, *s.e)
	}
	l.seen = seen
	return entries, nil
}

// read reads the file at path, described by info; ok is false if it could
// not be read.
func read(path string, info fs.FileInfo) (s seenFile, ok bool) {
	data, err := os.ReadFile(path)
	if err != nil {
		return s, false
	}
	s = seenFile{ino: inode(info), size: info.Size(), mod: info.ModTime()}
	var e Entry
	if err := json.Unmarshal(data, &e); err == nil && e.PID > 0 {
		s.e = &e
	}
	return s, true
}
