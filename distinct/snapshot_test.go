package distinct_test

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/rowtime/rowtime/aggregate"
	"github.com/rowtime/rowtime/distinct"
	"github.com/rowtime/rowtime/record"
	"github.com/rowtime/rowtime/window"
)

type snapCfg struct {
	keyed           bool
	delay, lateness time.Duration
	threshold       int
}

func newSnapOp(t testing.TB, c snapCfg) *distinct.Counter[ev, string, string] {
	t.Helper()
	opts := &distinct.CountOptions[ev]{Threshold: c.threshold, Precision: 10}
	opts.Delay, opts.Lateness = c.delay, c.lateness
	key := evKey
	if !c.keyed {
		key = func(ev) string { return "" }
	}
	op, err := distinct.CountItemsByKey(window.Step(3*time.Second), key, evItem, opts)
	if err != nil {
		t.Fatal(err)
	}
	return op
}

// run pushes in, with a watermark now and then and very late records, and
// returns the results.
func run(t testing.TB, op *distinct.Counter[ev, string, string], in []ev, seed uint64, emit func(distinct.Result[string])) {
	rng := rand.New(rand.NewPCG(seed, 5))
	for _, e := range in {
		switch rng.IntN(40) {
		case 0:
			if err := op.Advance(e.T-record.Time(rng.Int64N(int64(4*sec))), emit); err != nil {
				t.Fatal(err)
			}
		case 1:
			e.T -= 10 * sec
		}
		if err := op.Push(e, emit); err != nil {
			t.Fatal(err)
		}
	}
}

// TestCounterSnapshotRoundTrip runs streams uninterrupted and, for several
// cut points, up to the cut, through AppendSnapshot and Restore into a new
// operator, and on: results and Stats must be the same.
func TestCounterSnapshotRoundTrip(t *testing.T) {
	cfgs := []snapCfg{
		{false, 0, 0, 30},
		{true, 0, 0, 30},
		{true, time.Second, 4 * time.Second, 20},
		{false, 2 * time.Second, time.Second, 0},
	}
	for i, c := range cfgs {
		in := genStream(uint64(i), 2000, 3, 10*record.Time(time.Millisecond), 3*sec)
		// Each record is pushed with the same dice in both runs: split the
		// stream into the runs' own pieces, each with its own seed.
		for _, cut := range []int{0, 1, 137, 1000, 1999, 2000} {
			t.Run(fmt.Sprintf("cfg=%d/cut=%d", i, cut), func(t *testing.T) {
				var want, got []distinct.Result[string]
				ref := newSnapOp(t, c)
				run(t, ref, in[:cut], 1, func(r distinct.Result[string]) { want = append(want, r) })
				run(t, ref, in[cut:], 2, func(r distinct.Result[string]) { want = append(want, r) })
				ref.Flush(func(r distinct.Result[string]) { want = append(want, r) })

				a := newSnapOp(t, c)
				run(t, a, in[:cut], 1, func(r distinct.Result[string]) { got = append(got, r) })
				snap, err := a.AppendSnapshot([]byte("prefix"))
				if err != nil {
					t.Fatal(err)
				}
				snap = snap[len("prefix"):]
				b := newSnapOp(t, c)
				if err := b.Restore(snap); err != nil {
					t.Fatal(err)
				}
				if sa, sb := stats(a), stats(b); sa != sb {
					t.Errorf("Stats after Restore:\n%+v\nwant\n%+v", sb, sa)
				}
				again, err := b.AppendSnapshot(nil)
				if err != nil || !bytes.Equal(again, snap) {
					t.Errorf("a restored operator snapshots differently (err %v)", err)
				}
				run(t, b, in[cut:], 2, func(r distinct.Result[string]) { got = append(got, r) })
				b.Flush(func(r distinct.Result[string]) { got = append(got, r) })
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("results after a snapshot at %d (-uninterrupted +restored):\n%s", cut, diff)
				}
				if sr, sb := stats(ref), stats(b); sr != sb {
					t.Errorf("final Stats:\n%+v\nwant\n%+v", sb, sr)
				}
			})
		}
	}
}

func TestCounterRestoreErrors(t *testing.T) {
	c := snapCfg{true, time.Second, time.Second, 20}
	src := newSnapOp(t, c)
	run(t, src, genStream(3, 500, 3, 10*record.Time(time.Millisecond), sec), 1, func(distinct.Result[string]) {})
	snap, err := src.AppendSnapshot(nil)
	if err != nil {
		t.Fatal(err)
	}
	unkeyed, err := distinct.CountItems(window.Step(3*time.Second), evItem, &distinct.CountOptions[ev]{
		Options: window.Options[ev]{Delay: time.Second, Lateness: time.Second}, Threshold: 20, Precision: 10})
	if err != nil {
		t.Fatal(err)
	}
	type restorer interface {
		Restore([]byte) error
		AppendSnapshot([]byte) ([]byte, error)
	}
	mismatch := map[string]restorer{
		"unkeyed":   unkeyed,
		"threshold": newSnapOp(t, snapCfg{true, time.Second, time.Second, 21}),
	}
	for name, op := range mismatch {
		t.Run("mismatch "+name, func(t *testing.T) {
			before, _ := op.AppendSnapshot(nil)
			err := op.Restore(snap)
			if !errors.Is(err, window.ErrSnapshot) {
				t.Fatalf("Restore = %v, want window.ErrSnapshot", err)
			}
			if !errors.Is(err, distinct.ErrMismatch) {
				t.Errorf("Restore = %v, want ErrMismatch", err)
			}
			if after, _ := op.AppendSnapshot(nil); !bytes.Equal(before, after) {
				t.Errorf("failed Restore changed the operator")
			}
		})
	}
	t.Run("truncated", func(t *testing.T) {
		op := newSnapOp(t, c)
		op.Push(ev{T: 5 * sec, Key: "x", Item: "y"}, func(distinct.Result[string]) {})
		before, _ := op.AppendSnapshot(nil)
		step := max(1, len(snap)/300)
		for n := 0; n < len(snap); n += step {
			if err := op.Restore(snap[:n]); !errors.Is(err, window.ErrSnapshot) {
				t.Fatalf("Restore of %d of %d bytes = %v, want window.ErrSnapshot", n, len(snap), err)
			}
		}
		if err := op.Restore(append(bytes.Clone(snap), 0)); !errors.Is(err, window.ErrSnapshot) {
			t.Errorf("Restore with a trailing byte = %v", err)
		}
		if after, _ := op.AppendSnapshot(nil); !bytes.Equal(before, after) {
			t.Errorf("failed Restore changed the operator")
		}
	})
}

// FuzzCounterRestore checks that Restore of any input either fails, leaving
// the operator as it was, or yields an operator that works on.
func FuzzCounterRestore(f *testing.F) {
	c := snapCfg{true, time.Second, time.Second, 5}
	for _, n := range []int{0, 3, 40} {
		op := newSnapOp(f, c)
		run(f, op, genStream(uint64(n), n, 2, 100*record.Time(time.Millisecond), sec), 1, func(distinct.Result[string]) {})
		snap, err := op.AppendSnapshot(nil)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(snap)
	}
	// Snapshots of other operators: an unkeyed Counter, other precisions,
	// the window.Agg underneath, and the legacy format.
	unkeyed, _ := distinct.CountItems(window.Step(3*time.Second), evItem, nil)
	agg, _ := window.Aggregate(window.Step(3*time.Second), evKey, aggregate.Count[ev](), nil)
	other := newLegacyCounter(f, window.Options[legacyOf]{})
	for _, e := range genStream(1, 30, 2, 100*record.Time(time.Millisecond), sec) {
		unkeyed.Push(e, nil)
		agg.Push(e, nil)
		other.Push(legacyOf{Time: e.T, Value: int64(len(e.Item))}, nil)
	}
	for _, op := range []interface{ AppendSnapshot([]byte) ([]byte, error) }{unkeyed, agg, other} {
		snap, err := op.AppendSnapshot(nil)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(snap)
	}
	if legacy, err := os.ReadFile("testdata/legacy_counter.snap"); err == nil {
		f.Add(legacy)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		op := newSnapOp(t, c)
		op.Push(ev{T: 5 * sec, Key: "x", Item: "y"}, func(distinct.Result[string]) {})
		before, err := op.AppendSnapshot(nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := op.Restore(data); err != nil {
			if !errors.Is(err, window.ErrSnapshot) {
				t.Fatalf("Restore error %v does not wrap window.ErrSnapshot", err)
			}
			if after, _ := op.AppendSnapshot(nil); !bytes.Equal(before, after) {
				t.Fatal("failed Restore changed the operator")
			}
			return
		}
		emit := func(distinct.Result[string]) {}
		op.Stats()
		op.Push(ev{T: 6 * sec, Key: "x", Item: "z"}, emit)
		op.Push(ev{T: 60 * sec, Key: "y", Item: "z"}, emit)
		if _, err := op.AppendSnapshot(nil); err != nil {
			t.Fatal(err)
		}
		op.Flush(emit)
	})
}

// stats returns op's Stats but for StateBytes, which counts slice capacities
// that a restored operator sizes tighter.
func stats(op *distinct.Counter[ev, string, string]) window.Stats {
	s := op.Stats()
	s.StateBytes = 0
	return s
}
