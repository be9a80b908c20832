package hotspot_test

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rowtime/rowtime/hotspot"
	"github.com/rowtime/rowtime/record"
)

type pt2 = record.Of[[2]float64]

func coords2(dst []float64, r pt2) []float64 { return append(dst, r.Value[0], r.Value[1]) }

func legacyPoints(n int) []pt2 {
	out := make([]pt2, n)
	for i := range out {
		out[i] = pt2{Time: record.Time(i), Value: [2]float64{float64(i*37%11) / 2, float64(i*53%7) / 2}}
	}
	return out
}

func newOp(t testing.TB, eps float64) *hotspot.Operator[pt2] {
	t.Helper()
	op, err := hotspot.New(50, eps, 4, coords2, nil)
	if err != nil {
		t.Fatal(err)
	}
	return op
}

func traceOf(t testing.TB, op *hotspot.Operator[pt2], in []pt2) []string {
	var out []string
	for _, r := range in {
		if err := op.Push(r, func(res hotspot.Result[pt2]) {
			b, _ := res.AppendJSON(nil)
			out = append(out, fmt.Sprint(res.EventTime(), string(b)))
		}); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// TestLegacySnapshot restores a snapshot written by the release before the
// snapshot envelope: the operator goes on as one that never stopped.
func TestLegacySnapshot(t *testing.T) {
	data, err := os.ReadFile("testdata/legacy.snap")
	if err != nil {
		t.Fatal(err)
	}
	in := legacyPoints(160)
	ref := newOp(t, 1.5)
	want := traceOf(t, ref, in)
	op := newOp(t, 1.5)
	if err := op.Restore(data); err != nil {
		t.Fatalf("Restore of a legacy snapshot: %v", err)
	}
	got := traceOf(t, op, in[80:])
	if diff := cmp.Diff(want[80:], got); diff != "" {
		t.Errorf("after restoring a legacy snapshot (-uninterrupted +restored):\n%s", diff)
	}
	if err := newOp(t, 2).Restore(data); !errors.Is(err, record.ErrSnapshot) {
		t.Errorf("legacy snapshot into another ε: %v, want record.ErrSnapshot", err)
	}
}

// TestSnapshotContract: every single-bit flip is caught, a snapshot of other
// parameters is an error naming both sides, Flush ends the input.
func TestSnapshotContract(t *testing.T) {
	op := newOp(t, 1.5)
	traceOf(t, op, legacyPoints(80))
	snap, err := op.AppendSnapshot(nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("bit flips", func(t *testing.T) {
		dst := newOp(t, 1.5)
		undetected := 0
		for i := range 8 * len(snap) {
			bad := bytes.Clone(snap)
			bad[i/8] ^= 1 << (i % 8)
			if err := dst.Restore(bad); err == nil {
				undetected++
			} else if !errors.Is(err, hotspot.ErrSnapshot) || !errors.Is(err, record.ErrSnapshot) {
				t.Fatalf("flip %d: %v", i, err)
			}
		}
		if undetected != 0 {
			t.Errorf("%d of %d single-bit flips restored without error", undetected, 8*len(snap))
		}
	})
	t.Run("other ε", func(t *testing.T) {
		err := newOp(t, 2).Restore(snap)
		if !errors.Is(err, record.ErrSnapshot) || !strings.Contains(err.Error(), "eps is 1.5 in the snapshot, 2 here") {
			t.Fatalf("Restore: %v, want record.ErrSnapshot naming both ε", err)
		}
	})
	t.Run("flush", func(t *testing.T) {
		op := newOp(t, 1.5)
		traceOf(t, op, legacyPoints(10))
		if err := op.Flush(nil); err != nil {
			t.Fatal(err)
		}
		if err := op.Push(legacyPoints(11)[10], nil); !errors.Is(err, record.ErrFlushed) || record.IsRefused(err) {
			t.Errorf("Push after Flush: %v, want record.ErrFlushed", err)
		}
		if err := op.Advance(100, nil); !errors.Is(err, record.ErrFlushed) {
			t.Errorf("Advance after Flush: %v, want record.ErrFlushed", err)
		}
		if got := op.Stats().Window; got != 10 {
			t.Errorf("window of %d points after Flush, want 10", got)
		}
	})
	t.Run("bad point", func(t *testing.T) {
		op := newOp(t, 1.5)
		err := op.Push(pt2{Value: [2]float64{math.NaN(), 0}}, nil)
		if !errors.Is(err, hotspot.ErrPoint) || !record.IsRefused(err) {
			t.Errorf("Push of a NaN point: %v, want a refusal wrapping ErrPoint", err)
		}
	})
}

// TestEpsSquareOverflow: an ε whose square overflows (or underflows to 0)
// is refused by New and Find alike, so both agree on every input.
func TestEpsSquareOverflow(t *testing.T) {
	for _, eps := range []float64{1e200, math.Sqrt(math.MaxFloat64) * 1.0000001, 1e-170} {
		if _, err := hotspot.New(10, eps, 2, coords2, nil); !errors.Is(err, hotspot.ErrInvalid) {
			t.Errorf("New with ε = %v: %v, want ErrInvalid", eps, err)
		}
		if _, err := hotspot.Find([][]float64{{0, 0}, {1, 1}}, eps, 2); !errors.Is(err, hotspot.ErrInvalid) {
			t.Errorf("Find with ε = %v: %v, want ErrInvalid", eps, err)
		}
	}
	for _, eps := range []float64{1e150, math.Sqrt(math.MaxFloat64) * 0.9999999, 1e-150} {
		if _, err := hotspot.New(10, eps, 2, coords2, nil); err != nil {
			t.Errorf("New with ε = %v: %v", eps, err)
		}
	}
}
