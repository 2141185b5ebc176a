package e2e

import (
	"bytes"
	"errors"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/jstrace-go/jstrace/internal/testcerts"
)

// TestScripts runs the user sessions in testdata/script, each a txtar
// file, in parallel. Each runs in a directory of its own ($WORK) with its
// own discovery directory ($JSTRACE_RUN_DIR), so no two see each other's
// agents. Besides testscript's own commands, a script has:
//
//	[!] jstrace args...   the real CLI; ! when it must exit non-zero
//	status code           the exit code of the last jstrace
//	service name title host [VAR=value...]
//	                      starts the example service with its agent and
//	                      waits until it serves; sets $name_PID, $name_HTTP
//	                      and $name_PORT (the agent's), logs to $WORK/name.log
//	alive name            the service still answers HTTP
//	certs                 writes a CA and server and client certificates
//	                      ($WORK/ca.pem, server.pem, server-key.pem,
//	                      client.pem, client-key.pem)
//
// Services are killed when their script ends; a data race reported by
// either binary fails the script.
func TestScripts(t *testing.T) {
	t.Parallel()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir:                "testdata/script",
		RequireUniqueNames: true,
		Setup: func(e *testscript.Env) error {
			e.Setenv("JSTRACE_RUN_DIR", filepath.Join(e.WorkDir, "run"))
			e.Setenv("EXAMPLES", filepath.Join(root, "examples", "scripts"))
			e.Values[scriptStateKey{}] = &scriptState{t: e.T(), services: map[string]*service{}}
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"jstrace": cmdJstrace,
			"status":  cmdStatus,
			"service": cmdService,
			"alive":   cmdAlive,
			"certs":   cmdCerts,
		},
	})
}

type scriptStateKey struct{}

// scriptState is what one script's commands share; a script runs its
// commands one at a time.
type scriptState struct {
	t        testscript.T // for failures found after the script's last line
	ran      bool         // a jstrace has run
	code     int          // its exit code
	services map[string]*service
}

func state(ts *testscript.TestScript) *scriptState {
	return ts.Value(scriptStateKey{}).(*scriptState)
}

func cmdJstrace(ts *testscript.TestScript, neg bool, args []string) {
	err := ts.Exec(bin.jstrace, args...)
	s := state(ts)
	s.ran, s.code = true, 0
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		s.code = exit.ExitCode()
	case err != nil:
		ts.Fatalf("jstrace: %v", err)
	}
	if strings.Contains(ts.ReadFile("stderr"), "WARNING: DATA RACE") {
		ts.Fatalf("jstrace reported a data race")
	}
	if neg != (s.code != 0) {
		ts.Fatalf("jstrace exited %d", s.code)
	}
}

func cmdStatus(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: status code")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	s := state(ts)
	if !s.ran {
		ts.Fatalf("status: no jstrace has run")
	}
	if s.code != want {
		ts.Fatalf("jstrace exited %d, want %d", s.code, want)
	}
}

func cmdService(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 3 {
		ts.Fatalf("usage: service name title host [VAR=value...]")
	}
	name, st := args[0], state(ts)
	if st.services[name] != nil {
		ts.Fatalf("service %s is already running", name)
	}
	logPath := ts.MkAbs(name + ".log")
	logFile, err := os.Create(logPath)
	ts.Check(err)
	cmd := exec.Command(bin.service, "-load", "100", "-max-delay", "2ms")
	cmd.Env = append(os.Environ(), "JSTRACE_RUN_DIR="+ts.Getenv("JSTRACE_RUN_DIR"),
		"JSTRACE_TITLE="+args[1], "JSTRACE_HOSTNAME="+args[2])
	cmd.Env = append(cmd.Env, args[3:]...)
	cmd.Stderr = logFile
	stdout, err := cmd.StdoutPipe()
	ts.Check(err)
	ts.Check(cmd.Start())
	svc := &service{cmd: cmd, pid: cmd.Process.Pid}
	st.services[name] = svc
	ts.Defer(func() {
		svc.kill()
		logFile.Close()
		// Past the script's end, so through T: ts.Fatalf is for commands.
		if b, _ := os.ReadFile(logPath); bytes.Contains(b, []byte("WARNING: DATA RACE")) {
			st.t.Fatal("service " + name + " reported a data race:\n" + string(b))
		}
	})
	line := firstLine(stdout)
	var m []string
	select {
	case l := <-line:
		if m = serviceLine.FindStringSubmatch(l); m == nil {
			ts.Fatalf("service %s said %q", name, l)
		}
	case <-time.After(startTimeout):
		ts.Fatalf("service %s did not start in %v", name, startTimeout)
	}
	svc.http = m[2]
	_, port, err := net.SplitHostPort(strings.TrimSuffix(m[3], ","))
	ts.Check(err)
	ts.Setenv(name+"_PID", strconv.Itoa(svc.pid))
	ts.Setenv(name+"_HTTP", svc.http)
	ts.Setenv(name+"_PORT", port)
}

func cmdAlive(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: alive name")
	}
	svc := state(ts).services[args[0]]
	if svc == nil {
		ts.Fatalf("no service %s", args[0])
	}
	ok := false
	if resp, err := http.Get(svc.http + "/"); err == nil {
		resp.Body.Close()
		ok = resp.StatusCode == 200
	}
	if ok == neg {
		ts.Fatalf("service %s answers: %v", args[0], ok)
	}
}

func cmdCerts(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: certs")
	}
	ts.Check(testcerts.New().Write(ts.MkAbs(".")))
}
