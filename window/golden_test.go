package window

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rowtime/rowtime/record"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

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
	files, err := filepath.Glob("testdata/*.txt")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no scripts in testdata")
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".txt")
		if strings.HasPrefix(name, "over_") {
			continue // scripts of the per-record windows, run by their own test
		}
		t.Run(name, func(t *testing.T) {
			script, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			got := runScript(t, string(script))
			golden := strings.TrimSuffix(file, ".txt") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("output differs from %s (run with -update to accept):\n--- got\n%s--- want\n%s", golden, got, want)
			}
		})
	}
}

func parseT(t *testing.T, s string) record.Time {
	t.Helper()
	d, err := time.ParseDuration(s)
	if err != nil {
		t.Fatalf("bad time %q: %v", s, err)
	}
	return record.Time(d)
}

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
	op, err := Aggregate(w, tevKey, tevList{}, &o)
	if err != nil {
		t.Fatal(err)
	}
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
		case "advance":
			_ = op.Advance(parseT(t, f[1]), emit)
		case "flush":
			_ = op.Flush(emit)
		case "snapshot":
			snap, err := op.AppendSnapshot(nil)
			if err != nil {
				t.Fatal(err)
			}
			op, _ = Aggregate(w, tevKey, tevList{}, &o)
			if err := op.Restore(snap); err != nil {
				t.Fatal(err)
			}
			lines = append(lines, fmt.Sprintf("  %d bytes, restored", len(snap)))
		case "stats":
			s := op.Stats()
			lines = append(lines, fmt.Sprintf("  records %d, late %d, updates %d, emitted %d, open windows %d, keys %d",
				s.Records, s.Late, s.Updates, s.Emitted, s.OpenWindows, s.Keys))
		default:
			t.Fatalf("bad command %v", f)
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

// drawTimeline draws one row per key with its records (o, or x when late)
// and one row per emitted window, on a common time axis.
func drawTimeline(out *strings.Builder, scale time.Duration, keys []string, events []goldenEvent, emits []Result[string, string]) {
	if len(events) == 0 {
		return
	}
	lo, hi := events[0].t, events[0].t
	for _, e := range events {
		lo, hi = min(lo, e.t), max(hi, e.t)
	}
	for _, r := range emits {
		lo, hi = min(lo, r.Start), max(hi, r.End)
	}
	s := record.Time(scale)
	lo = lo.Truncate(scale)
	cols := int((hi-lo)/s) + 1
	if cols > 100 {
		out.WriteString("(timeline too wide to draw)\n")
		return
	}
	col := func(x record.Time) int { return int((x - lo) / s) }
	label := 12
	axis := []byte(strings.Repeat(" ", cols+1))
	for c := 0; c <= cols; c += 10 {
		axis[c] = '|'
	}
	fmt.Fprintf(out, "%-*s%s\n", label, "", axis)
	// Labels of the axis every 10 columns.
	var lb strings.Builder
	for c := 0; c <= cols; c += 10 {
		txt := fmtT(lo + record.Time(c)*s)
		if lb.Len() > c {
			continue
		}
		lb.WriteString(strings.Repeat(" ", c-lb.Len()))
		lb.WriteString(txt)
	}
	fmt.Fprintf(out, "%-*s%s\n", label, "time", lb.String())
	for _, k := range keys {
		row := []byte(strings.Repeat(" ", cols+1))
		for _, e := range events {
			if e.key != k {
				continue
			}
			c := col(e.t)
			switch {
			case e.late:
				row[c] = 'x'
			case row[c] == ' ':
				row[c] = 'o'
			default:
				row[c] = '#' // several records in one column
			}
		}
		fmt.Fprintf(out, "%-*s%s\n", label, "key "+k, strings.TrimRight(string(row), " "))
	}
	for _, r := range emits {
		row := []byte(strings.Repeat(" ", cols+1))
		a, b := col(r.Start), col(r.End)
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
