// Package cli holds the command-line contract shared by the example programs:
// the -in, -seed, -n and -delay flags, reading JSON lines with their line
// numbers, writing results as JSON lines, and reporting late or undecodable
// records on stderr with a summary line at the end. Feed runs that flow for
// a query, and Generate writes the input -gen asks for.
//
// The contract, the same for every example but quickstart:
//
//   - -in FILE reads records as JSON lines (-in - reads stdin), one Kinesis
//     record payload per line, in arrival order. Without -in the program
//     generates its own workload from -seed and -n, deterministically.
//   - Results go to stdout as JSON lines. Same input, same output, byte for
//     byte.
//   - -gen writes the generated records as JSON lines instead of running
//     the query, to make input for -in.
//   - -delay sets the allowed out-of-orderness of event time (default 0).
//   - Every record that cannot be used (not decodable, or late) is reported on
//     stderr as "NAME: line N: reason" and counted in the summary line written
//     to stderr at the end; nothing is dropped silently.
//   - The exit status is 0 on success, 2 on unusable flags, 1 on unreadable
//     input or a failed write.
package cli

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/rowtime/rowtime/record"
)

// Exit statuses.
const (
	ExitOK    = 0
	ExitError = 1 // unreadable input, a failed write
	ExitUsage = 2 // unusable flags
)

// ErrUsage marks an error in the command line: the program exits with
// ExitUsage and prints its usage.
var ErrUsage = errors.New("usage")

// Usagef returns an error wrapping ErrUsage.
func Usagef(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrUsage, fmt.Sprintf(format, args...))
}

// Common holds the flags every example shares.
type Common struct {
	In    string        // -in: a file of JSON lines, "-" for stdin, "" to generate
	Seed  uint64        // -seed: generator seed
	N     int           // -n: number of generated records
	Delay time.Duration // -delay: allowed out-of-orderness
	Gen   bool          // -gen: write the generated input instead of running
}

// Register defines the common flags on fs, with defaultN as the default of -n.
func Register(fs *flag.FlagSet, defaultN int) *Common {
	c := &Common{}
	fs.StringVar(&c.In, "in", "", "read records as JSON lines from `FILE` (- for stdin) instead of generating them")
	fs.Uint64Var(&c.Seed, "seed", 1, "generator seed")
	fs.IntVar(&c.N, "n", defaultN, "number of records to generate")
	fs.DurationVar(&c.Delay, "delay", 0, "allowed out-of-orderness of event time")
	fs.BoolVar(&c.Gen, "gen", false, "write the generated records as JSON lines (input for -in) instead of running the query")
	return c
}

// Check validates the common flags.
func (c *Common) Check() error {
	if c.N < 0 {
		return Usagef("-n must be ≥ 0, got %d", c.N)
	}
	if c.Gen && c.In != "" {
		return Usagef("-gen writes generated records: it cannot be used with -in")
	}
	if c.Delay < 0 {
		return Usagef("-delay must be ≥ 0, got %v", c.Delay)
	}
	return nil
}

// Main parses args with fs, runs run, reports an error on stderr and returns
// the exit status. A program's main is os.Exit(cli.Main(...)).
func Main(fs *flag.FlagSet, args []string, stderr io.Writer, run func() error) int {
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return ExitOK
		}
		return ExitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "%s: unexpected arguments: %s\n", fs.Name(), strings.Join(fs.Args(), " "))
		fs.Usage()
		return ExitUsage
	}
	if err := run(); err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", fs.Name(), err)
		if errors.Is(err, ErrUsage) {
			fs.Usage()
			return ExitUsage
		}
		return ExitError
	}
	return ExitOK
}

// Lines calls f for every line of the input named by name ("-" for stdin),
// with its line number counted from 1 and without its line terminator ("\n"
// or "\r\n"). Blank lines are skipped. The line is valid only during the
// call. Lines may be of any length.
func Lines(name string, stdin io.Reader, f func(n int, line []byte) error) error {
	var r io.Reader = stdin
	if name != "-" {
		file, err := os.Open(name)
		if err != nil {
			return err
		}
		defer file.Close()
		r = file
	}
	return ReadLines(r, f)
}

// ReadLines is Lines over a reader.
func ReadLines(r io.Reader, f func(n int, line []byte) error) error {
	br := bufio.NewReaderSize(r, 1<<16)
	var long []byte
	for n := 1; ; n++ {
		line, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			long = append(long[:0], line...)
			for err == bufio.ErrBufferFull {
				line, err = br.ReadSlice('\n')
				long = append(long, line...)
			}
			line = long
		}
		if err != nil && err != io.EOF {
			return fmt.Errorf("line %d: %w", n, err)
		}
		trimmed := trimEOL(line)
		if len(trimmed) > 0 && !blank(trimmed) {
			if ferr := f(n, trimmed); ferr != nil {
				return ferr
			}
		}
		if err == io.EOF {
			return nil
		}
	}
}

func trimEOL(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
		if n := len(b); n > 0 && b[n-1] == '\r' {
			b = b[:n-1]
		}
	}
	return b
}

func blank(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\r' {
			return false
		}
	}
	return true
}

// Report writes the problems of a run to stderr, one line each, and counts
// them for the summary. The zero Report is not usable: use NewReport.
type Report struct {
	name    string
	w       io.Writer
	Records int            // records read (or generated)
	Results int            // results written
	Bad     int            // undecodable records
	Late    map[string]int // late records, by stream or operator
	Errors  int            // records an operator rejected for another reason
}

// NewReport returns a Report that writes to w, prefixing lines with name.
func NewReport(name string, w io.Writer) *Report {
	return &Report{name: name, w: w, Late: map[string]int{}}
}

// Undecodable reports a record that could not be decoded.
func (r *Report) Undecodable(line int, err error) {
	r.Bad++
	fmt.Fprintf(r.w, "%s: line %d: undecodable: %v\n", r.name, line, err)
}

// LateRecord reports a record too late for the named stream.
func (r *Report) LateRecord(line int, stream string, err error) {
	r.Late[stream]++
	fmt.Fprintf(r.w, "%s: line %d: late for %s: %v\n", r.name, line, stream, err)
}

// Rejected reports a record an operator refused for a reason other than
// lateness.
func (r *Report) Rejected(line int, err error) {
	r.Errors++
	fmt.Fprintf(r.w, "%s: line %d: rejected: %v\n", r.name, line, err)
}

// LateTotal returns the number of late reports over all streams.
func (r *Report) LateTotal() int {
	n := 0
	for _, v := range r.Late {
		n += v
	}
	return n
}

// Summary writes the final summary line.
func (r *Report) Summary() {
	var late strings.Builder
	if len(r.Late) > 0 {
		streams := make([]string, 0, len(r.Late))
		for s := range r.Late {
			streams = append(streams, s)
		}
		sort.Strings(streams)
		late.WriteString(" (")
		for i, s := range streams {
			if i > 0 {
				late.WriteString(", ")
			}
			fmt.Fprintf(&late, "%s %d", s, r.Late[s])
		}
		late.WriteString(")")
	}
	fmt.Fprintf(r.w, "%s: %d records, %d results, %d undecodable, %d late%s, %d rejected\n",
		r.name, r.Records, r.Results, r.Bad, r.LateTotal(), late.String(), r.Errors)
}

// Output writes JSON lines to a buffered writer. Call Close at the end.
type Output struct {
	w   *bufio.Writer
	err error
	n   int
}

// NewOutput returns an Output writing to w.
func NewOutput(w io.Writer) *Output { return &Output{w: bufio.NewWriterSize(w, 1<<16)} }

// Line writes line followed by a newline. The first write error is kept and
// returned by Close.
func (o *Output) Line(line []byte) {
	if o.err != nil {
		return
	}
	o.n++
	if _, err := o.w.Write(line); err != nil {
		o.err = err
		return
	}
	o.err = o.w.WriteByte('\n')
}

// Count returns the number of lines written.
func (o *Output) Count() int { return o.n }

// Close flushes the output and returns the first error.
func (o *Output) Close() error {
	if o.err != nil {
		return o.err
	}
	return o.w.Flush()
}

// A Query is an example's query: records in, results out as JSON lines.
type Query[R any] interface {
	Push(r R, emit func(line []byte)) error
	Flush(emit func(line []byte)) error
}

// A Run is one run of an example's query: its output, its report, and the
// number of the input line being pushed (of the generated record, counted
// from 1, without -in), for the reports of late records.
type Run struct {
	Out    *Output
	Report *Report
	Line   int
}

// NewRun returns a Run writing results to stdout and reports, prefixed with
// name, to stderr.
func NewRun(name string, stdout, stderr io.Writer) *Run {
	return &Run{Out: NewOutput(stdout), Report: NewReport(name, stderr)}
}

// Late reports a record too late for the named stream at the line being
// pushed: the body of a query's callback for late records.
func (r *Run) Late(stream string, err error) {
	r.Report.LateRecord(r.Line, stream, err)
}

// Feed pushes into q the records of the input c names: the lines of -in,
// decoded with decode, or else c.N records from next. An undecodable line,
// or a record q rejects, is reported and counted, and the run goes on. Feed
// then flushes q, writes the summary line and closes the output; its error
// is that of reading the input or of writing the output.
func Feed[R any](run *Run, c *Common, stdin io.Reader, q Query[R], decode func(payload []byte) (R, error), next func() R) error {
	rep := run.Report
	emit := run.Out.Line // bound once: a method value allocates
	push := func(r R) {
		rep.Records++
		if err := q.Push(r, emit); err != nil {
			rep.Rejected(run.Line, err)
		}
	}
	if c.In != "" {
		err := Lines(c.In, stdin, func(n int, payload []byte) error {
			run.Line = n
			r, err := decode(payload)
			if err != nil {
				rep.Records++
				rep.Undecodable(n, err)
				return nil
			}
			push(r)
			return nil
		})
		if err != nil {
			return err
		}
	} else {
		for i := range c.N {
			run.Line = i + 1
			push(next())
		}
	}
	if err := q.Flush(emit); err != nil {
		rep.Rejected(run.Line, err)
	}
	rep.Results = run.Out.Count()
	rep.Summary()
	return run.Out.Close()
}

// Generate writes n records from next to w as JSON lines, each appended by
// appendJSON: the output of -gen.
func Generate[R any](w io.Writer, n int, next func() R, appendJSON func(dst []byte, r R) []byte) error {
	out := NewOutput(w)
	var buf []byte
	for range n {
		buf = appendJSON(buf[:0], next())
		out.Line(buf)
	}
	return out.Close()
}

// AppendTime appends t as a quoted RFC 3339 time with nanoseconds, in UTC,
// the form of window_start and window_end.
func AppendTime(dst []byte, t record.Time) []byte {
	dst = append(dst, '"')
	dst = t.AppendRFC3339(dst)
	return append(dst, '"')
}

// AppendString appends s as a JSON string.
func AppendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < 0x7f {
			continue
		}
		if c >= 0x80 {
			continue // UTF-8 passes through; invalid bytes are the caller's
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		start = i + 1
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

const hex = "0123456789abcdef"
