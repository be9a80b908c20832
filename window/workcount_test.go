package window

import (
	"testing"
	"time"

	"github.com/rowtime/rowtime/record"
)

// TestHopWorkCount checks that hopping windows do O(1) aggregate calls
// (Add and Merge) per record and per result on average, independent of
// size/slide. When every key has records in every pane, results per record
// do not depend on size/slide, and neither do calls per record; when keys
// are sparse, each record is in size/slide results (the output grows), and
// the calls per result stay constant.
func TestHopWorkCount(t *testing.T) {
	n := sized(200000, 40000)
	// bound is the guarantee: one Add per record, at most three merges per
	// pane (a push onto the back, two when the back turns), at most two
	// per result.
	perRecord := func(w Assigner, keys int) (perRec float64, withinBound bool) {
		calls := 0
		op, err := Aggregate(w, tevKey, tevCounting{&calls}, nil)
		if err != nil {
			t.Fatal(err)
		}
		recs := genStream(5, streamSpec{n: n, keys: keys, step: 5 * time.Millisecond})
		results := 0
		emit := func(Result[string, int64]) { results++ }
		for _, r := range recs {
			if err := op.Push(r, emit); err != nil {
				t.Fatal(err)
			}
		}
		_ = op.Flush(emit)
		return float64(calls) / float64(n), calls <= 4*n+2*results
	}
	for _, keys := range []int{1, 50} {
		step, _ := perRecord(Step(time.Second), keys)
		c10, ok10 := perRecord(Hop(10*time.Second, time.Second), keys)
		c60, ok60 := perRecord(Hop(60*time.Second, time.Second), keys)
		if !ok10 || !ok60 {
			t.Errorf("keys=%d: more calls than 4 per record plus 2 per result", keys)
		}
		t.Logf("keys=%d: calls per record: step %.2f, hop 10s/1s %.2f, hop 60s/1s %.2f", keys, step, c10, c60)
		if step > 1.0001 {
			t.Errorf("keys=%d: tumbling windows make %.2f calls per record, want 1 (Add only)", keys, step)
		}
		// Add, then per pane: one push onto the back and two merges when the
		// back turns; per result at most two merges.
		if c10 > 6 || c60 > 6 {
			t.Errorf("keys=%d: hop makes %.2f (size/slide 10) and %.2f (60) calls per record, want ≤ 6", keys, c10, c60)
		}
		if c60 > 1.1*c10 {
			t.Errorf("keys=%d: calls per record grow with size/slide: %.2f at 10, %.2f at 60", keys, c10, c60)
		}
	}
	for _, w := range []Assigner{Hop(10*time.Second, time.Second), Hop(60*time.Second, time.Second), Hop(60*time.Second, 7*time.Second)} {
		if _, ok := perRecord(w, 2000); !ok {
			t.Errorf("%v, sparse keys: more calls than 4 per record plus 2 per result", w)
		}
	}
}

// TestHopAllocs checks that steady-state pushes do not allocate.
func TestHopAllocs(t *testing.T) {
	for _, w := range []Assigner{Step(time.Second), Hop(10*time.Second, time.Second), Session(time.Second), Stagger(time.Second)} {
		op, _ := Aggregate(w, func(r record.Of[int64]) int64 { return r.Value % 100 }, countOf[record.Of[int64]]{}, nil)
		emit := func(Result[int64, int64]) {}
		var x record.Of[int64]
		push := func() {
			x.Time += record.Time(time.Millisecond)
			x.Value++
			_ = op.Push(x, emit)
		}
		for range 30000 {
			push()
		}
		if a := testing.AllocsPerRun(20000, push); a > 0.01 {
			t.Errorf("%v: %.3f allocations per record", w, a)
		}
	}
}
