// Package testenv finds, installs, starts and stops the servers that the
// integration tests of the lambda and consumer examples run against: the
// Lambda Runtime Interface Emulator and kinesalite, a Kinesis server in Node.
//
// Kinesalite, dynalite and the process handling come from
// record/kinesis/kinesistest; this package adds the emulator. A tool is
// looked up in this order: the environment variable that names it
// (ROWTIME_RIE for the emulator binary, ROWTIME_KINESALITE for the kinesalite
// module directory), then the shared cache directory
// $ROWTIME_TOOLS (default $XDG_CACHE_HOME/rowtime-test-tools, or
// ~/.cache/rowtime-test-tools), where .ci/run installs them too; if it is not
// there, testenv installs it there with go install or npm install. When that
// fails too, the test is skipped with a message saying what is missing, or
// fails when the environment variable CI is true, so that continuous
// integration never passes by skipping.
//
// Servers listen on 127.0.0.1 only, on free ports, and are stopped (their
// whole process group killed) when the test ends.
package testenv

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/rowtime/rowtime/record/kinesis/kinesistest"
)

// Versions of the tools, the same as .ci/run installs.
const (
	RIEModule        = "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie"
	RIEVersion       = "v0.0.0-20261030222936-bef5c4ba774d"
	KinesaliteModule = "kinesalite"
	KinesaliteVer    = kinesistest.KinesaliteVersion
)

// ToolsDir returns the shared directory the tools are installed into.
func ToolsDir() (string, error) { return kinesistest.ToolsDir() }

// unavailable stops the test because a tool cannot be had: Fatal under CI,
// Skip otherwise.
func unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	kinesistest.Unavailable(t, format, args...)
}

// RIE returns the path of the aws-lambda-rie binary, installing it into the
// tools directory if needed.
func RIE(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("ROWTIME_RIE"); p != "" {
		if fi, err := os.Stat(p); err != nil || fi.IsDir() {
			unavailable(t, "testenv: ROWTIME_RIE=%s is not a file: %v", p, err)
		}
		return p
	}
	dir, err := ToolsDir()
	if err != nil {
		unavailable(t, "%v", err)
	}
	bin := filepath.Join(dir, "bin", "aws-lambda-rie")
	kinesistest.InstallMu.Lock()
	defer kinesistest.InstallMu.Unlock()
	if _, err := os.Stat(bin); err == nil {
		return bin
	}
	t.Logf("testenv: installing %s@%s into %s", RIEModule, RIEVersion, filepath.Dir(bin))
	cmd := exec.Command("go", "install", RIEModule+"@"+RIEVersion)
	cmd.Env = append(os.Environ(), "GOBIN="+filepath.Dir(bin))
	if out, err := cmd.CombinedOutput(); err != nil {
		unavailable(t, "testenv: aws-lambda-rie not found (ROWTIME_RIE unset, none in %s) and go install failed: %v\n%s", bin, err, out)
	}
	return bin
}

// Kinesalite returns the directory of the kinesalite Node module,
// installing it into the tools directory if needed.
func Kinesalite(t testing.TB) string {
	t.Helper()
	return kinesistest.NodeModule(t, KinesaliteModule, KinesaliteVer, "ROWTIME_KINESALITE")
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort(t testing.TB) int { return kinesistest.FreePort(t) }

// WaitListening polls addr until a TCP connection succeeds, the process exits
// (exited is closed), or timeout passes.
func WaitListening(addr string, exited <-chan struct{}, timeout time.Duration) error {
	return kinesistest.WaitListening(addr, exited, timeout)
}

// waitFree polls addr until nothing accepts connections on it.
func waitFree(addr string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond)
		if err != nil {
			return nil
		}
		c.Close()
		if time.Now().After(deadline) {
			return fmt.Errorf("testenv: %s is still in use after %v", addr, timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Process is a server started in its own process group.
type Process = kinesistest.Process

// Start starts cmd in a new process group, its output captured, and returns
// at once. The caller stops it with Stop (t.Cleanup is the usual place).
func Start(cmd *exec.Cmd) (*Process, error) { return kinesistest.Start(cmd) }

// Build compiles the main package pkg (an import path or a directory) into
// dir/name with CGO_ENABLED=0 and returns the binary's path.
func Build(t testing.TB, pkg, dir, name string) string {
	t.Helper()
	out := filepath.Join(dir, name)
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("testenv: go build %s: %v\n%s", pkg, err, b)
	}
	return out
}

// Kinesis is a running kinesalite server.
type Kinesis = kinesistest.Server

// StartKinesis starts kinesalite on a free loopback port, with streams that
// become active at once, and stops it when the test ends.
func StartKinesis(t testing.TB) *Kinesis {
	t.Helper()
	return kinesistest.StartKinesis(t)
}

// RuntimeAPIAddr is where the emulator serves the Lambda runtime API to the
// function. It is fixed, so only one emulator can run on a machine at once:
// StartEmulator takes a lock file for the emulator's lifetime.
const RuntimeAPIAddr = "127.0.0.1:9001"

// Emulator is a running Lambda Runtime Interface Emulator with one function.
type Emulator struct {
	// URL is the function's invocation endpoint.
	URL string

	t         testing.TB
	rie       string
	bootstrap string
	env       []string
	port      int
	proc      *Process
	lock      *os.File
}

// StartEmulator runs the function binary bootstrap under the emulator on a
// free loopback port, with env added to the function's environment, and
// stops it when the test ends. Callers must not run emulators in parallel
// tests; across processes a lock file serializes them.
func StartEmulator(t testing.TB, bootstrap string, env ...string) *Emulator {
	t.Helper()
	e := &Emulator{t: t, rie: RIE(t), bootstrap: bootstrap, env: env}
	lock, err := lockFile(filepath.Join(os.TempDir(), "rowtime-lambda-rie-9001.lock"), 2*time.Minute)
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	e.lock = lock
	t.Cleanup(e.close)
	e.start()
	return e
}

func (e *Emulator) start() {
	e.t.Helper()
	if err := waitFree(RuntimeAPIAddr, 10*time.Second); err != nil {
		e.t.Fatalf("%v: another emulator or server holds the Lambda runtime API port", err)
	}
	e.port = FreePort(e.t)
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(e.port))
	cmd := exec.Command(e.rie, "--runtime-interface-emulator-address", addr, e.bootstrap)
	cmd.Env = append(os.Environ(), e.env...)
	cmd.Env = append(cmd.Env, "AWS_LAMBDA_FUNCTION_TIMEOUT=60")
	p, err := Start(cmd)
	if err != nil {
		e.t.Fatalf("testenv: starting %s: %v", e.rie, err)
	}
	e.proc = p
	if err := WaitListening(addr, p.Exited(), 20*time.Second); err != nil {
		e.t.Fatalf("%v\nemulator output:\n%s", err, p.Output())
	}
	e.URL = "http://" + addr + "/2015-03-31/functions/function/invocations"
}

// Restart stops the emulator and its function process and starts them again:
// the next invocation is a cold start.
func (e *Emulator) Restart() {
	e.t.Helper()
	e.proc.Stop()
	e.start()
}

// Output returns what the emulator and the function have logged so far
// since the last start.
func (e *Emulator) Output() string { return e.proc.Output() }

func (e *Emulator) close() {
	if e.proc != nil {
		e.proc.Stop()
	}
	_ = waitFree(RuntimeAPIAddr, 5*time.Second)
	if e.lock != nil {
		_ = syscall.Flock(int(e.lock.Fd()), syscall.LOCK_UN)
		e.lock.Close()
	}
}

// lockFile takes an exclusive flock on path, waiting up to timeout.
func lockFile(path string, timeout time.Duration) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o666)
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(timeout)
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return f, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) || time.Now().After(deadline) {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Invoke POSTs payload to the function and returns the response body. A
// function error (the emulator answers 200 with an errorType body, or a
// non-200 status) is returned as an error holding the body.
func (e *Emulator) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	return invoke(ctx, e.URL, payload)
}
