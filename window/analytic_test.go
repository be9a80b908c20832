package window

import (
	"cmp"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/rowtime/rowtime/aggregate"
	"github.com/rowtime/rowtime/record"
)

func overRecX(r overRec) int64   { return r.X }
func overRecF(r overRec) float64 { return r.F }

// analyticFrames returns the rows of events in processing order, and for
// each its partition's rows before it and the rows of each frame, as the
// oracle of TestOverOracle defines them.
func analyticFrames(events []overEvent, frames []Frame) (rows []overRec, before [][]overRec, inFrame [][][]overRec) {
	for _, e := range events {
		if !e.advance {
			rows = append(rows, e.r)
		}
	}
	slices.SortStableFunc(rows, func(a, b overRec) int { return cmp.Compare(a.T, b.T) })
	before, inFrame = overFrames(rows, frames, true)
	return rows, before, inFrame
}

func analyticRun[A, V any](t *testing.T, f Analytic[overRec, A, V], events []overEvent, delay time.Duration, frames []Frame, snapEvery int) []Row[overRec, V] {
	t.Helper()
	newOp := func() *Over[overRec, string, V] {
		return must(NewOver(overKey, f, &Options[overRec]{Delay: delay}, frames...))
	}
	op := newOp()
	var out []Row[overRec, V]
	emit := func(r Row[overRec, V]) { out = append(out, r.Clone()) }
	for i, e := range events {
		if err := apply(op, e, emit); err != nil {
			t.Fatal(err)
		}
		if snapEvery > 0 && i%snapEvery == 0 {
			op, _ = restored(t, op, newOp)
		}
	}
	if err := op.Flush(emit); err != nil {
		t.Fatal(err)
	}
	if st := op.Stats(); st.Late != 0 {
		t.Fatalf("%d late", st.Late)
	}
	return out
}

var analyticFrameSets = map[string][]Frame{
	"rows":  {Rows(0), Rows(3), Rows(20)},
	"range": {Range(0), Range(6), Range(40)},
	"mixed": {Range(15), Rows(2)},
}

// TestAnalyticOracle checks Lag, NthValue and ExpAvg against their
// definitions over random partitioned streams, in order and out of order
// within Delay, with and without snapshots along the way.
func TestAnalyticOracle(t *testing.T) {
	for name, frames := range analyticFrameSets {
		for _, jitter := range []int64{0, 5} {
			for _, snap := range []int{0, 7} {
				rng := rand.New(rand.NewPCG(uint64(jitter), 3))
				events := overStream(rng, 400, 3, jitter, false)
				delay := time.Duration(jitter)
				rows, before, inFrame := analyticFrames(events, frames)
				t.Run(name+"/lag", func(t *testing.T) {
					for _, n := range []int{0, 1, 4, 25} {
						got := analyticRun(t, Lag(overRecX, n), events, delay, frames, snap)
						if len(got) != len(rows) {
							t.Fatalf("%d rows, want %d", len(got), len(rows))
						}
						for i, g := range got {
							want := aggregate.Null[int64]{}
							if b := before[i]; n == 0 {
								want = aggregate.Null[int64]{Value: rows[i].X, Valid: true}
							} else if len(b) >= n {
								want = aggregate.Null[int64]{Value: b[len(b)-n].X, Valid: true}
							}
							for fi, v := range g.Values {
								if g.Record.ID != rows[i].ID || v != want {
									t.Fatalf("LAG %d, row %d frame %d: got %v of %d, want %v of %d", n, i, fi, v, g.Record.ID, want, rows[i].ID)
								}
							}
						}
					}
				})
				t.Run(name+"/nth", func(t *testing.T) {
					for _, n := range []int{1, 2, 5} {
						for _, from := range []From{FromFirst, FromLast} {
							got := analyticRun(t, NthValue(overRecX, n, from), events, delay, frames, snap)
							for i, g := range got {
								for fi, v := range g.Values {
									w := inFrame[i][fi]
									want := aggregate.Null[int64]{}
									if len(w) >= n {
										j := n - 1
										if from == FromLast {
											j = len(w) - n
										}
										want = aggregate.Null[int64]{Value: w[j].X, Valid: true}
									}
									if v != want {
										t.Fatalf("NTH_VALUE %d %v, row %d frame %d: got %v, want %v", n, from, i, fi, v, want)
									}
								}
							}
						}
					}
				})
				t.Run(name+"/expavg", func(t *testing.T) {
					for _, h := range []time.Duration{1, 4, 1000} {
						got := analyticRun(t, ExpAvg(overRecF, h), events, delay, frames, snap)
						for i, g := range got {
							for fi, v := range g.Values {
								w := inFrame[i][fi]
								now := w[len(w)-1].T
								var s, ws float64
								for _, q := range w {
									wt := math.Pow(0.5, math.Floor(float64(now-q.T)/float64(h)))
									s += wt * q.F
									ws += wt
								}
								if want := s / ws; math.Abs(v-want) > 1e-9*math.Max(1, math.Abs(want)) {
									t.Fatalf("EXP_AVG h=%v, row %d frame %d: got %v, want %v", h, i, fi, v, want)
								}
							}
						}
					}
				})
			}
		}
	}
}

// TestExpAvgWeights is the half-life example: RANGE 30 s, half-life 10 s.
func TestExpAvgWeights(t *testing.T) {
	op, err := NewOver(func(overRec) int { return 0 }, ExpAvg(overRecF, 10*time.Second), nil, Range(30*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	var got []float64
	emit := func(r Row[overRec, float64]) { got = append(got, r.Value) }
	s := func(n int) record.Time { return record.Time(time.Duration(n) * time.Second) }
	// Ages 30 s (weight 1/8), 25 s (1/4), 15 s (1/2), 5 s and 0 s (1).
	for i, r := range []overRec{{T: s(0), F: 8}, {T: s(5), F: 4}, {T: s(15), F: 2}, {T: s(25), F: 1}, {T: s(30), F: 1}} {
		r.ID = i
		if err := op.Push(r, emit); err != nil {
			t.Fatal(err)
		}
	}
	want := (8.0/8 + 4.0/4 + 2.0/2 + 1 + 1) / (1.0/8 + 1.0/4 + 1.0/2 + 1 + 1)
	if v := got[len(got)-1]; math.Abs(v-want) > 1e-12 {
		t.Fatalf("got %v, want %v", v, want)
	}
	if got[0] != 8 {
		t.Fatalf("a lone row: got %v", got[0])
	}
}

func TestExpAvgNonFinite(t *testing.T) {
	op, _ := NewOver(func(overRec) int { return 0 }, ExpAvg(overRecF, time.Second), nil, Rows(1))
	var got []float64
	emit := func(r Row[overRec, float64]) { got = append(got, r.Value) }
	for i, f := range []float64{1, math.Inf(1), 2, math.NaN(), 3, 4, math.Inf(-1), math.Inf(1)} {
		_ = op.Push(overRec{T: record.Time(i), F: f}, emit)
	}
	want := []float64{1, math.Inf(1), math.Inf(1), math.NaN(), math.NaN(), 3.5, math.Inf(-1), math.NaN()}
	for i := range want {
		if !(got[i] == want[i] || (math.IsNaN(got[i]) && math.IsNaN(want[i]))) {
			t.Fatalf("row %d: got %v, want %v", i, got[i], want[i])
		}
	}
}

func TestAnalyticInvalid(t *testing.T) {
	key := func(overRec) int { return 0 }
	for name, err := range map[string]error{
		"lag -1":   func() error { _, err := NewOver(key, Lag(overRecX, -1), nil, Rows(1)); return err }(),
		"nth 0":    func() error { _, err := NewOver(key, NthValue(overRecX, 0, FromFirst), nil, Rows(1)); return err }(),
		"nth from": func() error { _, err := NewOver(key, NthValue(overRecX, 1, From(5)), nil, Rows(1)); return err }(),
		"expavg 0": func() error { _, err := NewOver(key, ExpAvg(overRecF, 0), nil, Range(time.Second)); return err }(),
		"expavg nil x": func() error {
			_, err := NewOver(key, ExpAvg[overRec, float64](nil, 1), nil, Range(time.Second))
			return err
		}(),
	} {
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: got %v, want ErrInvalid", name, err)
		}
	}
}

// TestLagKeepsPartitions checks that a RANGE frame does not release a
// partition whose rows LAG still reads.
func TestLagKeepsPartitions(t *testing.T) {
	op, _ := NewOver(func(r overRec) string { return r.Key }, Lag(overRecX, 1), nil, Range(time.Second))
	var got []aggregate.Null[int64]
	emit := func(r Row[overRec, aggregate.Null[int64]]) { got = append(got, r.Value) }
	_ = op.Push(overRec{T: 0, Key: "a", X: 7}, emit)
	_ = op.Push(overRec{T: record.Time(time.Hour), Key: "b", X: 1}, emit)
	_ = op.Push(overRec{T: record.Time(2 * time.Hour), Key: "a", X: 8}, emit)
	if want := (aggregate.Null[int64]{Value: 7, Valid: true}); got[2] != want {
		t.Fatalf("got %v, want %v", got[2], want)
	}
}

func TestAnalyticAllocs(t *testing.T) {
	op, _ := NewOver(func(overRec) int { return 0 }, ExpAvg(overRecF, 10*time.Millisecond), nil, Range(time.Second))
	lag, _ := NewOver(func(overRec) int { return 0 }, Lag(overRecX, 10), nil, Rows(100))
	var tm record.Time
	push := func() {
		tm += record.Time(time.Millisecond)
		_ = op.Push(overRec{T: tm, F: 1}, nil)
		_ = lag.Push(overRec{T: tm, X: 1}, nil)
	}
	for range 5000 {
		push()
	}
	if n := testing.AllocsPerRun(1000, push); n != 0 {
		t.Fatalf("%v allocations per row", n)
	}
}

// FuzzOverRestoreLag and FuzzOverRestoreExpAvg: the Over restore fuzz with analytic functions,
// whose partitions hold rows before their frames (Lag) and running states
// (ExpAvg).
func FuzzOverRestoreLag(f *testing.F) {
	overFuzzRestore(f, func() *Over[overRec, string, aggregate.Null[int64]] {
		return must(NewOver(overKey, Lag(overRecX, 3), &Options[overRec]{Delay: 3}, Rows(1), Range(5)))
	})
}

func FuzzOverRestoreExpAvg(f *testing.F) {
	overFuzzRestore(f, func() *Over[overRec, string, float64] {
		return must(NewOver(overKey, ExpAvg(overRecF, 2), &Options[overRec]{Delay: 3}, Rows(2), Range(5)))
	})
}
