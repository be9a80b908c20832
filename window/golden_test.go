package window

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rowtime/rowtime/record"
)

var (
	update     = flag.Bool("update", false, "rewrite the golden files in testdata/")
	updateJoin = flag.Bool("update-join", false, "rewrite window/testdata/join/*.golden from the current output")
	updateOver = flag.Bool("update-over", false, "rewrite window/testdata/over_*.txt from the current output")
)

// TestGolden runs the scripts testdata/*.txt (but over_*) and compares what happens with
// testdata/*.golden: an ASCII timeline of the records and the windows
// emitted, then a transcript of every command with the results, late
// records and errors it caused.
//
// A script has header lines
//
//	window step 10s | hop 10s 5s | session 5s | stagger 10s | floor week | months 1
//	options delay=5s lateness=10s late=callback maxkeys=2 maxwindows=3
//	scale 1s       (one timeline column per this much time)
//
// and commands
//
//	push T KEY V   (T a Go duration since the epoch, such as -5s or 1m30s)
//	advance T
//	flush
//	snapshot       (snapshot the operator and go on with a restored copy)
//	stats
//
// The aggregate lists the values of each window, so the output also shows
// which records went where. Run go test -run TestGolden -update to rewrite
// the golden files after a deliberate change.
func TestGolden(t *testing.T) {
	runScripts(t, "testdata/*.txt", goldenAgg, runScript)
}

// goldenFlag is the flag that rewrites a kind of golden file.
type goldenFlag struct {
	update *bool
	name   string
}

var (
	goldenAgg  = goldenFlag{update, "-update"}
	goldenJoin = goldenFlag{updateJoin, "-update-join"}
	goldenOver = goldenFlag{updateOver, "-update-over"}
)

// runScripts runs every script that pattern matches, but those of the
// per-record windows (over_*, which are outputs), and checks what run makes
// of it against the .golden file beside it.
func runScripts(t *testing.T, pattern string, fl goldenFlag, run func(t *testing.T, script string) string) {
	files, err := filepath.Glob(pattern)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no scripts match %s", pattern)
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".txt")
		if strings.HasPrefix(name, "over_") {
			continue // outputs of the per-record windows' scripts, checked by TestOverGolden
		}
		t.Run(name, func(t *testing.T) {
			script, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, strings.TrimSuffix(file, ".txt")+".golden", run(t, string(script)), fl)
		})
	}
}

// checkGolden compares got with the file golden or, when fl is set, writes
// got there.
func checkGolden(t *testing.T, golden, got string, fl goldenFlag) {
	t.Helper()
	if *fl.update {
		if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with %s to create it)", err, fl.name)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (run with %s to accept):\n--- got\n%s--- want\n%s", golden, fl.name, got, want)
	}
}

// parseT reads a time of a script: a Go duration since the epoch (such as
// -5s or 1m30s), or hh:mm:ss since its midnight.
func parseT(t *testing.T, s string) record.Time {
	t.Helper()
	if p := strings.Split(s, ":"); len(p) == 3 {
		h, _ := strconv.Atoi(p[0])
		m, _ := strconv.Atoi(p[1])
		sec, _ := strconv.Atoi(p[2])
		return record.Time(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(sec)*time.Second)
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		t.Fatalf("bad time %q: %v", s, err)
	}
	return record.Time(d)
}

// fmtT writes a time as a duration since the epoch.
func fmtT(x record.Time) string {
	switch x {
	case record.MinTime:
		return "-∞"
	case record.MaxTime:
		return "+∞"
	}
	return time.Duration(x).String()
}

func parseAssigner(t *testing.T, f []string) Assigner {
	t.Helper()
	arg := func(i int) time.Duration {
		if i >= len(f) {
			t.Fatalf("window %v: missing argument", f)
		}
		d, err := time.ParseDuration(f[i])
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	switch f[0] {
	case "step":
		return Step(arg(1))
	case "hop":
		return Hop(arg(1), arg(2))
	case "session":
		return Session(arg(1))
	case "stagger":
		return Stagger(arg(1))
	case "months":
		n, _ := strconv.Atoi(f[1])
		return Months(n)
	case "floor":
		for u := Second; u <= Year; u++ {
			if strings.EqualFold(u.String(), f[1]) {
				return Floor(u)
			}
		}
	}
	t.Fatalf("bad window %v", f)
	return Assigner{}
}

type goldenEvent struct {
	t    record.Time
	key  string
	late bool
}

func runScript(t *testing.T, script string) string {
	var (
		w      Assigner
		o      Options[tev]
		scale  = time.Second
		out    strings.Builder
		events []goldenEvent
		emits  []Result[string, string]
		lines  []string
		keys   []string
	)
	sc := bufio.NewScanner(strings.NewReader(script))
	var cmds [][]string
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			if strings.HasPrefix(line, "#") {
				out.WriteString(line + "\n")
			}
			continue
		}
		f := strings.Fields(line)
		switch f[0] {
		case "window":
			w = parseAssigner(t, f[1:])
		case "scale":
			scale = time.Duration(parseT(t, f[1]))
		case "options":
			for _, kv := range f[1:] {
				k, v, _ := strings.Cut(kv, "=")
				switch k {
				case "delay":
					o.Delay = time.Duration(parseT(t, v))
				case "lateness":
					o.Lateness = time.Duration(parseT(t, v))
				case "maxkeys":
					o.MaxKeys, _ = strconv.Atoi(v)
				case "maxwindows":
					o.MaxWindows, _ = strconv.Atoi(v)
				case "late":
					if v == "callback" {
						o.Late = func(r tev, err error) {
							events = append(events, goldenEvent{r.T, r.Key, true})
							lines = append(lines, fmt.Sprintf("  late %s %s %d (%v)", fmtT(r.T), r.Key, r.V, err))
						}
					}
				default:
					t.Fatalf("bad option %q", kv)
				}
			}
		default:
			cmds = append(cmds, f)
		}
	}
	fmt.Fprintf(&out, "%v, delay %v, lateness %v", w, o.Delay, o.Lateness)
	if o.MaxKeys > 0 || o.MaxWindows > 0 {
		fmt.Fprintf(&out, ", max keys %d, max windows %d", o.MaxKeys, o.MaxWindows)
	}
	if o.Late != nil {
		out.WriteString(", late records to a callback")
	}
	out.WriteString("\n\n")
	newOp := func() *Agg[tev, string, string] {
		op, err := Aggregate(w, tevKey, tevList{}, &o)
		if err != nil {
			t.Fatal(err)
		}
		return op
	}
	op := newOp()
	emit := func(r Result[string, string]) {
		emits = append(emits, r)
		u := ""
		if r.Update {
			u = " (update)"
		}
		lines = append(lines, fmt.Sprintf("  emit [%s, %s) %s: %s%s", fmtT(r.Start), fmtT(r.End), r.Key, r.Value, u))
	}
	seen := map[string]bool{}
	for _, f := range cmds {
		lines = append(lines, strings.Join(f, " "))
		before := op.Stats()
		switch f[0] {
		case "push":
			v, _ := strconv.ParseInt(f[3], 10, 64)
			r := tev{T: parseT(t, f[1]), Key: f[2], V: v}
			if !seen[r.Key] {
				seen[r.Key] = true
				keys = append(keys, r.Key)
			}
			n := len(events)
			if err := op.Push(r, emit); err != nil {
				lines = append(lines, "  error: "+err.Error())
			} else if op.Stats().Late > before.Late && len(events) == n {
				events = append(events, goldenEvent{r.T, r.Key, true})
				lines = append(lines, "  late, dropped")
			} else if len(events) == n {
				events = append(events, goldenEvent{r.T, r.Key, false})
			}
		default:
			// The transcript leaves out the errors of Advance and Flush.
			l, _ := command(t, &op, newOp, f, emit, func(s Stats) string {
				return fmt.Sprintf("records %d, late %d, updates %d, emitted %d, open windows %d, keys %d",
					s.Records, s.Late, s.Updates, s.Emitted, s.OpenWindows, s.Keys)
			})
			lines = append(lines, l...)
		}
		if wm := op.Stats().Watermark; wm != before.Watermark {
			lines = append(lines, "  watermark "+fmtT(wm))
		}
	}
	drawTimeline(&out, scale, keys, events, emits)
	out.WriteString("\n")
	for _, l := range lines {
		out.WriteString(l + "\n")
	}
	return out.String()
}

// command runs a command that the scripts of every operator have on op:
// advance T, flush, snapshot (go on with an operator from newOp restored
// from a snapshot of op) and stats (the line that stats writes). It returns
// the lines it adds to the transcript after what emit adds, and the error
// of Advance or Flush.
func command[In, Out any, O operator[In, Out]](t *testing.T, op *O, newOp func() O, f []string, emit func(Out), stats func(Stats) string) ([]string, error) {
	t.Helper()
	switch f[0] {
	case "advance":
		return nil, (*op).Advance(parseT(t, f[1]), emit)
	case "flush":
		return nil, (*op).Flush(emit)
	case "snapshot":
		var n int
		*op, n = restored(t, *op, newOp)
		return []string{fmt.Sprintf("  %d bytes, restored", n)}, nil
	case "stats":
		return []string{"  " + stats((*op).Stats())}, nil
	}
	t.Fatalf("bad command %v", f)
	return nil, nil
}

// timeline is the time axis of a golden file's drawing: column c stands
// for the times from lo+c·scale, and there are width columns.
type timeline struct {
	lo, scale record.Time
	width     int
}

// mark is a mark on a row of a timeline.
type mark struct {
	t   record.Time
	row int
	c   byte
}

// newTimeline returns the axis over the marks and the times more, at most
// 100 columns wide, with extra columns after the last; false when it does
// not fit.
func newTimeline(marks []mark, scale time.Duration, extra int, more ...record.Time) (timeline, bool) {
	lo, hi := marks[0].t, marks[0].t
	for _, m := range marks {
		lo, hi = min(lo, m.t), max(hi, m.t)
	}
	for _, x := range more {
		lo, hi = min(lo, x), max(hi, x)
	}
	lo = lo.Truncate(scale)
	cols := int((hi-lo)/record.Time(scale)) + 1
	return timeline{lo, record.Time(scale), cols + extra}, cols <= 100
}

func (tl timeline) col(x record.Time) int { return int((x - tl.lo) / tl.scale) }

// blank returns an empty row of the drawing.
func (tl timeline) blank() []byte { return []byte(strings.Repeat(" ", tl.width)) }

// labels writes the time of every tenth column at that column, unless the
// label before runs into it.
func (tl timeline) labels(format func(record.Time) string) string {
	var b strings.Builder
	for c := 0; c < tl.width; c += 10 {
		if b.Len() > c {
			continue
		}
		b.WriteString(strings.Repeat(" ", c-b.Len()))
		b.WriteString(format(tl.lo + record.Time(c)*tl.scale))
	}
	return b.String()
}

// row returns row r of the drawing, its marks put in their columns by
// combine, which gives what a mark makes of what its column holds.
func (tl timeline) row(marks []mark, r int, combine func(old, c byte) byte) string {
	row := tl.blank()
	for _, m := range marks {
		if m.row == r {
			c := tl.col(m.t)
			row[c] = combine(row[c], m.c)
		}
	}
	return strings.TrimRight(string(row), " ")
}

// drawTimeline draws one row per key with its records (o, or x when late;
// # for several in a column) and one row per emitted window, on a common
// time axis.
func drawTimeline(out *strings.Builder, scale time.Duration, keys []string, events []goldenEvent, emits []Result[string, string]) {
	if len(events) == 0 {
		return
	}
	marks := make([]mark, len(events))
	for i, e := range events {
		marks[i] = mark{t: e.t, row: slices.Index(keys, e.key), c: 'o'}
		if e.late {
			marks[i].c = 'x'
		}
	}
	var spans []record.Time
	for _, r := range emits {
		spans = append(spans, r.Start, r.End)
	}
	tl, ok := newTimeline(marks, scale, 1, spans...) // one more for the end of the last window
	if !ok {
		out.WriteString("(timeline too wide to draw)\n")
		return
	}
	const label = 12
	axis := tl.blank()
	for c := 0; c < tl.width; c += 10 {
		axis[c] = '|'
	}
	fmt.Fprintf(out, "%-*s%s\n", label, "", axis)
	fmt.Fprintf(out, "%-*s%s\n", label, "time", tl.labels(fmtT))
	for i, k := range keys {
		fmt.Fprintf(out, "%-*s%s\n", label, "key "+k, tl.row(marks, i, func(old, c byte) byte {
			if c == 'x' || old == ' ' {
				return c
			}
			return '#' // several records in one column
		}))
	}
	for _, r := range emits {
		row := tl.blank()
		a, b := tl.col(r.Start), tl.col(r.End)
		row[a] = '['
		for c := a + 1; c < b; c++ {
			row[c] = '-'
		}
		row[b] = ')'
		u := ""
		if r.Update {
			u = " update"
		}
		fmt.Fprintf(out, "%-*s%s %s%s\n", label, "  "+r.Key, strings.TrimRight(string(row), " "), r.Value, u)
	}
}
