package hotspot

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/rowtime/rowtime/record"
)

// trace runs records through op and returns each emitted result's JSON,
// prefixed with the record's time, and the errors.
func trace(t testing.TB, op *Operator[pt], recs []pt) []string {
	var out []string
	for _, r := range recs {
		err := op.Push(r, func(res Result[pt]) {
			b, err := res.AppendJSON(fmt.Appendf(nil, "%d ", res.EventTime()))
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, string(b))
		})
		if err != nil {
			out = append(out, fmt.Sprintf("%d error %v", r.Time, err))
		}
	}
	return out
}

func randomRecords(seed uint64, count, dims int, bad bool) []pt {
	rng := rand.New(rand.NewPCG(seed, 11))
	recs := make([]pt, count)
	for i := range recs {
		p := make([]float64, dims)
		for d := range p {
			if rng.IntN(3) == 0 {
				p[d] = float64(rng.IntN(8)) * 0.25 // on a grid, with duplicates
			} else {
				p[d] = rng.NormFloat64() * 0.6
			}
		}
		if bad && rng.IntN(50) == 0 {
			p = p[:dims-1]
		}
		recs[i] = pt{Time: record.Time(i), Value: p}
	}
	return recs
}

func TestSnapshotRoundTrip(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name   string
		n      int
		eps    float64
		minPts int
		opts   Options
		dims   int
	}{
		{"plain", 60, 0.25, 4, Options{}, 2},
		{"every", 40, 0.3, 3, Options{Every: 3}, 2},
		{"changes", 50, 0.25, 5, Options{OnlyChanges: true, Dims: 3}, 3},
		{"small-panes", 80, 0.25, 4, Options{PaneSize: 7, Every: 2, OnlyChanges: true}, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			for seed := range uint64(3) {
				recs := randomRecords(seed, 400, c.dims, true)
				newOp := func() *Operator[pt] {
					op, err := New(c.n, c.eps, c.minPts, pointCoords, &c.opts)
					if err != nil {
						t.Fatal(err)
					}
					return op
				}
				whole := newOp()
				want := trace(t, whole, recs)
				for _, cut := range []int{0, 1, c.n / 2, c.n, c.n + 1, 217, 399} {
					a := newOp()
					got := trace(t, a, recs[:cut])
					snap, err := a.AppendSnapshot([]byte("prefix"))
					if err != nil {
						t.Fatal(err)
					}
					b := newOp()
					if err := b.Restore(snap[len("prefix"):]); err != nil {
						t.Fatalf("cut %d: Restore: %v", cut, err)
					}
					got = append(got, trace(t, b, recs[cut:])...)
					if fmt.Sprint(got) != fmt.Sprint(want) {
						t.Fatalf("seed %d cut %d: restored run differs", seed, cut)
					}
					// Searches may differ: the restored oldest pane's tree
					// holds only its live points, so it may be skipped
					// where the original was searched.
					gs, ws := b.Stats(), whole.Stats()
					if gs.Searches > ws.Searches {
						t.Fatalf("seed %d cut %d: %d searches, more than %d", seed, cut, gs.Searches, ws.Searches)
					}
					gs.Searches = ws.Searches
					if gs != ws {
						t.Fatalf("seed %d cut %d: Stats %+v, want %+v", seed, cut, gs, ws)
					}
				}
			}
		})
	}
}

func TestRestoreRejects(t *testing.T) {
	op, _ := New(20, 0.25, 3, pointCoords, nil)
	trace(t, op, randomRecords(1, 50, 2, false))
	good, _ := op.AppendSnapshot(nil)
	other, _ := New(21, 0.25, 3, pointCoords, nil)
	for _, c := range []struct {
		name string
		op   *Operator[pt]
		data []byte
	}{
		{"empty", op, nil},
		{"version", op, append([]byte{9}, good[1:]...)},
		{"truncated", op, good[:len(good)-3]},
		{"trailing", op, append(bytes.Clone(good), 0)},
		{"parameters", other, good},
	} {
		t.Run(c.name, func(t *testing.T) {
			before, _ := c.op.AppendSnapshot(nil)
			err := c.op.Restore(c.data)
			if !errors.Is(err, ErrSnapshot) {
				t.Fatalf("Restore: err = %v, want ErrSnapshot", err)
			}
			after, _ := c.op.AppendSnapshot(nil)
			if !bytes.Equal(before, after) {
				t.Fatal("failed Restore changed the operator")
			}
		})
	}
}

func FuzzRestore(f *testing.F) {
	for _, opts := range []*Options{nil, {Every: 2, OnlyChanges: true}} {
		op, _ := New(12, 0.3, 3, pointCoords, opts)
		for i, r := range randomRecords(2, 30, 2, false) {
			trace(f, op, []pt{r})
			if i%7 == 0 {
				s, _ := op.AppendSnapshot(nil)
				f.Add(s)
				f.Add(s[:len(s)/2])
			}
		}
	}
	// Snapshots of other operators: other parameters, another kind of
	// operator in the envelope, and the legacy format.
	for _, eps := range []float64{0.5, 1.5} {
		op, _ := New(20, eps, 4, pointCoords, &Options{Dims: 2})
		trace(f, op, randomRecords(5, 25, 2, false))
		s, _ := op.AppendSnapshot(nil)
		f.Add(s)
	}
	op, _ := New(12, 0.3, 3, pointCoords, nil)
	trace(f, op, randomRecords(6, 10, 2, false))
	s, _ := op.AppendSnapshot(nil)
	body, _ := record.OpenSnapshot(s, op.descriptor())
	other := record.BeginSnapshot(nil, record.NewDescriptor("window.Agg").Param("assigner", "STEP 1s"))
	f.Add(record.EndSnapshot(append(other, body...), 0))
	if legacy, err := os.ReadFile("testdata/legacy.snap"); err == nil {
		f.Add(legacy)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		op, _ := New(12, 0.3, 3, pointCoords, nil)
		trace(t, op, randomRecords(3, 20, 2, false))
		before, _ := op.AppendSnapshot(nil)
		if err := op.Restore(data); err != nil {
			if !errors.Is(err, ErrSnapshot) {
				t.Fatalf("Restore: err = %v, want ErrSnapshot", err)
			}
			if after, _ := op.AppendSnapshot(nil); !bytes.Equal(before, after) {
				t.Fatal("failed Restore changed the operator")
			}
			return
		}
		// A restored operator works and survives its own round trip.
		again, err := op.AppendSnapshot(nil)
		if err != nil {
			t.Fatal(err)
		}
		op2, _ := New(12, 0.3, 3, pointCoords, nil)
		if err := op2.Restore(again); err != nil {
			t.Fatalf("Restore of a re-encoded snapshot: %v", err)
		}
		recs := randomRecords(4, 30, 2, false)
		if fmt.Sprint(trace(t, op, recs)) != fmt.Sprint(trace(t, op2, recs)) {
			t.Fatal("re-encoded snapshot behaves differently")
		}
	})
}
