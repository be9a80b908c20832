package window

import (
	"fmt"
	"testing"
	"time"

	"github.com/rowtime/rowtime/aggregate"
	"github.com/rowtime/rowtime/record"
)

// tevListSized is tevList whose StateSize is 8 bytes per value listed, so
// that the sizes an operator adds up count the records its live
// accumulators hold.
type tevListSized struct{ tevList }

func (tevListSized) StateSize(a *[]int64) int { return 8 * len(*a) }

// tevSumSized is tevSum reporting nothing beyond the accumulator.
type tevSumSized struct{ tevSum }

func (tevSumSized) StateSize(*int64) int { return 0 }

// stateBytesRun pushes the same records through an Agg built with f and
// returns its Stats, before and after Flush.
func stateBytesRun[A, V any](t *testing.T, w Assigner, f aggregate.Func[tev, A, V], opts *Options[tev], recs []tev) (open, flushed Stats) {
	t.Helper()
	op, err := Aggregate(w, tevKey, f, opts)
	if err != nil {
		t.Fatal(err)
	}
	emit := func(Result[string, V]) {}
	for _, r := range recs {
		if err := op.Push(r, emit); err != nil {
			t.Fatal(err)
		}
	}
	open = op.Stats()
	if err := op.Flush(emit); err != nil {
		t.Fatal(err)
	}
	return open, op.Stats()
}

// TestStateBytesSizer checks that Stats.StateBytes adds StateSize over
// exactly the live accumulators: with tevListSized the difference from
// tevList is 8 bytes per record held, once per accumulator holding it, and a
// Sizer reporting nothing leaves StateBytes as it is without one.
func TestStateBytesSizer(t *testing.T) {
	// Three keys over 10 minutes, one record a second; the windows that
	// end by the watermark (the last time, 599 s) have closed.
	var recs []tev
	for i := range 600 {
		recs = append(recs, tev{T: record.Time(int64(i) * int64(time.Second)), Key: fmt.Sprint("k", i%3), V: int64(i)})
	}
	cases := []struct {
		name string
		w    Assigner
		opts *Options[tev]
		// held is the number of records in live accumulators; for Hop,
		// which also keeps partial merges, the number in live panes.
		held int
	}{
		// Windows [0, 7m) closed; [7m, 14m) holds records 420..599.
		{"window=step", Step(7 * time.Minute), nil, 180},
		// Closed windows are kept for an hour of lateness: all records.
		{"window=step/lateness=1h", Step(7 * time.Minute), &Options[tev]{Lateness: time.Hour}, 600},
		// One session per key, all open.
		{"window=session", Session(time.Minute), nil, 600},
		// The window [6m, 10m) is open: panes 6..9 hold records 360..599.
		{"window=hop", Hop(4*time.Minute, time.Minute), nil, 240},
		{"window=hop/lateness=1h", Hop(4*time.Minute, time.Minute), &Options[tev]{Lateness: time.Hour}, 600},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			plain, plainEnd := stateBytesRun(t, c.w, aggregate.Func[tev, []int64, string](tevList{}), c.opts, recs)
			sized, sizedEnd := stateBytesRun(t, c.w, aggregate.Func[tev, []int64, string](tevListSized{}), c.opts, recs)
			diff, want := sized.StateBytes-plain.StateBytes, 8*int64(c.held)
			if c.w.kind == kindHop {
				// Suffix merges and the back stack count again records
				// the panes hold, at most once per pane of a window.
				if diff < want || diff > want*c.w.size/c.w.pane {
					t.Errorf("StateBytes %d with a Sizer, %d without: difference %d, want %d to %d", sized.StateBytes, plain.StateBytes, diff, want, want*c.w.size/c.w.pane)
				}
			} else if diff != want {
				t.Errorf("StateBytes %d with a Sizer, %d without: difference %d, want %d", sized.StateBytes, plain.StateBytes, diff, want)
			}
			if plainEnd.StateBytes != sizedEnd.StateBytes {
				t.Errorf("after Flush: StateBytes %d with a Sizer, %d without", sizedEnd.StateBytes, plainEnd.StateBytes)
			}
			sum, _ := stateBytesRun(t, c.w, aggregate.Func[tev, int64, int64](tevSum{}), c.opts, recs)
			zero, _ := stateBytesRun(t, c.w, aggregate.Func[tev, int64, int64](tevSumSized{}), c.opts, recs)
			if sum.StateBytes != zero.StateBytes {
				t.Errorf("Sum: StateBytes %d without a Sizer, %d with one reporting 0", sum.StateBytes, zero.StateBytes)
			}
		})
	}
	// Records within the first pane only fill the pane kept outside the
	// deque, and no merge exists yet.
	t.Run("window=hop/one pane", func(t *testing.T) {
		w := Hop(4*time.Minute, time.Minute)
		plain, _ := stateBytesRun(t, w, aggregate.Func[tev, []int64, string](tevList{}), nil, recs[:60])
		sized, _ := stateBytesRun(t, w, aggregate.Func[tev, []int64, string](tevListSized{}), nil, recs[:60])
		if diff := sized.StateBytes - plain.StateBytes; diff != 8*60 {
			t.Errorf("StateBytes %d with a Sizer, %d without: difference %d, want %d", sized.StateBytes, plain.StateBytes, diff, 8*60)
		}
	})
	if _, ok := aggregate.Sum(func(r tev) int64 { return r.V }).(aggregate.Sizer[aggregate.SumState[int64]]); ok {
		t.Error("aggregate.Sum is a Sizer; its StateBytes would walk the windows for nothing")
	}
}

// TestOverStateBytesSizer checks Over's Stats the same way: every window of
// ROWS 10 PRECEDING holds at least its 10 earlier rows in its accumulators.
func TestOverStateBytesSizer(t *testing.T) {
	run := func(f aggregate.Func[tev, []int64, string]) Stats {
		op, err := NewOver(tevKey, f, nil, Rows(10))
		if err != nil {
			t.Fatal(err)
		}
		for i := range 300 {
			r := tev{T: record.Time(i), Key: fmt.Sprint("k", i%3), V: int64(i)}
			if err := op.Push(r, func(OverRow[tev, string]) {}); err != nil {
				t.Fatal(err)
			}
		}
		return op.Stats()
	}
	plain, sized := run(tevList{}), run(tevListSized{})
	if diff, want := sized.StateBytes-plain.StateBytes, int64(8*3*10); diff < want {
		t.Errorf("StateBytes %d with a Sizer, %d without: difference %d, want at least %d", sized.StateBytes, plain.StateBytes, diff, want)
	}
}

// TestTopKStateBytes checks that a window of TOP_K counts grows with the
// distinct items its summary holds, and stops at the summary's capacity.
func TestTopKStateBytes(t *testing.T) {
	f, err := aggregate.TopK(10, func(r tev) int64 { return r.V }, &aggregate.TopKOptions{Capacity: 1000})
	if err != nil {
		t.Fatal(err)
	}
	stateBytes := func(distinct int) int64 {
		op, err := Aggregate(Step(time.Hour), func(tev) int { return 0 }, f, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i := range 2000 {
			if err := op.Push(tev{T: record.Time(i), V: int64(i % distinct)}, func(Result[int, []aggregate.Item[int64]]) {}); err != nil {
				t.Fatal(err)
			}
		}
		return op.Stats().StateBytes
	}
	prev := stateBytes(1)
	for _, n := range []int{10, 100, 1000} {
		got := stateBytes(n)
		// Each distinct item takes a counter (item, count, error, arrival,
		// heap position), a heap entry and an index entry.
		if min := prev + int64(n-n/10)*(40+4+12); got < min {
			t.Errorf("distinct=%d: StateBytes %d, want at least %d (%d for a tenth as many)", n, got, min, prev)
		}
		prev = got
	}
	if got := stateBytes(2000); got != prev {
		t.Errorf("distinct=2000 past capacity 1000: StateBytes %d, want %d as at capacity", got, prev)
	}
}
