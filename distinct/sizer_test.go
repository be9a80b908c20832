package distinct_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/rowtime/rowtime/aggregate"
	"github.com/rowtime/rowtime/distinct"
	"github.com/rowtime/rowtime/record"
	"github.com/rowtime/rowtime/window"
)

type login struct {
	T    record.Time
	User string
}

func (v login) EventTime() record.Time { return v.T }

// TestCountStateSize checks the Sizer of Count against Sketch.Size: nothing
// for the zero sketch, the hash set while exact, the registers once in
// HyperLogLog.
func TestCountStateSize(t *testing.T) {
	f, err := distinct.Count(func(v login) string { return v.User }, &distinct.Options{Threshold: 100})
	if err != nil {
		t.Fatal(err)
	}
	z, ok := f.(aggregate.Sizer[distinct.Sketch])
	if !ok {
		t.Fatal("Count is not an aggregate.Sizer")
	}
	var s distinct.Sketch
	if got := z.StateSize(&s); got != 0 {
		t.Errorf("zero sketch: StateSize %d, want 0", got)
	}
	base := s.Size()
	for i := range 50 {
		f.Add(&s, login{User: fmt.Sprint("u", i)})
	}
	exact := z.StateSize(&s)
	if exact != s.Size()-base || exact < 50*8 || exact >= 1<<distinct.DefaultPrecision {
		t.Errorf("exact phase: StateSize %d, Size %d (zero %d)", exact, s.Size(), base)
	}
	for i := 50; i < 1000; i++ {
		f.Add(&s, login{User: fmt.Sprint("u", i)})
	}
	if got := z.StateSize(&s); got != s.Size()-base || got < 1<<distinct.DefaultPrecision {
		t.Errorf("HyperLogLog phase: StateSize %d, Size %d, want at least %d", got, s.Size(), 1<<distinct.DefaultPrecision)
	}
}

// TestCountWindowStateBytes checks that a window's Stats count the sketch
// behind its accumulator: one open window past the threshold holds at
// least the 16 KiB of registers.
func TestCountWindowStateBytes(t *testing.T) {
	f, err := distinct.Count(func(v login) string { return v.User }, &distinct.Options{Threshold: 100})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		w    window.Assigner
	}{
		{"window=step", window.Step(time.Hour)},
		{"window=hop", window.Hop(time.Hour, 30*time.Minute)},
		{"window=session", window.Session(time.Hour)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			op, err := window.Aggregate(c.w, func(login) int { return 0 }, f, nil)
			if err != nil {
				t.Fatal(err)
			}
			emit := func(window.Result[int, uint64]) {}
			for i := range 1000 {
				if err := op.Push(login{T: record.Time(i), User: fmt.Sprint("u", i)}, emit); err != nil {
					t.Fatal(err)
				}
			}
			st := op.Stats()
			if st.OpenWindows < 1 || st.StateBytes < 16<<10 {
				t.Errorf("Stats %+v: want at least one open window and StateBytes ≥ 16 KiB", st)
			}
			if err := op.Flush(emit); err != nil {
				t.Fatal(err)
			}
			if st := op.Stats(); st.StateBytes >= 16<<10 {
				t.Errorf("after Flush StateBytes %d, want the sketches released", st.StateBytes)
			}
		})
	}
}
