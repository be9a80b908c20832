package window

import (
	"bufio"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rowtime/rowtime/record"
)

// jrow is a row of either input in the join tests: a time, a key and an
// id naming the row in the output. It is not a rec: its field names are in
// the snapshots whose sizes the join goldens show.
type jrow struct {
	T   record.Time
	Key string
	ID  int64
}

func (r jrow) EventTime() record.Time { return r.T }

func jrowKey(r jrow) string { return r.Key }

// jout names a result: the ids of its rows, 0 for none, and their times.
type jout struct {
	L, R   int64
	LT, RT record.Time
}

func jresult(l, r *jrow) jout {
	var o jout
	if l != nil {
		o.L, o.LT = l.ID, l.T
	}
	if r != nil {
		o.R, o.RT = r.ID, r.T
	}
	return o
}

type jop = Join[jrow, jrow, string, jout]

// clock prints a time as hh:mm:ss since midnight of the epoch when it is
// one, else as fmtT does.
func clock(t record.Time) string {
	if d := time.Duration(t); d >= 0 && d < 24*time.Hour && d%time.Second == 0 {
		return fmt.Sprintf("%02d:%02d:%02d", int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60)
	}
	return fmtT(t)
}

func parseFrame(t *testing.T, f []string) (Frame, []string) {
	t.Helper()
	switch f[0] {
	case "range":
		d, err := time.ParseDuration(f[1])
		if err != nil {
			t.Fatal(err)
		}
		return Range(d), f[2:]
	case "rows":
		n, err := strconv.Atoi(f[1])
		if err != nil {
			t.Fatal(err)
		}
		return Rows(n), f[2:]
	}
	t.Fatalf("bad frame %v", f)
	return Frame{}, nil
}

func parseJoinType(t *testing.T, s string) JoinType {
	for _, jt := range []JoinType{Inner, LeftOuter, RightOuter, FullOuter} {
		if strings.EqualFold(strings.Fields(jt.String())[0], s) {
			return jt
		}
	}
	t.Fatalf("bad join type %q", s)
	return 0
}

// TestJoinGolden runs the scripts testdata/join/*.txt and compares the
// transcript with testdata/join/*.golden. A script has header lines
//
//	join inner|left|right|full
//	window left FRAME | right FRAME | both FRAME FRAME | interval LOWER UPPER
//	       (FRAME: range D or rows N)
//	options delay=D oneclock late=callback refuselate maxkeys=N maxrows=N
//	names L R      (what to call the two inputs in the output)
//	scale D        (one timeline column per this much time, 5s by default)
//
// and commands, a side being L or R as named:
//
//	push SIDE TIME KEY ID   (TIME hh:mm:ss or a Go duration)
//	advance TIME
//	flush
//	snapshot        (go on with a join restored from a snapshot)
//	stats
//
// The output draws both inputs and the results on one time axis (o a row,
// x a late one, * a match, < and > unmatched left and right rows), then
// lists every command with what it emitted:
//
//	emit TIME KEY  L ID@TIME  R ID@TIME      (- for none)
//
// Run go test -run TestJoinGolden -update-join after a deliberate change.
func TestJoinGolden(t *testing.T) {
	runScripts(t, "testdata/join/*.txt", goldenJoin, runJoinScript)
}

type joinScript struct {
	typ   JoinType
	win   JoinWindow
	opts  JoinOptions[jrow, jrow]
	names [2]string
	scale time.Duration
	cmds  [][]string
	about []string
}

func parseJoinScript(t *testing.T, script string) *joinScript {
	sc := &joinScript{names: [2]string{"L", "R"}, scale: 5 * time.Second}
	haveWin := false
	s := bufio.NewScanner(strings.NewReader(script))
	for s.Scan() {
		line := strings.TrimSpace(s.Text())
		if line == "" {
			continue
		}
		if strings.HasPrefix(line, "#") {
			sc.about = append(sc.about, line)
			continue
		}
		f := strings.Fields(line)
		switch f[0] {
		case "join":
			sc.typ = parseJoinType(t, f[1])
		case "window":
			haveWin = true
			switch f[1] {
			case "left":
				fr, _ := parseFrame(t, f[2:])
				sc.win = LeftWindow(fr)
			case "right":
				fr, _ := parseFrame(t, f[2:])
				sc.win = RightWindow(fr)
			case "both":
				l, rest := parseFrame(t, f[2:])
				r, _ := parseFrame(t, rest)
				sc.win = BothWindows(l, r)
			case "interval":
				sc.win = Interval(time.Duration(parseT(t, f[2])), time.Duration(parseT(t, f[3])))
			default:
				t.Fatalf("bad window %v", f)
			}
		case "names":
			sc.names = [2]string{f[1], f[2]}
		case "scale":
			sc.scale = time.Duration(parseT(t, f[1]))
		case "options":
			for _, kv := range f[1:] {
				k, v, _ := strings.Cut(kv, "=")
				switch k {
				case "delay":
					sc.opts.Delay = time.Duration(parseT(t, v))
				case "oneclock":
					sc.opts.OneClock = true
				case "refuselate":
					sc.opts.RefuseLate = true
				case "late":
					sc.opts.Late = func(Either[jrow, jrow], error) {} // replaced by the runner
				case "maxkeys":
					sc.opts.MaxKeys, _ = strconv.Atoi(v)
				case "maxrows":
					sc.opts.MaxRows, _ = strconv.Atoi(v)
				default:
					t.Fatalf("bad option %q", kv)
				}
			}
		default:
			sc.cmds = append(sc.cmds, f)
		}
	}
	if !haveWin {
		t.Fatal("script has no window line")
	}
	return sc
}

func runJoinScript(t *testing.T, script string) string {
	sc := parseJoinScript(t, script)
	var out strings.Builder
	var lines []string
	var events []mark // rows 0 and 1 the inputs, 2 the results
	for _, a := range sc.about {
		out.WriteString(a + "\n")
	}
	name := func(in Either[jrow, jrow]) (string, jrow) {
		if in.IsRight {
			return sc.names[1], in.Right
		}
		return sc.names[0], in.Left
	}
	if sc.opts.Late != nil {
		sc.opts.Late = func(in Either[jrow, jrow], err error) {
			n, r := name(in)
			lines = append(lines, fmt.Sprintf("  late %s %s %s %d (%v)", n, clock(r.T), r.Key, r.ID, err))
		}
	}
	fmt.Fprintf(&out, "%v JOIN, %v, delay %v", sc.typ, sc.win, sc.opts.Delay)
	if sc.opts.OneClock {
		out.WriteString(", one clock")
	}
	if sc.opts.MaxKeys > 0 || sc.opts.MaxRows > 0 {
		fmt.Fprintf(&out, ", max keys %d, max rows %d", sc.opts.MaxKeys, sc.opts.MaxRows)
	}
	if sc.opts.Late != nil {
		out.WriteString(", late rows to a callback")
	}
	if sc.opts.RefuseLate {
		out.WriteString(", late rows refused")
	}
	out.WriteString("\n\n")
	newOp := func() *jop {
		op, err := NewJoin(sc.typ, sc.win, jrowKey, jrowKey, jresult, &sc.opts)
		if err != nil {
			t.Fatal(err)
		}
		return op
	}
	op := newOp()
	keyOf := map[int64]string{}
	side := func(o jout) string {
		if o.L != 0 {
			return keyOf[o.L]
		}
		return keyOf[-o.R]
	}
	emit := func(r record.Of[jout]) {
		o := r.Value
		l, rr := "-", "-"
		c := byte('*')
		if o.L != 0 {
			l = fmt.Sprintf("%d@%s", o.L, clock(o.LT))
		} else {
			c = '>'
		}
		if o.R != 0 {
			rr = fmt.Sprintf("%d@%s", o.R, clock(o.RT))
		} else {
			c = '<'
		}
		lines = append(lines, fmt.Sprintf("  emit %s %s  %s %s  %s %s", clock(r.Time), side(o), sc.names[0], l, sc.names[1], rr))
		events = append(events, mark{r.Time, 2, c})
	}
	var last record.Time = record.MinTime
	for _, f := range sc.cmds {
		lines = append(lines, strings.Join(f, " "))
		before := op.Stats()
		var err error
		switch f[0] {
		case "push":
			var in Either[jrow, jrow]
			r := jrow{T: parseT(t, f[2]), Key: f[3]}
			r.ID, _ = strconv.ParseInt(f[4], 10, 64)
			switch f[1] {
			case sc.names[0]:
				in = FromLeft[jrow, jrow](r)
				keyOf[r.ID] = r.Key
			case sc.names[1]:
				in = FromRight[jrow, jrow](r)
				keyOf[-r.ID] = r.Key
			default:
				t.Fatalf("bad side %q", f[1])
			}
			n := len(lines)
			err = op.Push(in, emit)
			late := op.Stats().Late > before.Late || errors.Is(err, ErrLate)
			if late && len(lines) == n && err == nil {
				lines = append(lines, "  late, dropped")
			}
			c := byte('o')
			if late {
				c = 'x'
			}
			events = append(events, mark{r.T, b2i(in.IsRight), c})
		default:
			var l []string
			l, err = command(t, &op, newOp, f, emit, func(s Stats) string {
				return fmt.Sprintf("records %d, late %d, emitted %d, rows held %d, keys %d",
					s.Records, s.Late, s.Emitted, s.OpenWindows, s.Keys)
			})
			lines = append(lines, l...)
		}
		if err != nil {
			lines = append(lines, fmt.Sprintf("  error: %v (refusal: %v)", err, record.IsRefused(err)))
		}
		if wm := op.Stats().Watermark; wm != before.Watermark {
			lines = append(lines, "  watermark "+clock(wm))
		}
	}
	// Results must come out in ascending time.
	for _, e := range events {
		if e.row == 2 {
			if e.t < last {
				t.Errorf("result at %s after one at %s", clock(e.t), clock(last))
			}
			last = e.t
		}
	}
	drawJoinTimeline(&out, sc, events)
	out.WriteString("\n")
	for _, l := range lines {
		out.WriteString(l + "\n")
	}
	return out.String()
}

func drawJoinTimeline(out *strings.Builder, sc *joinScript, marks []mark) {
	if len(marks) == 0 {
		return
	}
	tl, ok := newTimeline(marks, sc.scale, 0)
	if !ok {
		out.WriteString("(timeline too wide to draw)\n")
		return
	}
	const label = 10
	fmt.Fprintf(out, "%-*s%s\n", label, "time", tl.labels(clock))
	for side, n := range []string{sc.names[0], sc.names[1], "out"} {
		fmt.Fprintf(out, "%-*s%s\n", label, n, tl.row(marks, side, func(old, c byte) byte {
			if old == ' ' || old == c {
				return c
			}
			return '#' // several kinds in one column
		}))
	}
}
