package aggregate_test

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/rowtime/rowtime/aggregate"
	"github.com/rowtime/rowtime/aggregate/aggtest"
	"github.com/rowtime/rowtime/record"
	"github.com/rowtime/rowtime/window"
)

// Values near float64's limits: a sliding sum or variance that held them
// must come back to that of the values left once they have gone, and a
// variance that exceeds float64 is +Inf, never -Inf or NaN.

func addAll[A, V any](f aggregate.Func[float64, A, V], a *A, xs ...float64) {
	for _, x := range xs {
		f.Add(a, x)
	}
}

func removeAll[A any](f any, a *A, xs ...float64) {
	rm := f.(aggregate.Remover[float64, A])
	for _, x := range xs {
		rm.Remove(a, x)
	}
}

func idf(x float64) float64 { return x }

func TestSumRecoversFromLimits(t *testing.T) {
	big := 1e308
	for _, c := range []struct {
		name        string
		huge, small []float64
		during      float64
	}{
		{"overflow", []float64{big, big}, []float64{1, 2}, math.Inf(1)},
		{"negative overflow", []float64{-big, -big, -big}, []float64{0.5}, math.Inf(-1)},
		{"cancelling", []float64{big, -big}, []float64{1, 2}, 3},
		{"max", []float64{math.MaxFloat64, math.MaxFloat64, -math.MaxFloat64}, []float64{-4}, math.MaxFloat64 - 4},
		{"beyond and back", []float64{big, big, -big}, []float64{7}, big + 7},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := aggregate.Sum(idf)
			var a aggregate.SumState[float64]
			addAll(f, &a, c.huge...)
			addAll(f, &a, c.small...)
			if got := f.Result(&a); got != c.during {
				t.Errorf("sum with the large values: %v, want %v", got, c.during)
			}
			// A snapshot of the state in between reads back the same.
			enc, err := f.(aggregate.StateCodec[aggregate.SumState[float64]]).AppendState(nil, &a)
			if err != nil {
				t.Fatal(err)
			}
			var b aggregate.SumState[float64]
			if _, err := f.(aggregate.StateCodec[aggregate.SumState[float64]]).ReadState(&b, enc); err != nil {
				t.Fatal(err)
			}
			removeAll(f, &a, c.huge...)
			removeAll(f, &b, c.huge...)
			want := 0.0
			for _, x := range c.small {
				want += x
			}
			if got := f.Result(&a); got != want {
				t.Errorf("sum after the large values left: %v, want %v", got, want)
			}
			if got := f.Result(&b); got != want {
				t.Errorf("decoded sum after the large values left: %v, want %v", got, want)
			}
			// Avg shares the sum.
			g := aggregate.Avg(idf)
			var v aggregate.AvgState[float64]
			addAll(g, &v, c.huge...)
			addAll(g, &v, c.small...)
			removeAll(g, &v, c.huge...)
			if got := g.Result(&v); got != want/float64(len(c.small)) {
				t.Errorf("avg after the large values left: %v, want %v", got, want/float64(len(c.small)))
			}
		})
	}
}

func TestSumFloat32RecoversFromLimits(t *testing.T) {
	f := aggregate.Sum(func(x float32) float32 { return x })
	rm := f.(aggregate.Remover[float32, aggregate.SumState[float32]])
	var a aggregate.SumState[float32]
	for _, x := range []float32{3e38, 3e38, 1, 2} {
		f.Add(&a, x)
	}
	if got := f.Result(&a); !math.IsInf(float64(got), 1) {
		t.Fatalf("float32 sum beyond float32: %v, want +Inf", got)
	}
	rm.Remove(&a, 3e38)
	if got := f.Result(&a); got != 3e38+3 {
		t.Fatalf("float32 sum back in range: %v, want %v", got, float32(3e38+3))
	}
	rm.Remove(&a, 3e38)
	if got := f.Result(&a); got != 3 {
		t.Fatalf("float32 sum after the large values left: %v, want 3", got)
	}
}

func TestVarianceAtLimits(t *testing.T) {
	f := aggregate.VarPop(idf)
	var a aggregate.VarState
	addAll(f, &a, 1e308, -1e308)
	if got := f.Result(&a); !math.IsInf(got, 1) {
		t.Fatalf("VarPop(1e308, -1e308) = %v, want +Inf", got)
	}
	addAll(f, &a, 1, 2, 3)
	if got := f.Result(&a); !math.IsInf(got, 1) {
		t.Fatalf("with 1, 2, 3 added: %v, want +Inf", got)
	}
	removeAll(f, &a, 1e308, -1e308)
	if got := f.Result(&a); math.Abs(got-2.0/3) > 1e-15 {
		t.Fatalf("after the large values left: %v, want 2/3", got)
	}

	// Large values whose variance fits float64 get it, against the exact
	// ((x−y)/2)² of two values.
	for _, p := range [][2]float64{
		{0x1p480, 0x1p480 + 0x1p440}, // both large
		{0x1p479, 0x1p481},           // one each side of the split
		{1e300, 1e300},               // equal: none
		{-1e154, 1e154},
	} {
		var s aggregate.VarState
		addAll(f, &s, p[0], p[1])
		h := (p[1] - p[0]) / 2
		want := h * h
		if got := f.Result(&s); math.Abs(got-want) > 1e-12*want {
			t.Errorf("VarPop(%g, %g) = %g, want %g", p[0], p[1], got, want)
		}
	}

	// Merged and decoded states agree.
	var x, y aggregate.VarState
	addAll(f, &x, 1e308, 5)
	addAll(f, &y, -1e308, 6)
	f.Merge(&x, &y)
	codec := f.(aggregate.StateCodec[aggregate.VarState])
	enc, err := codec.AppendState(nil, &x)
	if err != nil {
		t.Fatal(err)
	}
	var z aggregate.VarState
	if n, err := codec.ReadState(&z, enc); err != nil || n != len(enc) {
		t.Fatalf("ReadState = %d, %v", n, err)
	}
	for _, s := range []*aggregate.VarState{&x, &z} {
		if got := f.Result(s); !math.IsInf(got, 1) {
			t.Errorf("merged: %v, want +Inf", got)
		}
		removeAll(f, s, 1e308, -1e308)
		if got := f.Result(s); got != 0.25 {
			t.Errorf("merged, large values removed: %v, want 0.25", got)
		}
	}
	// The copy is independent of the state it was copied from.
	var orig aggregate.VarState
	addAll(f, &orig, 1e308, 2)
	cp := orig
	removeAll(f, &cp, 1e308)
	if got := f.Result(&orig); !math.IsInf(got, 1) {
		t.Errorf("original after its copy changed: %v, want +Inf", got)
	}
}

type overRow struct {
	T record.Time
	X float64
}

func (r overRow) EventTime() record.Time { return r.T }

// TestOverAtLimits runs the sliding windows of package window over values
// near float64's limits: their results come back once those rows leave the
// frame.
func TestOverAtLimits(t *testing.T) {
	xs := []float64{1e308, 1e308, -1e308, 1, 2, 3}
	var rows []overRow
	for i, x := range xs {
		rows = append(rows, overRow{T: record.Time(i) * record.Time(time.Second), X: x})
	}
	val := func(r overRow) float64 { return r.X }
	key := func(overRow) int { return 0 }
	sum, err := window.NewOver(key, aggregate.Sum(val), nil, window.Rows(1))
	if err != nil {
		t.Fatal(err)
	}
	out, err := record.Collect[overRow, window.OverRow[overRow, float64]](sum, rows)
	if err != nil {
		t.Fatal(err)
	}
	wantSum := []float64{1e308, math.Inf(1), 0, -1e308 + 1, 3, 5}
	for i, r := range out {
		if r.Value != wantSum[i] {
			t.Errorf("row %d: SUM over ROWS 1 PRECEDING = %v, want %v", i, r.Value, wantSum[i])
		}
	}
	vp, err := window.NewOver(key, aggregate.VarPop(val), nil, window.Rows(1))
	if err != nil {
		t.Fatal(err)
	}
	out, err = record.Collect[overRow, window.OverRow[overRow, float64]](vp, rows)
	if err != nil {
		t.Fatal(err)
	}
	wantVar := []float64{0, 0, math.Inf(1), math.Inf(1), 0.25, 0.25}
	for i, r := range out {
		if r.Value != wantVar[i] {
			t.Errorf("row %d: VAR_POP over ROWS 1 PRECEDING = %v, want %v", i, r.Value, wantVar[i])
		}
	}
}

// genNearLimits is genEvent with, in about one record in eight, X replaced
// by a large multiple of 2^1000 of either sign, up to float64's largest.
func genNearLimits(rng *rand.Rand) event {
	e := genEvent(rng)
	if rng.IntN(8) == 0 {
		e.X = float64(1+rng.IntN(1<<23)) * 0x1p1000
		if rng.IntN(2) == 0 {
			e.X = -e.X
		}
	}
	return e
}

// TestLawsNearLimits runs the laws over streams with values near float64's
// limits, where sums overflow and variances exceed float64.
func TestLawsNearLimits(t *testing.T) {
	rel := aggtest.Within[float64](1e-9, 1e-9*1e4)
	lawCaseGen(t, "sum", aggregate.Sum(x), true, &aggtest.Options[event, float64]{Equal: rel}, genNearLimits)
	lawCaseGen(t, "avg", aggregate.Avg(x), true, &aggtest.Options[event, float64]{Equal: rel}, genNearLimits)
	lawCaseGen(t, "var_pop", aggregate.VarPop(x), true, &aggtest.Options[event, float64]{Equal: rel}, genNearLimits)
	lawCaseGen(t, "stddev_samp", aggregate.StddevSamp(x), true,
		&aggtest.Options[event, float64]{Equal: aggtest.Within[float64](1e-9, 1e-7)}, genNearLimits)
}
