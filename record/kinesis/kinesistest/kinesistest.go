// Package kinesistest starts the servers that tests of Kinesis code run
// against, on 127.0.0.1: kinesalite (a Kinesis server in Node) and dynalite
// (a DynamoDB server in Node, for a [kinesis.DynamoDBStore]).
//
//	func TestMyHandler(t *testing.T) {
//		db := kinesistest.StartDynamoDB(t)            // stopped when t ends
//		table := kinesistest.StateTable(t, db, "state")
//		store := kinesis.NewDynamoDBStore(db.DynamoDB(), table, nil)
//		...
//	}
//
// A Node module is looked up in this order: the environment variable that
// names its directory (ROWTIME_KINESALITE, ROWTIME_DYNALITE), then the
// shared cache directory $ROWTIME_TOOLS (default
// $XDG_CACHE_HOME/rowtime-test-tools, or ~/.cache/rowtime-test-tools),
// where the repository's .ci/run installs them too; if it is not there, it
// is installed there with npm. When that fails too, the test is skipped
// with a message saying what is missing, or fails when the environment
// variable CI is true, so that continuous integration never passes by
// skipping.
//
// Servers listen on free ports and are stopped (their whole process group
// killed) when the test ends. dynalite has no Time to Live and no
// transactions; kinesalite no enhanced fan-out.
package kinesistest

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
)

// Versions of the Node modules, the same as .ci/run installs.
const (
	KinesaliteVersion = "3.3.3"
	DynaliteVersion   = "4.0.0"
)

// ToolsDir returns the shared directory the tools are installed into.
func ToolsDir() (string, error) {
	if d := os.Getenv("ROWTIME_TOOLS"); d != "" {
		return d, nil
	}
	cache := os.Getenv("XDG_CACHE_HOME")
	if cache == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("kinesistest: no tools directory: %w", err)
		}
		cache = filepath.Join(home, ".cache")
	}
	return filepath.Join(cache, "rowtime-test-tools"), nil
}

// Unavailable stops the test because a tool cannot be had: Fatal when the
// environment variable CI is true, Skip otherwise.
func Unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s (CI=true: integration tests may not skip)", msg)
	}
	t.Skipf("%s; set CI=true to make this a failure", msg)
}

// InstallMu serializes installs into the tools directory within a test
// binary.
var InstallMu sync.Mutex

// NodeModule returns the directory of the Node module name@version: the
// one the environment variable env names, or the tools directory's,
// installed there with npm if need be. It also checks that node runs.
func NodeModule(t testing.TB, name, version, env string) string {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		Unavailable(t, "kinesistest: node is not installed: %v", err)
	}
	if p := os.Getenv(env); p != "" {
		if _, err := os.Stat(filepath.Join(p, "package.json")); err != nil {
			Unavailable(t, "kinesistest: %s=%s is not a Node module: %v", env, p, err)
		}
		return p
	}
	dir, err := ToolsDir()
	if err != nil {
		Unavailable(t, "%v", err)
	}
	root := filepath.Join(dir, name)
	mod := filepath.Join(root, "node_modules", name)
	InstallMu.Lock()
	defer InstallMu.Unlock()
	if _, err := os.Stat(filepath.Join(mod, "package.json")); err == nil {
		return mod
	}
	if _, err := exec.LookPath("npm"); err != nil {
		Unavailable(t, "kinesistest: %s not found (%s unset, none in %s) and npm is not installed", name, env, mod)
	}
	t.Logf("kinesistest: installing %s@%s into %s", name, version, root)
	if err := os.MkdirAll(root, 0o755); err != nil {
		Unavailable(t, "kinesistest: %v", err)
	}
	pkg := filepath.Join(root, "package.json")
	if _, err := os.Stat(pkg); err != nil {
		if err := os.WriteFile(pkg, []byte(`{"private":true}`+"\n"), 0o644); err != nil {
			Unavailable(t, "kinesistest: %v", err)
		}
	}
	cmd := exec.Command("npm", "install", "--no-audit", "--no-fund", "--loglevel=error", name+"@"+version)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		Unavailable(t, "kinesistest: %s not found and npm install failed: %v\n%s", name, err, out)
	}
	return mod
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("kinesistest: no free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// WaitListening polls addr until a TCP connection succeeds, the process
// exits (exited is closed), or timeout passes.
func WaitListening(addr string, exited <-chan struct{}, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return nil
		}
		if exited != nil {
			select {
			case <-exited:
				return fmt.Errorf("kinesistest: process exited before listening on %s", addr)
			default:
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("kinesistest: nothing listening on %s after %v: %w", addr, timeout, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Process is a server started in its own process group.
type Process struct {
	cmd    *exec.Cmd
	out    *lockedBuffer
	exited chan struct{}
	err    error // set before exited is closed
	once   sync.Once
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Start starts cmd in a new process group, its output captured, and
// returns at once. The caller stops it with Stop (t.Cleanup is the usual
// place).
func Start(cmd *exec.Cmd) (*Process, error) {
	p := &Process{cmd: cmd, out: &lockedBuffer{}, exited: make(chan struct{})}
	if cmd.Stdout == nil {
		cmd.Stdout = p.out
	}
	if cmd.Stderr == nil {
		cmd.Stderr = p.out
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		p.err = cmd.Wait()
		close(p.exited)
	}()
	return p, nil
}

// Output returns what the process has written to stdout and stderr so far
// (those not redirected by the caller).
func (p *Process) Output() string { return p.out.String() }

// Exited is closed when the process has exited.
func (p *Process) Exited() <-chan struct{} { return p.exited }

// Err returns the process's exit error; valid once Exited is closed.
func (p *Process) Err() error { return p.err }

// Pid returns the process id.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Kill sends sig to the process group and waits for the process to exit.
func (p *Process) Kill(sig syscall.Signal) {
	p.once.Do(func() {
		_ = syscall.Kill(-p.cmd.Process.Pid, sig)
		select {
		case <-p.exited:
		case <-time.After(5 * time.Second):
			_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
			<-p.exited
		}
		// Children left in the group go too.
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	})
}

// Stop kills the process group with SIGKILL and waits for the process.
func (p *Process) Stop() { p.Kill(syscall.SIGKILL) }

// A Server is a running kinesalite or dynalite.
type Server struct {
	// Endpoint is the server's URL, http://127.0.0.1:PORT.
	Endpoint string
	proc     *Process
}

// Output returns what the server has logged.
func (s *Server) Output() string { return s.proc.Output() }

// Credentials are the static test credentials the clients of a Server
// use: the servers check that requests are signed, not by whom.
var Credentials = aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
	return aws.Credentials{AccessKeyID: "test", SecretAccessKey: "test", Source: "kinesistest"}, nil
})

// Kinesis returns a Kinesis client of the server.
func (s *Server) Kinesis() *kinesis.Client {
	return kinesis.New(kinesis.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(s.Endpoint), Credentials: Credentials,
	})
}

// DynamoDB returns a DynamoDB client of the server.
func (s *Server) DynamoDB() *dynamodb.Client {
	return dynamodb.New(dynamodb.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(s.Endpoint), Credentials: Credentials,
	})
}

func startNode(t testing.TB, name, version, env, script string) *Server {
	t.Helper()
	mod := NodeModule(t, name, version, env)
	port := FreePort(t)
	cmd := exec.Command("node", "-e", script)
	cmd.Env = append(os.Environ(), "MOD="+mod, "PORT="+strconv.Itoa(port))
	p, err := Start(cmd)
	if err != nil {
		Unavailable(t, "kinesistest: starting %s: %v", name, err)
	}
	t.Cleanup(p.Stop)
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	if err := WaitListening(addr, p.Exited(), 20*time.Second); err != nil {
		t.Fatalf("%v\n%s output:\n%s", err, name, p.Output())
	}
	return &Server{Endpoint: "http://" + addr, proc: p}
}

// StartKinesis starts kinesalite on a free loopback port, with streams
// that become active at once, and stops it when the test ends.
func StartKinesis(t testing.TB) *Server {
	t.Helper()
	return startNode(t, "kinesalite", KinesaliteVersion, "ROWTIME_KINESALITE",
		`require(process.env.MOD)({createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0})`+
			`.listen(+process.env.PORT, '127.0.0.1', function (err) { if (err) throw err })`)
}

// StartDynamoDB starts dynalite on a free loopback port, with tables that
// become active at once, and stops it when the test ends.
func StartDynamoDB(t testing.TB) *Server {
	t.Helper()
	return startNode(t, "dynalite", DynaliteVersion, "ROWTIME_DYNALITE",
		`require(process.env.MOD)({createTableMs: 0, deleteTableMs: 0, updateTableMs: 0})`+
			`.listen(+process.env.PORT, '127.0.0.1', function (err) { if (err) throw err })`)
}

// StateTable creates the table of a kinesis.DynamoDBStore on srv (a
// partition key "key" of type String, on-demand capacity) and returns its
// name.
func StateTable(t testing.TB, srv *Server, name string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, err := srv.DynamoDB().CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String(name),
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("key"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("key"), KeyType: types.KeyTypeHash}},
		BillingMode:          types.BillingModePayPerRequest,
	})
	if err != nil {
		t.Fatalf("kinesistest: creating table %s: %v", name, err)
	}
	return name
}
