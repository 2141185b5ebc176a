//go:build linux

package e2e

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

// openPTY returns a pseudo-terminal of cols×rows: the side to read (the
// master) and the side a process writes to as its terminal.
func openPTY(t *testing.T, cols, rows uint16) (master, term *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	ioctl := func(f *os.File, req uintptr, arg unsafe.Pointer) {
		if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, f.Fd(), req, uintptr(arg)); errno != 0 {
			t.Fatalf("ioctl %#x: %v", req, errno)
		}
	}
	var unlock int32
	ioctl(m, syscall.TIOCSPTLCK, unsafe.Pointer(&unlock))
	var n uint32
	ioctl(m, syscall.TIOCGPTN, unsafe.Pointer(&n))
	s, err := os.OpenFile("/dev/pts/"+strconv.Itoa(int(n)), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	ws := struct{ row, col, x, y uint16 }{rows, cols, 0, 0}
	ioctl(s, syscall.TIOCSWINSZ, unsafe.Pointer(&ws))
	return m, s
}

var redraw = regexp.MustCompile(`\r\x1b\[(\d+)A\x1b\[J`)

// On a terminal, the CLI redraws each frame of Local's traces.Draw in
// place: it moves the cursor up over exactly the rows the previous frame
// took and clears them, and the script's drawing takes the terminal's
// width.
func TestDrawRedrawsOnTerminal(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.start("api", "web-1")
	master, term := openPTY(t, 72, 40)
	cmd := exec.Command(bin.jstrace, "--duration", "3500ms", "-t", "api", "examples/scripts/status-bars.go")
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "COLUMNS=") {
			env = append(env, kv)
		}
	}
	cmd.Env = append(env, "JSTRACE_RUN_DIR="+e.runDir)
	cmd.Dir = "../.."
	var stderr syncBuffer
	cmd.Stdout, cmd.Stderr = term, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	term.Close() // the CLI holds it now
	var out bytes.Buffer
	read := make(chan struct{})
	go func() {
		io.Copy(&out, master) // until the CLI exits: EIO
		close(read)
	}()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("jstrace: %v\nstderr:\n%s", err, stderr.String())
		}
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("jstrace did not finish\nstderr:\n%s", stderr.String())
	}
	select {
	case <-read:
	case <-time.After(10 * time.Second):
		t.Fatal("the terminal was not closed")
	}
	noRace(t, "jstrace", stderr.String())

	// The terminal turns each \n into \r\n.
	text := strings.ReplaceAll(out.String(), "\r\n", "\n")
	moves := redraw.FindAllStringSubmatchIndex(text, -1)
	if len(moves) < 2 {
		t.Fatalf("%d redraws in 3.5s of frames every second, want 2 or more:\n%q", len(moves), text)
	}
	frames := redraw.Split(text, -1)
	for i, m := range moves {
		up, _ := strconv.Atoi(text[m[2]:m[3]])
		// Nothing else is printed on stdout: frames[i] is the frame
		// before this redraw, each line a row (narrower than 72).
		if rows := strings.Count(frames[i], "\n"); rows != up {
			t.Errorf("redraw %d moves up %d rows over a frame of %d:\n%q", i, up, rows, frames[i])
		}
	}
	for _, f := range frames {
		if f == "no requests yet\n" {
			continue // a second without requests (a loaded machine): the script drew no bars
		}
		widest := 0
		for _, l := range strings.Split(strings.TrimSuffix(f, "\n"), "\n") {
			widest = max(widest, len([]rune(l)))
		}
		if widest != 72 {
			t.Errorf("frame %d columns wide on a terminal of 72:\n%s", widest, f)
		}
	}
	if strings.Contains(text, "\n\n") {
		t.Errorf("an empty line between frames on a terminal:\n%q", text)
	}
}
