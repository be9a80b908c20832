// Package clitest runs the example programs inside their tests and compares
// their output with golden files in testdata, rewritten by go test -update.
// Only tests import it.
package clitest

import (
	"bytes"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// A Main is an example program's body: its arguments and standard streams
// in, its exit status out.
type Main func(args []string, stdin io.Reader, stdout, stderr io.Writer) int

// Run runs main with args and stdin and returns what it wrote to stdout and
// stderr and its exit status.
func Run(t testing.TB, main Main, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var o, e bytes.Buffer
	code = main(args, strings.NewReader(stdin), &o, &e)
	return o.String(), e.String(), code
}

// Golden compares got with the file testdata/name and reports a difference
// as an error; under -update it writes got to the file instead.
func Golden(t testing.TB, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (run go test -update if the change is meant)\n got: %.400s\nwant: %.400s", path, got, want)
	}
}

// An Exit is a command line and the exit status it must give.
type Exit struct {
	Name string
	Args []string
	Code int
}

// ExitStatus runs main with each command line, without input, in a subtest
// of its name, and checks its exit status.
func ExitStatus(t *testing.T, main Main, cases []Exit) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			_, errOut, code := Run(t, main, "", tc.Args...)
			if code != tc.Code {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tc.Code, errOut)
			}
		})
	}
}

// Contains reports as an error each of wants that got, the text of the
// stream named name ("stderr"), lacks.
func Contains(t testing.TB, name, got string, wants ...string) {
	t.Helper()
	for _, want := range wants {
		if !strings.Contains(got, want) {
			t.Errorf("%s lacks %q:\n%s", name, want, got)
		}
	}
}
