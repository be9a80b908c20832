package distinct_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rowtime/rowtime/distinct"
	"github.com/rowtime/rowtime/record"
	"github.com/rowtime/rowtime/window"
)

type legacyOf = record.Of[int64]

func newLegacyCounter(t testing.TB, o window.Options[legacyOf]) *distinct.Counter[legacyOf, int64, int64] {
	t.Helper()
	op, err := distinct.CountItemsByKey(window.Step(10*time.Second), func(r legacyOf) int64 { return r.Value % 3 },
		func(r legacyOf) int64 { return r.Value % 17 }, &distinct.CountOptions[legacyOf]{Options: o})
	if err != nil {
		t.Fatal(err)
	}
	return op
}

func legacyCounterInput() []legacyOf {
	in := make([]legacyOf, 200)
	for i := range in {
		in[i] = legacyOf{Time: record.Time(i) * record.Time(700*time.Millisecond), Value: int64(i * 7)}
	}
	return in
}

// TestLegacyCounterSnapshot restores a snapshot written by the release
// before the snapshot envelope, and checks the operator goes on as one that
// never stopped.
func TestLegacyCounterSnapshot(t *testing.T) {
	data, err := os.ReadFile("testdata/legacy_counter.snap")
	if err != nil {
		t.Fatal(err)
	}
	in := legacyCounterInput()
	var want, got []string
	collect := func(out *[]string) func(distinct.Result[int64]) {
		return func(r distinct.Result[int64]) { *out = append(*out, fmt.Sprint(r)) }
	}
	ref := newLegacyCounter(t, window.Options[legacyOf]{Delay: time.Second})
	n := 0
	for i, r := range in {
		if i == 100 {
			n = len(want)
		}
		if err := ref.Push(r, collect(&want)); err != nil {
			t.Fatal(err)
		}
	}
	ref.Flush(collect(&want))
	// Another Delay: the settings may change across a restore.
	op := newLegacyCounter(t, window.Options[legacyOf]{Delay: time.Second})
	if err := op.Restore(data); err != nil {
		t.Fatalf("Restore of a legacy snapshot: %v", err)
	}
	for _, r := range in[100:] {
		if err := op.Push(r, collect(&got)); err != nil {
			t.Fatal(err)
		}
	}
	op.Flush(collect(&got))
	if diff := cmp.Diff(want[n:], got); diff != "" {
		t.Errorf("after restoring a legacy snapshot (-uninterrupted +restored):\n%s", diff)
	}
	if st, sr := op.Stats(), ref.Stats(); st.Records != sr.Records || st.Emitted != sr.Emitted {
		t.Errorf("stats %+v, want %+v", st, sr)
	}
}

// TestCounterContract: mismatched snapshots name both sides, changed
// settings restore, bit flips are caught, Flush ends the input, and a nil
// emit discards.
func TestCounterContract(t *testing.T) {
	in := legacyCounterInput()
	src := newLegacyCounter(t, window.Options[legacyOf]{Delay: time.Second, Lateness: time.Second})
	for _, r := range in[:100] {
		if err := src.Push(r, nil); err != nil {
			t.Fatal(err)
		}
	}
	snap, err := src.AppendSnapshot(nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("other precision", func(t *testing.T) {
		op, _ := distinct.CountItemsByKey(window.Step(10*time.Second), func(r legacyOf) int64 { return r.Value % 3 },
			func(r legacyOf) int64 { return r.Value % 17 }, &distinct.CountOptions[legacyOf]{Precision: 12})
		err := op.Restore(snap)
		if !errors.Is(err, record.ErrSnapshot) || !errors.Is(err, distinct.ErrMismatch) || !errors.Is(err, window.ErrSnapshot) {
			t.Fatalf("Restore: %v, want record.ErrSnapshot", err)
		}
		if msg := err.Error(); !bytes.Contains([]byte(msg), []byte("precision is 14 in the snapshot, 12 here")) {
			t.Errorf("error %q does not name both precisions", msg)
		}
	})
	t.Run("other item type", func(t *testing.T) {
		op, _ := distinct.CountItemsByKey(window.Step(10*time.Second), func(r legacyOf) int64 { return r.Value % 3 },
			func(r legacyOf) uint64 { return uint64(r.Value % 17) }, nil)
		if err := op.Restore(snap); !errors.Is(err, record.ErrSnapshot) {
			t.Fatalf("Restore: %v, want record.ErrSnapshot", err)
		}
	})
	t.Run("other settings", func(t *testing.T) {
		op := newLegacyCounter(t, window.Options[legacyOf]{Delay: 5 * time.Second, MaxKeys: 1})
		if err := op.Restore(snap); err != nil {
			t.Fatalf("Restore with other Delay, Lateness and limits: %v", err)
		}
		if got, want := op.Stats().Watermark, src.Stats().Watermark; got != want {
			t.Errorf("watermark %v, want %v", got, want)
		}
	})
	t.Run("bit flips", func(t *testing.T) {
		op := newLegacyCounter(t, window.Options[legacyOf]{Delay: time.Second, Lateness: time.Second})
		for i := range 8 * len(snap) {
			bad := bytes.Clone(snap)
			bad[i/8] ^= 1 << (i % 8)
			if err := op.Restore(bad); !errors.Is(err, record.ErrSnapshot) {
				t.Fatalf("flip of bit %d: Restore = %v, want record.ErrSnapshot", i, err)
			}
		}
	})
	t.Run("flush", func(t *testing.T) {
		op := newLegacyCounter(t, window.Options[legacyOf]{})
		for _, r := range in[:50] {
			if err := op.Push(r, nil); err != nil {
				t.Fatal(err)
			}
		}
		if err := op.Flush(nil); err != nil {
			t.Fatal(err)
		}
		if op.Stats().Emitted == 0 {
			t.Error("nothing emitted")
		}
		if err := op.Push(in[60], nil); !errors.Is(err, record.ErrFlushed) {
			t.Errorf("Push after Flush: %v, want record.ErrFlushed", err)
		}
		if err := op.Advance(in[60].Time, nil); !errors.Is(err, record.ErrFlushed) {
			t.Errorf("Advance after Flush: %v, want record.ErrFlushed", err)
		}
	})
}
