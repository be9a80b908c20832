package aggregate_test

import (
	"testing"
	"unsafe"

	"github.com/rowtime/rowtime/aggregate"
)

// TestTopKStateSize checks TopK's Sizer: nothing for the zero state, at
// least a counter, a heap entry and an index entry per item held, growing
// with the distinct items up to the capacity and no further.
func TestTopKStateSize(t *testing.T) {
	f, err := aggregate.TopK(3, func(x int64) int64 { return x }, &aggregate.TopKOptions{Capacity: 100})
	if err != nil {
		t.Fatal(err)
	}
	z, ok := f.(aggregate.Sizer[aggregate.TopKState[int64]])
	if !ok {
		t.Fatal("TopK is not an aggregate.Sizer")
	}
	var a aggregate.TopKState[int64]
	if got := z.StateSize(&a); got != 0 {
		t.Errorf("zero state: StateSize %d, want 0", got)
	}
	perItem := int(unsafe.Sizeof(aggregate.Item[int64]{})) + 4 + 8 // counter ≥ item and counts, heap, index
	prev := 0
	for _, n := range []int{1, 10, 50, 100} {
		var a aggregate.TopKState[int64]
		for i := range 3 * n {
			f.Add(&a, int64(i%n))
		}
		got := z.StateSize(&a)
		if got < n*perItem || got <= prev {
			t.Errorf("distinct=%d: StateSize %d, want at least %d and more than %d", n, got, n*perItem, prev)
		}
		prev = got
	}
	var full aggregate.TopKState[int64]
	for i := range 1000 {
		f.Add(&full, int64(i))
	}
	if got := z.StateSize(&full); got > 2*prev {
		t.Errorf("distinct=1000 past capacity 100: StateSize %d, want about %d as at capacity", got, prev)
	}
}

// sizedCount is Count reporting 8 bytes per record counted.
type sizedCount struct {
	aggregate.Func[int64, int64, int64]
}

func (sizedCount) StateSize(a *int64) int { return 8 * int(*a) }

// TestCombinatorStateSize checks that Where, OrNull, Pair and Triple report
// the sizes of the aggregates they hold, and 0 for those without a Sizer.
func TestCombinatorStateSize(t *testing.T) {
	c := sizedCount{aggregate.Count[int64]()}
	plain := aggregate.Count[int64]()
	even := func(x int64) bool { return x%2 == 0 }
	cases := []struct {
		name string
		size func(recs []int64) (got int, ok bool)
		want int // for 10 records, 0 to 9
	}{
		{"where", sizeOf(aggregate.Where(even, aggregate.Func[int64, int64, int64](c))), 8 * 5},
		{"where/plain", sizeOf(aggregate.Where(even, plain)), 0},
		{"ornull", sizeOf(aggregate.OrNull(aggregate.Func[int64, int64, int64](c))), 8 * 10},
		{"pair", sizeOf(aggregate.Pair(aggregate.Func[int64, int64, int64](c), plain)), 8 * 10},
		{"pair/nested", sizeOf(aggregate.Pair(aggregate.Where(even, aggregate.Func[int64, int64, int64](c)),
			aggregate.OrNull(aggregate.Func[int64, int64, int64](c)))), 8 * 15},
		{"triple", sizeOf(aggregate.Triple(aggregate.Func[int64, int64, int64](c), plain, aggregate.Where(even, aggregate.Func[int64, int64, int64](c)))), 8 * 15},
		{"triple/plain", sizeOf(aggregate.Triple(plain, plain, plain)), 0},
	}
	recs := []int64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := tc.size(recs)
			if !ok {
				t.Fatal("not an aggregate.Sizer")
			}
			if got != tc.want {
				t.Errorf("StateSize %d, want %d", got, tc.want)
			}
		})
	}
}

// sizeOf returns a function that adds recs to a zero accumulator of f and
// reports f's StateSize of it.
func sizeOf[A, V any](f aggregate.Func[int64, A, V]) func([]int64) (int, bool) {
	return func(recs []int64) (int, bool) {
		z, ok := f.(aggregate.Sizer[A])
		if !ok {
			return 0, false
		}
		var a A
		if z.StateSize(&a) != 0 {
			return -1, true
		}
		for _, r := range recs {
			f.Add(&a, r)
		}
		return z.StateSize(&a), true
	}
}
