package aggregate

import (
	"math"
	"testing"
	"unsafe"
)

// A SumState is three words for any N, so that a window's table of sums
// stays dense; the non-finite counts live behind a pointer.
func TestSumStateSize(t *testing.T) {
	if got := unsafe.Sizeof(SumState[float64]{}); got != 24 {
		t.Errorf("SumState[float64] is %d bytes, want 24", got)
	}
	if got := unsafe.Sizeof(SumState[int64]{}); got != 24 {
		t.Errorf("SumState[int64] is %d bytes, want 24", got)
	}
}

// Copies of a state that holds non-finite values are independent: the
// shared counts are never changed in place.
func TestSumStateCopiesIndependent(t *testing.T) {
	f := Sum(func(x float64) float64 { return x })
	rm := f.(Remover[float64, SumState[float64]])
	var a SumState[float64]
	f.Add(&a, 1)
	f.Add(&a, math.NaN())
	b := a
	rm.Remove(&b, math.NaN())
	f.Add(&b, math.Inf(1))
	if got := f.Result(&a); !math.IsNaN(got) {
		t.Errorf("original after the copy changed: %v, want NaN", got)
	}
	if got := f.Result(&b); !math.IsInf(got, 1) {
		t.Errorf("copy: %v, want +Inf", got)
	}
	rm.Remove(&b, math.Inf(1))
	if got := f.Result(&b); got != 1 || b.nf != nil {
		t.Errorf("copy with its non-finite values removed: %v (counts %v), want 1 and none", got, b.nf)
	}
	c := a
	f.Merge(&c, &b)
	f.Merge(&c, &a)
	if got, want := c.nonFinite(), (nonFinite{nan: 2}); got != want {
		t.Errorf("merged counts %+v, want %+v", got, want)
	}
	if got := a.nonFinite(); got != (nonFinite{nan: 1}) {
		t.Errorf("original's counts after merges into a copy: %+v, want one NaN", got)
	}
}

// Finite values never allocate.
func TestSumFiniteNoAlloc(t *testing.T) {
	f := Sum(func(x float64) float64 { return x })
	var a, b SumState[float64]
	if n := testing.AllocsPerRun(100, func() {
		f.Add(&a, 1.5)
		f.Merge(&b, &a)
		_ = f.Result(&b)
	}); n != 0 {
		t.Errorf("%v allocations per finite Add and Merge, want 0", n)
	}
}
