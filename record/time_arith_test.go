package record

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
	"time"
)

// clamp returns x limited to [lo, hi].
func clamp(x *big.Int, lo, hi int64) int64 {
	if x.Cmp(big.NewInt(lo)) < 0 {
		return lo
	}
	if x.Cmp(big.NewInt(hi)) > 0 {
		return hi
	}
	return x.Int64()
}

// TestAddSub checks Time.Add and Time.Sub against exact big-integer
// arithmetic clamped to the range of the result, on edge cases and on
// fixed-seed random values near and far from the ends.
func TestAddSub(t *testing.T) {
	edges := []int64{math.MinInt64, math.MinInt64 + 1, -1e18, -1, 0, 1, 1e18, math.MaxInt64 - 1, math.MaxInt64}
	rng := rand.New(rand.NewPCG(1, 2))
	vals := append([]int64(nil), edges...)
	for range 2000 {
		switch rng.IntN(3) {
		case 0:
			vals = append(vals, int64(rng.Uint64()))
		case 1:
			vals = append(vals, math.MaxInt64-rng.Int64N(1e6))
		default:
			vals = append(vals, math.MinInt64+rng.Int64N(1e6))
		}
	}
	for i := range 20000 {
		a, b := vals[i%len(vals)], vals[rng.IntN(len(vals))]
		sum := new(big.Int).Add(big.NewInt(a), big.NewInt(b))
		if got, want := Time(a).Add(time.Duration(b)), Time(clamp(sum, math.MinInt64, math.MaxInt64)); got != want {
			t.Fatalf("Time(%d).Add(%d) = %d, want %d", a, b, int64(got), int64(want))
		}
		diff := new(big.Int).Sub(big.NewInt(a), big.NewInt(b))
		if got, want := Time(a).Sub(Time(b)), time.Duration(clamp(diff, math.MinInt64, math.MaxInt64)); got != want {
			t.Fatalf("Time(%d).Sub(%d) = %d, want %d", a, b, int64(got), int64(want))
		}
	}
	// By hand: the ends saturate, ordinary values do not move.
	if MinTime.Add(-time.Nanosecond) != MinTime || MaxTime.Add(time.Hour) != MaxTime {
		t.Error("Add does not saturate at the ends")
	}
	if MaxTime.Sub(MinTime) != math.MaxInt64 || MinTime.Sub(MaxTime) != math.MinInt64 {
		t.Error("Sub does not saturate")
	}
	t0 := Time(1_700_000_000_000_000_000)
	if t0.Add(90*time.Second).Sub(t0) != 90*time.Second || t0.Add(-time.Minute) != t0-Time(time.Minute) {
		t.Error("Add and Sub disagree with integer arithmetic")
	}
}

func TestAt(t *testing.T) {
	r := At(Time(5), "x")
	if r != (Of[string]{Time: 5, Value: "x"}) || r.EventTime() != 5 {
		t.Fatalf("At(5, x) = %+v", r)
	}
}
