package window

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rowtime/rowtime/aggregate"
	"github.com/rowtime/rowtime/record"
)

var snapAssigners = []Assigner{
	Step(7 * time.Second), Floor(Minute), Months(1), Hop(10*time.Second, time.Second), Hop(10*time.Second, 4*time.Second),
	Session(2 * time.Second), Stagger(3 * time.Second),
}

var snapOptions = []Options[tev]{
	{},
	{Delay: 3 * time.Second},
	{Delay: time.Second, Lateness: 5 * time.Second},
}

// TestSnapshotContinues checks that a snapshot carries all state, for every
// kind of window, with and without Delay and Lateness: see checkCuts. The
// float sum checks that accumulators are restored bit for bit.
func TestSnapshotContinues(t *testing.T) {
	n := sized(1500, 400)
	steps := pushes(genStream(7, streamSpec{n: n, keys: 12, start: -record.Time(time.Minute), step: 150 * time.Millisecond, jitter: 6 * time.Second}))
	cuts := []int{0, 1, n / 7, n / 2, n - 3, n}
	fsum := aggregate.Sum(func(r tev) float64 { return float64(r.V) / 3 })
	for _, w := range snapAssigners {
		for oi, o := range snapOptions {
			t.Run(fmt.Sprintf("%v/options=%d", w, oi), func(t *testing.T) {
				checkCuts(t, func() *Agg[tev, string, string] { return must(Aggregate(w, tevKey, tevList{}, &o)) }, steps, cuts)
				checkCuts(t, func() *Agg[tev, string, float64] { return must(Aggregate(w, tevKey, fsum, &o)) }, steps, cuts)
			})
		}
	}
}

func TestRestoreErrors(t *testing.T) {
	op, _ := Aggregate(Step(time.Second), tevKey, tevSum{}, &Options[tev]{Delay: time.Second})
	emit := func(Result[string, int64]) {}
	for _, r := range genStream(1, streamSpec{n: 50, keys: 3, step: 100 * time.Millisecond}) {
		_ = op.Push(r, emit)
	}
	snap, err := op.AppendSnapshot(nil)
	if err != nil {
		t.Fatal(err)
	}
	other := func(w Assigner, o *Options[tev]) *Agg[tev, string, int64] {
		x, err := Aggregate(w, tevKey, tevSum{}, o)
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
	tests := []struct {
		name string
		op   *Agg[tev, string, int64]
		data []byte
	}{
		{"other size", other(Step(2*time.Second), &Options[tev]{Delay: time.Second}), snap},
		{"other kind", other(Session(time.Second), &Options[tev]{Delay: time.Second}), snap},
		{"empty", other(Step(time.Second), &Options[tev]{Delay: time.Second}), nil},
		{"version", other(Step(time.Second), &Options[tev]{Delay: time.Second}), append([]byte{99}, snap[1:]...)},
		{"truncated", other(Step(time.Second), &Options[tev]{Delay: time.Second}), snap[:len(snap)-1]},
		{"trailing", other(Step(time.Second), &Options[tev]{Delay: time.Second}), append(append([]byte{}, snap...), 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_ = tt.op.Push(tev{T: 0, Key: "x", V: 1}, emit)
			if restoreChecked(t, tt.op, tt.data) == nil {
				t.Fatal("Restore took it")
			}
		})
	}
}

func FuzzRestore(f *testing.F) {
	recs := genStream(3, streamSpec{n: 60, keys: 4, step: 300 * time.Millisecond, jitter: 2 * time.Second})
	emit := func(Result[string, string]) {}
	for _, w := range snapAssigners {
		op, _ := Aggregate(w, tevKey, tevList{}, &Options[tev]{Delay: 2 * time.Second, Lateness: 3 * time.Second})
		for _, r := range recs {
			_ = op.Push(r, emit)
		}
		snap, _ := op.AppendSnapshot(nil)
		f.Add(snap)
	}
	for _, seed := range otherOperatorSeeds(f) {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, w := range snapAssigners {
			newOp := func() *Agg[tev, string, string] {
				return must(Aggregate(w, tevKey, tevList{}, &Options[tev]{Delay: 2 * time.Second, Lateness: 3 * time.Second}))
			}
			op := newOp()
			if !restoreFuzzed(t, op, newOp, data) {
				continue
			}
			// A restored operator must keep working.
			for _, r := range recs[:10] {
				_ = op.Push(r, emit)
			}
			_ = op.Flush(emit)
		}
	})
}

// restoreFuzzed restores data, from a fuzz target, into op and reports
// whether it was taken. Either Restore fails with an ErrSnapshot and
// changes nothing, or op's snapshot restores into another operator from
// newOp, whose snapshot is the same.
func restoreFuzzed[O snapshotter](t *testing.T, op O, newOp func() O, data []byte) bool {
	t.Helper()
	if restoreChecked(t, op, data) != nil {
		return false
	}
	snap := snapshotOf(t, op, nil)
	back := newOp()
	if err := back.Restore(snap); err != nil {
		t.Fatalf("a restored state does not restore again: %v", err)
	}
	if again := snapshotOf(t, back, nil); !bytes.Equal(again, snap) {
		t.Fatal("the snapshot of a restored state does not round-trip")
	}
	return true
}

// otherOperatorSeeds returns snapshots of every kind of operator of the
// package and of other key and value types, in the envelope and in the
// legacy format, for the Restore fuzz targets: restoring one operator's
// snapshot into another must be an error, never a panic.
func otherOperatorSeeds(f *testing.F) [][]byte {
	recs := genStream(5, streamSpec{n: 40, keys: 3, step: 300 * time.Millisecond, jitter: time.Second})
	var out [][]byte
	add := func(b []byte, err error) {
		if err != nil {
			f.Fatal(err)
		}
		out = append(out, b)
	}
	sum, _ := Aggregate(Step(time.Second), tevKey, tevSum{}, &Options[tev]{Delay: time.Second})
	intKey, _ := Aggregate(Hop(2*time.Second, time.Second), func(r tev) int64 { return r.V }, tevMax{}, nil)
	over, _ := NewOver(tevKey, tevSum{}, &Options[tev]{Delay: time.Second}, Rows(2), Range(time.Second))
	top, _ := TopKItems(Step(time.Second), 2, tevKey, nil)
	for _, r := range recs {
		_ = sum.Push(r, nil)
		_ = intKey.Push(r, nil)
		_ = over.Push(r, nil)
		_ = top.Push(r, nil)
	}
	add(sum.AppendSnapshot(nil))
	add(intKey.AppendSnapshot(nil))
	add(over.AppendSnapshot(nil))
	add(top.AppendSnapshot(nil))
	files, _ := filepath.Glob(filepath.Join("testdata", "legacy", "*.snap"))
	for _, name := range files {
		add(os.ReadFile(name))
	}
	return out
}
