package window

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rowtime/rowtime/record"
)

// overScript is a golden timeline: the operator's configuration and a list
// of steps, written as text, each followed in the output by what it emitted.
//
// Steps: "push ID KEY SECONDS" pushes a record (time in seconds), "advance
// SECONDS" raises the watermark, "flush" ends the input.
type overScript struct {
	name   string
	about  string
	delay  time.Duration
	frames []Frame
	steps  []string
}

var overScripts = []overScript{
	{
		name:   "over_delay",
		about:  "out-of-order input within Delay waits for the watermark and is processed in time order (arrival order among equal times)",
		delay:  10 * time.Second,
		frames: []Frame{Rows(1), Range(5 * time.Second)},
		steps: []string{
			"push 1 a 10", "push 2 a 4", "push 3 b 7", "push 4 a 10",
			"push 5 a 21", // watermark 11: releases 2, 3, 1, 4
			"push 6 a 15", "push 7 b 12", "push 8 a 15",
			"advance 14", // releases 7
			"advance 14",
			"push 9 a 30", // watermark 20: releases 6, 8
			"flush",       // releases 5, 9
			"push 10 a 31",
		},
	},
	{
		name:   "over_late",
		about:  "a record below the watermark on arrival is late: it goes to Options.Late and is counted; one at the watermark is on time",
		delay:  3 * time.Second,
		frames: []Frame{Range(10 * time.Second)},
		steps: []string{
			"push 1 a 10", // watermark 7
			"push 2 a 7",  // at the watermark: on time, processed at once
			"push 3 a 6",  // late
			"push 4 b 12", // watermark 9
			"push 5 a 8",  // late
			"push 6 a 9",  // on time
			"advance 20",  // releases 1, 4
			"push 7 a 19", // late: below the explicit watermark
			"push 8 a 20",
			"flush",
		},
	},
	{
		name:   "over_nodelay",
		about:  "with Delay 0 nothing waits: every on-time record is emitted by its own Push, and anything older than the newest record is late",
		frames: []Frame{Rows(2), Range(0)},
		steps: []string{
			"push 1 a 5", "push 2 a 5", "push 3 b 5", "push 4 a 4", "push 5 a 6",
			"advance 8", "push 6 a 7", "push 7 a 8", "flush",
		},
	},
}

// TestOverGolden renders overScripts and compares each with
// testdata/NAME.txt. Run go test -run TestOverGolden -update-over after a
// deliberate change.
func TestOverGolden(t *testing.T) {
	for _, sc := range overScripts {
		t.Run(sc.name, func(t *testing.T) {
			checkGolden(t, filepath.Join("testdata", sc.name+".txt"), sc.render(t), goldenOver)
		})
	}
}

func overSec(t record.Time) string {
	switch t {
	case record.MinTime:
		return "-inf"
	case record.MaxTime:
		return "+inf"
	}
	return fmt.Sprintf("%gs", time.Duration(t).Seconds())
}

func (sc overScript) render(t *testing.T) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n", sc.about)
	var fr []string
	for _, f := range sc.frames {
		fr = append(fr, f.String())
	}
	fmt.Fprintf(&b, "# PARTITION BY key; frames: %s; Delay %v\n", strings.Join(fr, ", "), sc.delay)
	b.WriteString("# push ID KEY TIME | advance TIME | flush, then what it emitted:\n")
	b.WriteString("#   row ID KEY TIME [IDs in each frame's window]   late ID KEY TIME\n")
	var ev strings.Builder // what the current step emitted
	opts := &Options[overRec]{Delay: sc.delay, Late: func(r overRec, err error) {
		fmt.Fprintf(&ev, "  late %d %s %s\n", r.ID, r.Key, overSec(r.T))
	}}
	op, err := NewOver(overKey, overList{}, opts, sc.frames...)
	if err != nil {
		t.Fatal(err)
	}
	emit := func(r OverRow[overRec, string]) {
		fmt.Fprintf(&ev, "  row %d %s %s %s\n", r.Record.ID, r.Record.Key, overSec(r.Record.T), strings.Join(r.Values, " "))
	}
	for _, step := range sc.steps {
		f := strings.Fields(step)
		var err error
		switch f[0] {
		case "push":
			var r overRec
			var sec float64
			fmt.Sscan(f[1], &r.ID)
			r.Key = f[2]
			fmt.Sscan(f[3], &sec)
			r.T = record.Time(sec * float64(time.Second))
			err = op.Push(r, emit)
		case "advance":
			var sec float64
			fmt.Sscan(f[1], &sec)
			err = op.Advance(record.Time(sec*float64(time.Second)), emit)
		case "flush":
			err = op.Flush(emit)
		default:
			t.Fatalf("bad step %q", step)
		}
		if err != nil {
			fmt.Fprintf(&ev, "  error: %v\n", err)
		}
		fmt.Fprintf(&b, "%-14s (watermark %s)\n", step, overSec(op.Stats().Watermark))
		b.WriteString(ev.String())
		ev.Reset()
	}
	st := op.Stats()
	fmt.Fprintf(&b, "# stats: records %d, late %d, emitted %d, partitions %d\n", st.Records, st.Late, st.Emitted, st.Keys)
	return b.String()
}
