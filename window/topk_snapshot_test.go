package window

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/rowtime/rowtime/record"
)

func newTopKOp(t testing.TB, k, capacity int, lateness time.Duration) *TopK[click, string, int] {
	t.Helper()
	opts := &TopKOptions[click]{Capacity: capacity}
	opts.Delay, opts.Lateness = 500*time.Millisecond, lateness
	op, err := TopKItemsByKey(Step(2*time.Second), clickSection, k, clickArticle, opts)
	if err != nil {
		t.Fatal(err)
	}
	return op
}

// shuffled returns in with some records moved back in time, some of them
// late.
func shuffled(in []click, seed uint64) []click {
	rng := rand.New(rand.NewPCG(seed, 3))
	out := slicesClone(in)
	for i := range out {
		if rng.IntN(20) == 0 {
			out[i].T -= record.Time(rng.Int64N(int64(3 * time.Second)))
		}
	}
	return out
}

func slicesClone[T any](s []T) []T { return append([]T(nil), s...) }

// TestTopKSnapshotRoundTrip checks that a snapshot carries all state, with
// late records and updates: see checkCuts.
func TestTopKSnapshotRoundTrip(t *testing.T) {
	for i, c := range []struct {
		k, capacity int
		lateness    time.Duration
	}{{3, 5, 0}, {2, 0, time.Second}, {5, 8, 3 * time.Second}} {
		steps := pushes(shuffled(zipfClicks(uint64(i), 3000, 40, 3, 1.3), uint64(i)))
		t.Run(fmt.Sprintf("cfg=%d", i), func(t *testing.T) {
			checkCuts(t, func() *TopK[click, string, int] { return newTopKOp(t, c.k, c.capacity, c.lateness) },
				steps, []int{0, 1, 500, 2999, 3000})
		})
	}
}

func TestTopKRestoreErrors(t *testing.T) {
	src := newTopKOp(t, 3, 6, time.Second)
	for _, e := range zipfClicks(1, 400, 30, 3, 1.2) {
		src.Push(e, func(TopKItem[string, int]) {})
	}
	snap, err := src.AppendSnapshot(nil)
	if err != nil {
		t.Fatal(err)
	}
	for name, op := range map[string]*TopK[click, string, int]{
		"k":        newTopKOp(t, 4, 6, time.Second),
		"capacity": newTopKOp(t, 3, 7, time.Second),
	} {
		t.Run(name, func(t *testing.T) {
			before, _ := op.AppendSnapshot(nil)
			if err := op.Restore(snap); !errors.Is(err, ErrSnapshot) {
				t.Fatalf("Restore = %v, want ErrSnapshot", err)
			}
			if after, _ := op.AppendSnapshot(nil); !bytes.Equal(before, after) {
				t.Error("failed Restore changed the operator")
			}
		})
	}
	t.Run("truncated", func(t *testing.T) {
		op := newTopKOp(t, 3, 6, time.Second)
		op.Push(click{T: 1, Key: "s", V: 1}, func(TopKItem[string, int]) {})
		before, _ := op.AppendSnapshot(nil)
		for n := range len(snap) {
			if err := op.Restore(snap[:n]); !errors.Is(err, ErrSnapshot) {
				t.Fatalf("Restore of %d of %d bytes = %v, want ErrSnapshot", n, len(snap), err)
			}
		}
		if after, _ := op.AppendSnapshot(nil); !bytes.Equal(before, after) {
			t.Error("failed Restore changed the operator")
		}
	})
}

func FuzzTopKRestore(f *testing.F) {
	for _, n := range []int{0, 5, 60} {
		op := newTopKOp(f, 2, 4, time.Second)
		for _, e := range zipfClicks(uint64(n), n, 10, 2, 1.2) {
			op.Push(e, func(TopKItem[string, int]) {})
		}
		snap, err := op.AppendSnapshot(nil)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(snap)
	}
	for _, seed := range otherOperatorSeeds(f) {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		op := newTopKOp(t, 2, 4, time.Second)
		op.Push(click{T: 1, Key: "s", V: 1}, func(TopKItem[string, int]) {})
		before, _ := op.AppendSnapshot(nil)
		if err := op.Restore(data); err != nil {
			if !errors.Is(err, ErrSnapshot) {
				t.Fatalf("error %v does not wrap ErrSnapshot", err)
			}
			if after, _ := op.AppendSnapshot(nil); !bytes.Equal(before, after) {
				t.Fatal("failed Restore changed the operator")
			}
			return
		}
		emit := func(TopKItem[string, int]) {}
		op.Push(click{T: record.Time(time.Minute), Key: "t", V: 2}, emit)
		op.Stats()
		op.Flush(emit)
	})
}
