package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/rowtime/rowtime/record"
)

func TestReadLines(t *testing.T) {
	long := strings.Repeat("x", 200_000)
	for _, tc := range []struct {
		name, in string
		want     []string
	}{
		{"plain", "a\nb\n", []string{"1:a", "2:b"}},
		{"no final newline", "a\nb", []string{"1:a", "2:b"}},
		{"crlf", "a\r\nb\r\n", []string{"1:a", "2:b"}},
		{"blank lines keep numbers", "a\n\n  \t\nb\n", []string{"1:a", "4:b"}},
		{"empty", "", nil},
		{"long line", "a\n" + long + "\nb", []string{"1:a", "2:" + long, "3:b"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, r := range []io.Reader{strings.NewReader(tc.in), iotest.OneByteReader(strings.NewReader(tc.in))} {
				got = got[:0]
				err := ReadLines(r, func(n int, line []byte) error {
					got = append(got, fmt.Sprintf("%d:%s", n, line))
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
				if strings.Join(got, "|") != strings.Join(tc.want, "|") {
					t.Fatalf("got %.80q, want %.80q", got, tc.want)
				}
			}
		})
	}
	stop := errors.New("stop")
	if err := ReadLines(strings.NewReader("a\nb\n"), func(int, []byte) error { return stop }); err != stop {
		t.Errorf("callback error: got %v", err)
	}
	if err := ReadLines(iotest.ErrReader(io.ErrUnexpectedEOF), func(int, []byte) error { return nil }); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("read error: got %v", err)
	}
}

func TestAppendString(t *testing.T) {
	for _, s := range []string{"", "plain", `quote " and \ backslash`, "tab\tnl\ncr\r", "\x00\x01\x1f\x7f", "héllo, 世界", "<tag>&"} {
		got := AppendString(nil, s)
		var back string
		if err := json.Unmarshal(got, &back); err != nil || back != s {
			t.Errorf("AppendString(%q) = %s: decodes to %q, %v", s, got, back, err)
		}
	}
}

func TestAppendTime(t *testing.T) {
	for _, tc := range []struct {
		t    record.Time
		want string
	}{
		{0, `"1970-01-01T00:00:00Z"`},
		{1769472000e9 + 5e8, `"2026-01-27T00:00:00.5Z"`},
		{-1, `"1969-12-31T23:59:59.999999999Z"`},
	} {
		if got := string(AppendTime(nil, tc.t)); got != tc.want {
			t.Errorf("AppendTime(%d) = %s, want %s", tc.t, got, tc.want)
		}
	}
}

func TestReport(t *testing.T) {
	var buf bytes.Buffer
	r := NewReport("prog", &buf)
	r.Records = 5
	r.Results = 2
	r.Undecodable(2, errors.New("bad"))
	r.LateRecord(3, "B", errors.New("late"))
	r.LateRecord(4, "A", errors.New("late"))
	r.LateRecord(5, "B", errors.New("late"))
	r.Rejected(6, errors.New("no"))
	r.Summary()
	want := `prog: line 2: undecodable: bad
prog: line 3: late for B: late
prog: line 4: late for A: late
prog: line 5: late for B: late
prog: line 6: rejected: no
prog: 5 records, 2 results, 1 undecodable, 3 late (A 1, B 2), 1 rejected
`
	if buf.String() != want {
		t.Errorf("got\n%s\nwant\n%s", buf.String(), want)
	}
}

func TestMainAndFlags(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		run  error
		code int
	}{
		{"ok", nil, nil, ExitOK},
		{"help", []string{"-h"}, nil, ExitOK},
		{"bad flag", []string{"-nope"}, nil, ExitUsage},
		{"argument", []string{"x"}, nil, ExitUsage},
		{"usage error", nil, Usagef("bad %d", 1), ExitUsage},
		{"other error", nil, errors.New("disk"), ExitError},
		{"negative n", []string{"-n", "-1"}, nil, ExitUsage},
		{"negative delay", []string{"-delay", "-1ms"}, nil, ExitUsage},
		{"gen and in", []string{"-gen", "-in", "f"}, nil, ExitUsage},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := flag.NewFlagSet("prog", flag.ContinueOnError)
			c := Register(fs, 10)
			var stderr bytes.Buffer
			code := Main(fs, tc.args, &stderr, func() error {
				if err := c.Check(); err != nil {
					return err
				}
				return tc.run
			})
			if code != tc.code {
				t.Errorf("exit %d, want %d (%s)", code, tc.code, stderr.String())
			}
		})
	}
	fs := flag.NewFlagSet("prog", flag.ContinueOnError)
	c := Register(fs, 10)
	if err := fs.Parse([]string{"-in", "-", "-seed", "7", "-delay", "2s"}); err != nil {
		t.Fatal(err)
	}
	if *c != (Common{In: "-", Seed: 7, N: 10, Delay: 2 * time.Second}) {
		t.Errorf("parsed %+v", *c)
	}
}

func TestOutput(t *testing.T) {
	var buf bytes.Buffer
	o := NewOutput(&buf)
	o.Line([]byte(`{"a":1}`))
	o.Line([]byte(`{}`))
	if err := o.Close(); err != nil || buf.String() != "{\"a\":1}\n{}\n" || o.Count() != 2 {
		t.Errorf("got %q, %d lines, %v", buf.String(), o.Count(), err)
	}
	bad := NewOutput(errWriter{})
	bad.Line(bytes.Repeat([]byte("x"), 1<<17))
	if err := bad.Close(); err == nil {
		t.Error("a failed write was not reported")
	}
}

type errWriter struct{}

func (errWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

// sumQuery is a Query for TestFeed: it emits every record, reports a
// record of 0 late, rejects a negative one, and emits the sum at Flush.
type sumQuery struct {
	run *Run
	sum int
}

func (q *sumQuery) Push(r int, emit func([]byte)) error {
	switch {
	case r < 0:
		return fmt.Errorf("negative %d", r)
	case r == 0:
		q.run.Late("S", errors.New("too late"))
		return nil
	}
	q.sum += r
	emit(fmt.Appendf(nil, "%d", r))
	return nil
}

func (q *sumQuery) Flush(emit func([]byte)) error {
	emit(fmt.Appendf(nil, "sum %d", q.sum))
	return nil
}

func TestFeed(t *testing.T) {
	decode := func(b []byte) (int, error) {
		var v int
		err := json.Unmarshal(b, &v)
		return v, err
	}
	for _, tc := range []struct {
		name, in string
		n        int
		out, err string
	}{
		{"in", "1\nx\n\n0\n-2\n3\n", 0, "1\n3\nsum 4\n", `prog: line 2: undecodable: invalid character 'x' looking for beginning of value
prog: line 4: late for S: too late
prog: line 5: rejected: negative -2
prog: 5 records, 3 results, 1 undecodable, 1 late (S 1), 1 rejected
`},
		{"generated", "", 4, "3\n2\n1\nsum 6\n", `prog: line 4: late for S: too late
prog: 4 records, 4 results, 0 undecodable, 1 late (S 1), 0 rejected
`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			run := NewRun("prog", &stdout, &stderr)
			c := &Common{N: tc.n}
			if tc.in != "" {
				c.In = "-"
			}
			next := 4
			gen := func() int { next--; return next }
			if err := Feed[int](run, c, strings.NewReader(tc.in), &sumQuery{run: run}, decode, gen); err != nil {
				t.Fatal(err)
			}
			if stdout.String() != tc.out {
				t.Errorf("stdout %q, want %q", stdout.String(), tc.out)
			}
			if stderr.String() != tc.err {
				t.Errorf("stderr\n%s\nwant\n%s", stderr.String(), tc.err)
			}
		})
	}
	run := NewRun("prog", io.Discard, io.Discard)
	if err := Feed[int](run, &Common{In: "-"}, iotest.ErrReader(io.ErrUnexpectedEOF), &sumQuery{run: run}, decode, nil); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("read error: got %v", err)
	}
}

func TestGenerate(t *testing.T) {
	var buf bytes.Buffer
	i := 0
	next := func() int { i++; return i * i }
	appendInt := func(dst []byte, v int) []byte { return strconv.AppendInt(dst, int64(v), 10) }
	if err := Generate(&buf, 3, next, appendInt); err != nil {
		t.Fatal(err)
	}
	if buf.String() != "1\n4\n9\n" {
		t.Errorf("got %q", buf.String())
	}
	if err := Generate(errWriter{}, 1<<15, next, appendInt); err == nil {
		t.Error("a failed write was not reported")
	}
}
