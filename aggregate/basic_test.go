package aggregate

import (
	"math"
	"testing"

	"github.com/rowtime/rowtime/record"
)

// run adds xs one by one to a fresh accumulator and returns the result.
func run[R, A, V any](f Func[R, A, V], xs ...R) V {
	var a A
	for _, x := range xs {
		f.Add(&a, x)
	}
	return f.Result(&a)
}

func id[T any](x T) T { return x }

func sameFloat(a, b float64) bool {
	return a == b || (math.IsNaN(a) && math.IsNaN(b))
}

func TestCount(t *testing.T) {
	f := Count[string]()
	if got := run(f); got != 0 {
		t.Errorf("Count() = %d, want 0", got)
	}
	if got := run(f, "a", "b", "a"); got != 3 {
		t.Errorf("Count(a, b, a) = %d, want 3", got)
	}
}

func TestSumInt(t *testing.T) {
	tests := []struct {
		name string
		in   []int64
		want int64
	}{
		{"empty", nil, 0},
		{"one", []int64{7}, 7},
		{"mixed", []int64{5, -3, 10, -12}, 0},
		{"large", []int64{math.MaxInt64, -1, 1}, math.MaxInt64},
		{"wraps", []int64{math.MaxInt64, 1}, math.MinInt64},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := run(Sum(id[int64]), tt.in...); got != tt.want {
				t.Errorf("Sum(%v) = %d, want %d", tt.in, got, tt.want)
			}
		})
	}
}

func TestSumUnsignedRemove(t *testing.T) {
	f := Sum(id[uint8])
	var a SumState[uint8]
	f.Add(&a, 200)
	f.Add(&a, 100) // wraps to 44
	f.(Remover[uint8, SumState[uint8]]).Remove(&a, 200)
	if got := f.Result(&a); got != 100 {
		t.Errorf("after Remove: %d, want 100", got)
	}
}

func TestSumFloat(t *testing.T) {
	inf := math.Inf(1)
	nan := math.NaN()
	tests := []struct {
		name string
		in   []float64
		want float64
	}{
		{"empty", nil, 0},
		{"compensated", []float64{1e16, 1, -1e16}, 1},
		{"compensated small first", []float64{1, 1e100, 1, -1e100}, 2},
		{"tenths", []float64{0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1}, 1},
		{"inf", []float64{1, inf, 2}, inf},
		{"minus inf", []float64{1, -inf}, -inf},
		{"inf minus inf", []float64{inf, -inf}, nan},
		{"nan", []float64{1, nan, 2}, nan},
		{"nan first", []float64{nan, 1}, nan},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := run(Sum(id[float64]), tt.in...); !sameFloat(got, tt.want) {
				t.Errorf("Sum(%v) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestSumFloat32(t *testing.T) {
	in := make([]float32, 0, 1e4+1)
	in = append(in, 1e8)
	for range 10000 {
		in = append(in, 1) // each lost on its own in float32 next to 1e8
	}
	want := float32(1e8 + 1e4)
	if got := run(Sum(id[float32]), in...); got != want {
		t.Errorf("Sum = %v, want %v", got, want)
	}
	if got := run(Avg(id[float32]), in...); got != float64(want)/float64(len(in)) {
		t.Errorf("Avg = %v, want %v", got, float64(want)/float64(len(in)))
	}
}

func TestAvg(t *testing.T) {
	if got := run(Avg(id[int])); !math.IsNaN(got) {
		t.Errorf("Avg() = %v, want NaN", got)
	}
	if got := run(Avg(id[int]), 1, 2); got != 1.5 {
		t.Errorf("Avg(1, 2) = %v, want 1.5 (not truncated)", got)
	}
	if got := run(Avg(id[int64]), -1, -2); got != -1.5 {
		t.Errorf("Avg(-1, -2) = %v, want -1.5", got)
	}
	if got := run(Avg(id[float64]), 1, math.NaN()); !math.IsNaN(got) {
		t.Errorf("Avg(1, NaN) = %v, want NaN", got)
	}
	f := Avg(id[int])
	var a AvgState[int]
	for _, x := range []int{4, 8, 9} {
		f.Add(&a, x)
	}
	f.(Remover[int, AvgState[int]]).Remove(&a, 9)
	if got := f.Result(&a); got != 6 {
		t.Errorf("Avg(4, 8, 9) - 9 = %v, want 6", got)
	}
}

func TestMinMax(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		name     string
		in       []float64
		min, max float64
	}{
		{"empty", nil, 0, 0},
		{"one", []float64{3}, 3, 3},
		{"several", []float64{3, -1, 7, 2}, -1, 7},
		{"negative zero first", []float64{-5, -7}, -7, -5},
		{"inf", []float64{math.Inf(-1), 0, math.Inf(1)}, math.Inf(-1), math.Inf(1)},
		{"nan middle", []float64{3, nan, 1}, nan, nan},
		{"nan first", []float64{nan, 1}, nan, nan},
		{"nan last", []float64{1, 5, nan}, nan, nan},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := run(Min(id[float64]), tt.in...); !sameFloat(got, tt.min) {
				t.Errorf("Min(%v) = %v, want %v", tt.in, got, tt.min)
			}
			if got := run(Max(id[float64]), tt.in...); !sameFloat(got, tt.max) {
				t.Errorf("Max(%v) = %v, want %v", tt.in, got, tt.max)
			}
		})
	}
	t.Run("strings", func(t *testing.T) {
		in := []string{"pear", "apple", "zucchini", "fig"}
		if got := run(Min(id[string]), in...); got != "apple" {
			t.Errorf("Min = %q, want apple", got)
		}
		if got := run(Max(id[string]), in...); got != "zucchini" {
			t.Errorf("Max = %q, want zucchini", got)
		}
	})
	t.Run("merge nan", func(t *testing.T) {
		f := Max(id[float64])
		var a, b ExtremeState[float64]
		f.Add(&a, 1)
		f.Add(&b, nan)
		f.Merge(&a, &b)
		if got := f.Result(&a); !math.IsNaN(got) {
			t.Errorf("Max after merging a NaN = %v, want NaN", got)
		}
	})
}

func TestAddDoesNotAllocate(t *testing.T) {
	type rec struct {
		n int64
		x float64
		s string
	}
	rs := []rec{{1, 0.5, "b"}, {2, 1.5, "a"}}
	check := func(name string, add func(r rec)) {
		t.Helper()
		i := 0
		if n := testing.AllocsPerRun(100, func() { add(rs[i%2]); i++ }); n != 0 {
			t.Errorf("%s: Add allocates %v times", name, n)
		}
	}
	{
		f := Count[rec]()
		var a int64
		check("count", func(r rec) { f.Add(&a, r) })
	}
	{
		f := Sum(func(r rec) float64 { return r.x })
		var a SumState[float64]
		check("sum", func(r rec) { f.Add(&a, r) })
	}
	{
		f := Avg(func(r rec) int64 { return r.n })
		var a AvgState[int64]
		check("avg", func(r rec) { f.Add(&a, r) })
	}
	{
		f := Min(func(r rec) string { return r.s })
		var a ExtremeState[string]
		check("min", func(r rec) { f.Add(&a, r) })
	}
	{
		f := VarSamp(func(r rec) float64 { return r.x })
		var a VarState
		check("var_samp", func(r rec) { f.Add(&a, r) })
	}
	{
		f := Where(func(r rec) bool { return r.n > 1 }, OrNull(Max(func(r rec) float64 { return r.x })))
		var a NullState[ExtremeState[float64]]
		check("where/or_null/max", func(r rec) { f.Add(&a, r) })
	}
	{
		f := Triple(Count[rec](), Sum(func(r rec) int64 { return r.n }), Avg(func(r rec) float64 { return r.x }))
		var a TripleState[int64, SumState[int64], AvgState[float64]]
		check("triple", func(r rec) { f.Add(&a, r) })
	}
}

func TestFirstLastDoNotAllocate(t *testing.T) {
	rs := []tv{{1, "a"}, {0, "b"}, {2, "c"}}
	for _, f := range []Func[tv, TimedState[string], string]{First(func(r tv) string { return r.v }), Last(func(r tv) string { return r.v })} {
		var a TimedState[string]
		i := 0
		if n := testing.AllocsPerRun(100, func() { f.Add(&a, rs[i%3]); i++ }); n != 0 {
			t.Errorf("%T: Add allocates %v times", f, n)
		}
	}
}

type tv struct {
	t record.Time
	v string
}

func (r tv) EventTime() record.Time { return r.t }

func TestFirstLast(t *testing.T) {
	val := func(r tv) string { return r.v }
	tests := []struct {
		name        string
		in          []tv
		first, last string
	}{
		{"empty", nil, "", ""},
		{"by event time, not arrival", []tv{{5, "b"}, {3, "a"}, {9, "d"}, {7, "c"}}, "a", "d"},
		{"ties by arrival", []tv{{5, "x"}, {5, "y"}, {5, "z"}}, "x", "z"},
		{"negative times", []tv{{-1, "m"}, {record.MinTime, "min"}, {record.MaxTime, "max"}}, "min", "max"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := run(First(val), tt.in...); got != tt.first {
				t.Errorf("First = %q, want %q", got, tt.first)
			}
			if got := run(Last(val), tt.in...); got != tt.last {
				t.Errorf("Last = %q, want %q", got, tt.last)
			}
		})
	}
	t.Run("merge counts src as later", func(t *testing.T) {
		for _, f := range []Func[tv, TimedState[string], string]{First(val), Last(val)} {
			var dst, src TimedState[string]
			f.Add(&dst, tv{5, "dst"})
			f.Add(&src, tv{5, "src"})
			f.Merge(&dst, &src)
			want := "dst"
			if f.(*timed[tv, string]).last {
				want = "src"
			}
			if got := f.Result(&dst); got != want {
				t.Errorf("last=%v: Merge of equal times = %q, want %q", f.(*timed[tv, string]).last, got, want)
			}
		}
	})
}

func TestVariance(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		name                   string
		in                     []float64
		pop, samp, sdPop, sdSm float64
	}{
		{"empty", nil, nan, nan, nan, nan},
		{"one", []float64{3}, 0, nan, 0, nan},
		{"textbook", []float64{2, 4, 4, 4, 5, 5, 7, 9}, 4, 32.0 / 7, 2, math.Sqrt(32.0 / 7)},
		{"large mean", []float64{1e9 + 4, 1e9 + 7, 1e9 + 13, 1e9 + 16}, 22.5, 30, math.Sqrt(22.5), math.Sqrt(30)},
		{"nan", []float64{1, nan, 2}, nan, nan, nan, nan},
	}
	near := func(a, b float64) bool {
		return sameFloat(a, b) || math.Abs(a-b) <= 1e-12*math.Abs(b)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, c := range []struct {
				name string
				f    Func[float64, VarState, float64]
				want float64
			}{
				{"var_pop", VarPop(id[float64]), tt.pop},
				{"var_samp", VarSamp(id[float64]), tt.samp},
				{"stddev_pop", StddevPop(id[float64]), tt.sdPop},
				{"stddev_samp", StddevSamp(id[float64]), tt.sdSm},
			} {
				if got := run(c.f, tt.in...); !near(got, c.want) {
					t.Errorf("%s(%v) = %v, want %v", c.name, tt.in, got, c.want)
				}
			}
		})
	}
	t.Run("remove", func(t *testing.T) {
		f := VarSamp(id[int])
		var a VarState
		for _, x := range []int{100, 2, 4, 4, 4, 5, 5, 7, 9} {
			f.Add(&a, x)
		}
		f.(Remover[int, VarState]).Remove(&a, 100)
		if got := f.Result(&a); math.Abs(got-32.0/7) > 1e-9 {
			t.Errorf("after Remove: %v, want %v", got, 32.0/7)
		}
	})
}
