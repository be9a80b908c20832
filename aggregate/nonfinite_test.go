package aggregate

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// The plain textbook computations, in float64: their NaNs and infinities are
// IEEE 754's, which the aggregates must match.
func plainSum(xs []float64) float64 {
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s
}

func plainAvg(xs []float64) float64 { return plainSum(xs) / float64(len(xs)) }

func plainVar(samp, sqrt bool) func([]float64) float64 {
	return func(xs []float64) float64 {
		n := float64(len(xs))
		div := n
		if samp {
			div--
		}
		if div <= 0 {
			return math.NaN()
		}
		mean := plainSum(xs) / n
		m2 := 0.0
		for _, x := range xs {
			m2 += (x - mean) * (x - mean)
		}
		if sqrt {
			return math.Sqrt(m2 / div)
		}
		return m2 / div
	}
}

// agree reports whether two results are the same NaN-or-infinity, or finite
// and within rel of each other (abs near zero).
func agree(got, want, rel, abs float64) bool {
	if sameFloat(got, want) {
		return true
	}
	if math.IsNaN(got) || math.IsNaN(want) || math.IsInf(got, 0) || math.IsInf(want, 0) {
		return false
	}
	return math.Abs(got-want) <= max(abs, rel*max(math.Abs(got), math.Abs(want)))
}

type floatAgg[A any] struct {
	name  string
	f     Func[float64, A, float64]
	plain func([]float64) float64
}

func floatAggs() (sums []floatAgg[SumState[float64]], avgs []floatAgg[AvgState[float64]], vars []floatAgg[VarState]) {
	sums = []floatAgg[SumState[float64]]{{"sum", Sum(id[float64]), plainSum}}
	avgs = []floatAgg[AvgState[float64]]{{"avg", Avg(id[float64]), plainAvg}}
	vars = []floatAgg[VarState]{
		{"var_pop", VarPop(id[float64]), plainVar(false, false)},
		{"var_samp", VarSamp(id[float64]), plainVar(true, false)},
		{"stddev_pop", StddevPop(id[float64]), plainVar(false, true)},
		{"stddev_samp", StddevSamp(id[float64]), plainVar(true, true)},
	}
	return
}

// finiteVar is the population variance of the finite values among xs: the
// scale of the absolute rounding that removing values leaves in a variance.
func finiteVar(xs []float64) float64 {
	var fs []float64
	for _, x := range xs {
		if !math.IsNaN(x) && !math.IsInf(x, 0) {
			fs = append(fs, x)
		}
	}
	return plainVar(false, false)(fs)
}

// slide runs xs through a sliding window of w values, adding each value and
// removing the one that leaves (oldest first), then drains the window. After
// every step the result must agree with a fresh accumulator over the values
// in the window, within 1e-9 relative (for the variances, or 1e-9 times the
// variance of the finite input, the rounding that Remove leaves), and with
// the plain computation over them: the same NaN or infinity, or finite and
// close (the textbook formulas round differently). It returns the result
// after the last Add.
func slide[A any](t *testing.T, c floatAgg[A], xs []float64, w int) float64 {
	t.Helper()
	rm := c.f.(Remover[float64, A])
	abs := 1e-12
	if _, ok := any(c.f).(*variance[float64, float64]); ok {
		abs = max(abs, 1e-9*finiteVar(xs))
	}
	var a A
	check := func(lo, hi int) bool {
		t.Helper()
		got, fresh, plain := c.f.Result(&a), run(c.f, xs[lo:hi]...), math.NaN()
		if hi > lo || c.name == "sum" {
			plain = c.plain(xs[lo:hi])
		}
		if !agree(got, fresh, 1e-9, abs) {
			t.Errorf("%s: window %v (values [%d, %d)): %v, fresh accumulator %v", c.name, xs[lo:hi], lo, hi, got, fresh)
			return false
		}
		if !agree(got, plain, 1e-6, max(abs, 1e-9)) {
			t.Errorf("%s: window %v (values [%d, %d)): %v, plain computation %v", c.name, xs[lo:hi], lo, hi, got, plain)
			return false
		}
		return true
	}
	for i, x := range xs {
		c.f.Add(&a, x)
		if i >= w {
			rm.Remove(&a, xs[i-w])
		}
		if !check(max(0, i+1-w), i+1) {
			return math.NaN()
		}
	}
	last := c.f.Result(&a)
	for lo := max(0, len(xs)-w); lo < len(xs); lo++ {
		rm.Remove(&a, xs[lo])
		if !check(lo+1, len(xs)) {
			break
		}
	}
	return last
}

func TestSlidingNonFinite(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	tests := []struct {
		name string
		in   []float64
		w    int
	}{
		{"nan enters and leaves", []float64{1, 2, nan, 3, 4, 5, 6}, 3},
		{"+inf enters and leaves", []float64{1, inf, 2, 3, 4.5}, 2},
		{"-inf enters and leaves", []float64{-1, -inf, 2, 3, 4, 5}, 3},
		{"+inf and -inf overlap", []float64{1, inf, -inf, 7, 8, 9.25}, 2},
		{"+inf and -inf apart", []float64{inf, 1, -inf, 2, 3, 4}, 2},
		{"nan and infinities", []float64{nan, inf, -inf, nan, 101, 102, 104}, 3},
		{"repeated nan", []float64{nan, nan, nan, 0.1, 0.2, 0.3}, 2},
		{"only non-finite, then finite", []float64{inf, inf, -inf, nan, 10, 20, 30}, 3},
		{"window of one", []float64{nan, 3, inf, 4, -inf, 5}, 1},
		{"large then non-finite", []float64{1e16, nan, 1, -1e16, 1, 1}, 2},
	}
	sums, avgs, vars := floatAggs()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			finiteTail := tt.in[len(tt.in)-tt.w:]
			for _, c := range sums {
				if got := slide(t, c, tt.in, tt.w); math.IsNaN(got) || math.IsInf(got, 0) {
					t.Errorf("%s over the finite window %v: %v", c.name, finiteTail, got)
				}
			}
			for _, c := range avgs {
				slide(t, c, tt.in, tt.w)
			}
			for _, c := range vars {
				slide(t, c, tt.in, tt.w)
			}
		})
	}
}

// TestSlidingNonFiniteRandom slides windows of several widths over a long
// fixed-seed stream with bursts of NaN and infinities.
func TestSlidingNonFiniteRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 7))
	xs := make([]float64, 600)
	if testing.Short() {
		xs = xs[:150]
	}
	special := [...]float64{math.NaN(), math.Inf(1), math.Inf(-1)}
	for i := range xs {
		switch r := rng.IntN(100); {
		case r < 6:
			xs[i] = special[r%3]
		default:
			xs[i] = 1e4 + 50*rng.NormFloat64()
		}
	}
	sums, avgs, vars := floatAggs()
	for _, w := range []int{1, 2, 5, 17, 64} {
		t.Run(fmt.Sprintf("w=%d", w), func(t *testing.T) {
			for _, c := range sums {
				slide(t, c, xs, w)
			}
			for _, c := range avgs {
				slide(t, c, xs, w)
			}
			for _, c := range vars {
				slide(t, c, xs, w)
			}
		})
	}
}

func TestSlidingNonFiniteFloat32(t *testing.T) {
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	xs := []float32{1.5, nan, inf, 2, -inf, 3, 4, 5}
	f := Sum(id[float32])
	rm := f.(Remover[float32, SumState[float32]])
	var a SumState[float32]
	const w = 3
	for i, x := range xs {
		f.Add(&a, x)
		if i >= w {
			rm.Remove(&a, xs[i-w])
		}
		var plain float32
		for _, y := range xs[max(0, i+1-w) : i+1] {
			plain += y
		}
		if got := f.Result(&a); !sameFloat(float64(got), float64(plain)) {
			t.Errorf("after %d values: %v, want %v", i+1, got, plain)
		}
	}
}

func TestMergeNonFinite(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	tests := []struct {
		name     string
		dst, src []float64
	}{
		{"nan in src", []float64{1, 2}, []float64{nan, 3}},
		{"nan in dst", []float64{nan, 1}, []float64{2}},
		{"+inf and -inf", []float64{inf, 1}, []float64{-inf, 2}},
		{"+inf in both", []float64{inf, 1}, []float64{inf, 2}},
		{"-inf into empty", nil, []float64{-inf, 5}},
		{"all kinds", []float64{nan, inf, 1}, []float64{-inf, nan, 2, 3}},
		{"only non-finite", []float64{inf}, []float64{nan}},
	}
	sums, avgs, vars := floatAggs()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			all := append(append([]float64(nil), tt.dst...), tt.src...)
			var finite []float64
			for _, x := range all {
				if !math.IsNaN(x) && !math.IsInf(x, 0) {
					finite = append(finite, x)
				}
			}
			mergeCase(t, sums[0], tt.dst, tt.src, all, finite)
			mergeCase(t, avgs[0], tt.dst, tt.src, all, finite)
			for _, c := range vars {
				mergeCase(t, c, tt.dst, tt.src, all, finite)
			}
		})
	}
}

// mergeCase merges src's accumulator into dst's, checks the result against
// the plain computation over all values, then removes the non-finite values
// and checks it against a fresh accumulator over the finite ones.
func mergeCase[A any](t *testing.T, c floatAgg[A], dst, src, all, finite []float64) {
	t.Helper()
	var a, b A
	for _, x := range dst {
		c.f.Add(&a, x)
	}
	for _, x := range src {
		c.f.Add(&b, x)
	}
	c.f.Merge(&a, &b)
	if got, want := c.f.Result(&a), c.plain(all); !agree(got, want, 1e-12, 0) {
		t.Errorf("%s: %v merged with %v: %v, want %v", c.name, dst, src, got, want)
	}
	if got, want := c.f.Result(&b), run(c.f, src...); !sameFloat(got, want) {
		t.Errorf("%s: Merge changed src from %v to %v", c.name, want, got)
	}
	for _, x := range all {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			c.f.(Remover[float64, A]).Remove(&a, x)
		}
	}
	if got, want := c.f.Result(&a), run(c.f, finite...); !agree(got, want, 1e-9, 1e-12) {
		t.Errorf("%s: %v merged with %v, non-finite values removed: %v, want %v", c.name, dst, src, got, want)
	}
}

// An overflowed finite sum is infinite, and meets the counted infinities as
// IEEE 754 says.
func TestSumOverflowNonFinite(t *testing.T) {
	big, inf := math.MaxFloat64, math.Inf(1)
	tests := []struct {
		name string
		in   []float64
		want float64
	}{
		{"overflow", []float64{big, big}, inf},
		{"overflow and +inf", []float64{big, big, inf}, inf},
		{"overflow and -inf", []float64{big, big, -inf}, math.NaN()},
		{"negative overflow and +inf", []float64{-big, -big, inf}, math.NaN()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := run(Sum(id[float64]), tt.in...); !sameFloat(got, tt.want) {
				t.Errorf("Sum(%v) = %v, want %v", tt.in, got, tt.want)
			}
			if got, want := run(Avg(id[float64]), tt.in...), tt.want/float64(len(tt.in)); !sameFloat(got, want) {
				t.Errorf("Avg(%v) = %v, want %v", tt.in, got, want)
			}
		})
	}
}

func TestAddRemoveNonFiniteDoNotAllocate(t *testing.T) {
	xs := []float64{math.NaN(), 1, math.Inf(1), 2, math.Inf(-1)}
	check := func(name string, add, remove func(x float64)) {
		t.Helper()
		i := 0
		if n := testing.AllocsPerRun(100, func() { add(xs[i%len(xs)]); i++ }); n != 0 {
			t.Errorf("%s: Add allocates %v times", name, n)
		}
		i = 0
		if n := testing.AllocsPerRun(100, func() { remove(xs[i%len(xs)]); i++ }); n != 0 {
			t.Errorf("%s: Remove allocates %v times", name, n)
		}
	}
	sums, avgs, vars := floatAggs()
	{
		f, a := sums[0].f, new(SumState[float64])
		check("sum", func(x float64) { f.Add(a, x) }, func(x float64) { f.(Remover[float64, SumState[float64]]).Remove(a, x) })
	}
	{
		f, a := avgs[0].f, new(AvgState[float64])
		check("avg", func(x float64) { f.Add(a, x) }, func(x float64) { f.(Remover[float64, AvgState[float64]]).Remove(a, x) })
	}
	{
		f, a := vars[1].f, new(VarState)
		check("var_samp", func(x float64) { f.Add(a, x) }, func(x float64) { f.(Remover[float64, VarState]).Remove(a, x) })
	}
}

// TestNonFiniteStateCodec round-trips states holding non-finite values:
// the decoded state gives the same result and, once the non-finite values
// are removed from it, the finite answer.
func TestNonFiniteStateCodec(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	in := []float64{1.25, nan, inf, -inf, nan, 1e6, -3}
	finite := []float64{1.25, 1e6, -3}
	sums, avgs, vars := floatAggs()
	codecRoundTrip(t, sums[0], in, finite)
	codecRoundTrip(t, avgs[0], in, finite)
	for _, c := range vars {
		codecRoundTrip(t, c, in, finite)
	}
}

func codecRoundTrip[A any](t *testing.T, c floatAgg[A], in, finite []float64) {
	t.Helper()
	codec := c.f.(StateCodec[A])
	var a A
	for _, x := range in {
		c.f.Add(&a, x)
	}
	enc, err := codec.AppendState(nil, &a)
	if err != nil {
		t.Fatalf("%s: AppendState: %v", c.name, err)
	}
	var got A
	if n, err := codec.ReadState(&got, enc); err != nil || n != len(enc) {
		t.Fatalf("%s: ReadState = %d, %v; want %d, nil", c.name, n, err, len(enc))
	}
	if x, y := c.f.Result(&got), c.f.Result(&a); !sameFloat(x, y) {
		t.Errorf("%s: decoded %v, encoded %v", c.name, x, y)
	}
	for _, x := range in {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			c.f.(Remover[float64, A]).Remove(&got, x)
		}
	}
	if x, want := c.f.Result(&got), run(c.f, finite...); !agree(x, want, 1e-9, 1e-12) {
		t.Errorf("%s: decoded state with the non-finite values removed: %v, want %v", c.name, x, want)
	}
}

func TestStateEncodingSize(t *testing.T) {
	size := func(f Func[float64, SumState[float64], float64], xs ...float64) int {
		var a SumState[float64]
		for _, x := range xs {
			f.Add(&a, x)
		}
		b, _ := f.(StateCodec[SumState[float64]]).AppendState(nil, &a)
		return len(b)
	}
	vsize := func(xs ...float64) int {
		f := VarPop(id[float64])
		var a VarState
		for _, x := range xs {
			f.Add(&a, x)
		}
		b, _ := f.(StateCodec[VarState]).AppendState(nil, &a)
		return len(b)
	}
	f := Sum(id[float64])
	tests := []struct {
		name      string
		got, want int
	}{
		{"sum/finite", size(f, 1, 2), 17},           // sum, c, flags
		{"sum/one nan", size(f, 1, math.NaN()), 18}, // + one count
		{"sum/all kinds", size(f, math.NaN(), math.Inf(1), math.Inf(-1)), 20},
		{"var/empty", vsize(), 2},
		{"var/finite", vsize(1, 2), 18},
		{"var/inf", vsize(math.Inf(1)), 2},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: %d bytes, want %d", tt.name, tt.got, tt.want)
		}
	}
}

func TestNonFiniteStateCorrupt(t *testing.T) {
	f64 := func(x float64) []byte { return appendFloat(nil, x) }
	cat := func(bs ...[]byte) []byte {
		var out []byte
		for _, b := range bs {
			out = append(out, b...)
		}
		return out
	}
	sumState := cat(f64(1), f64(0))
	tests := []struct {
		name string
		agg  string
		data []byte
	}{
		{"sum/unknown flag", "sum", cat(sumState, []byte{8})},
		{"sum/flagged zero count", "sum", cat(sumState, []byte{1, 0})},
		{"sum/count beyond int64", "sum", cat(sumState, []byte{2}, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})},
		{"sum/missing count", "sum", cat(sumState, []byte{5, 3})},
		{"sum/missing flags", "sum", sumState},
		{"avg/more non-finite than values", "avg", cat([]byte{4}, sumState, []byte{7, 1, 1, 1})}, // n = 2, 3 non-finite
		{"var/count overflows", "var", cat([]byte{2}, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}, f64(1), f64(0))},
		{"var/missing count", "var", []byte{2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			var before, after float64
			switch tt.agg {
			case "sum":
				f := Sum(id[float64])
				a := SumState[float64]{}
				f.Add(&a, math.NaN())
				before = f.Result(&a)
				_, err = f.(StateCodec[SumState[float64]]).ReadState(&a, tt.data)
				after = f.Result(&a)
			case "avg":
				f := Avg(id[float64])
				a := AvgState[float64]{}
				f.Add(&a, 5)
				before = f.Result(&a)
				_, err = f.(StateCodec[AvgState[float64]]).ReadState(&a, tt.data)
				after = f.Result(&a)
			case "var":
				f := VarPop(id[float64])
				a := VarState{}
				f.Add(&a, 5)
				f.Add(&a, 7)
				before = f.Result(&a)
				_, err = f.(StateCodec[VarState]).ReadState(&a, tt.data)
				after = f.Result(&a)
			}
			if !errors.Is(err, ErrCorrupt) {
				t.Errorf("ReadState error %v, want ErrCorrupt", err)
			}
			if !sameFloat(before, after) {
				t.Errorf("failed ReadState changed the result from %v to %v", before, after)
			}
		})
	}
}
