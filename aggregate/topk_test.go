package aggregate

import (
	"errors"
	"math/rand/v2"
	"slices"
	"testing"
)

func mustTopK[T comparable](t testing.TB, k int, opts *TopKOptions) Func[T, TopKState[T], []Item[T]] {
	t.Helper()
	f, err := TopK(k, id[T], opts)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestTopKConstructor(t *testing.T) {
	tests := []struct {
		name string
		k    int
		opts *TopKOptions
		want error
	}{
		{"k=1", 1, nil, nil},
		{"k=10 default capacity", 10, nil, nil},
		{"capacity=k", 5, &TopKOptions{Capacity: 5}, nil},
		{"k=0", 0, nil, ErrK},
		{"k<0", -3, nil, ErrK},
		{"capacity<k", 10, &TopKOptions{Capacity: 9}, ErrCapacity},
		{"negative capacity", 10, &TopKOptions{Capacity: -1}, ErrCapacity},
		{"capacity too large", 10, &TopKOptions{Capacity: 1 << 40}, ErrCapacity},
		{"k too large", 1 << 40, nil, ErrCapacity},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := TopK(tt.k, id[string], tt.opts)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if (err == nil) != (f != nil) {
				t.Errorf("func %v with error %v", f, err)
			}
		})
	}
	f := mustTopK[string](t, 3, nil)
	if c := f.(*topK[string, string]).capacity; c != 30 {
		t.Errorf("default capacity = %d, want 30", c)
	}
}

func items(s string) []string {
	out := make([]string, len(s))
	for i := range s {
		out[i] = s[i : i+1]
	}
	return out
}

func TestTopKTable(t *testing.T) {
	type it = Item[string]
	tests := []struct {
		name     string
		k, c     int
		in       string
		want     []it
		heldOnly bool
	}{
		{"empty", 2, 4, "", nil, false},
		{"counts", 2, 4, "abacba", []it{{"a", 3, 0}, {"b", 2, 0}}, false},
		{"fewer than k", 5, 5, "aab", []it{{"a", 2, 0}, {"b", 1, 0}}, false},
		{"ties by first appearance", 3, 4, "bacabc", []it{{"b", 2, 0}, {"a", 2, 0}, {"c", 2, 0}}, false},
		// capacity 2: "ab" fill; "c" evicts b (count 1, entered last), so
		// c=2 err 1; "c" again: c=3; "d" evicts a (count 1): d=2 err 1.
		{"eviction", 2, 2, "abccd", []it{{"c", 3, 1}, {"d", 2, 1}}, false},
		// ties at the minimum evict the newest entrant: "a" survives.
		{"evicts newest on ties", 2, 2, "abc", []it{{"c", 2, 1}, {"a", 1, 0}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := mustTopK[string](t, tt.k, &TopKOptions{Capacity: tt.c})
			got := run(f, items(tt.in)...)
			if !slices.Equal(got, tt.want) {
				t.Errorf("TopK(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

// exactTop is the oracle: every item's count, most frequent first, ties by
// first appearance.
func exactTop[T comparable](xs []T) ([]Item[T], map[T]int64) {
	counts := map[T]int64{}
	var order []T
	for _, x := range xs {
		if counts[x] == 0 {
			order = append(order, x)
		}
		counts[x]++
	}
	out := make([]Item[T], len(order))
	for i, x := range order {
		out[i] = Item[T]{Value: x, Count: counts[x]}
	}
	slices.SortStableFunc(out, func(a, b Item[T]) int { return int(b.Count - a.Count) })
	return out, counts
}

func TestTopKExactOracle(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 200 {
		distinct := 1 + rng.IntN(40)
		capacity := distinct + rng.IntN(5)
		k := 1 + rng.IntN(capacity)
		xs := make([]int, rng.IntN(300))
		for i := range xs {
			xs[i] = rng.IntN(distinct) * 7
		}
		want, _ := exactTop(xs)
		want = want[:min(k, len(want))]
		if len(want) == 0 {
			want = nil
		}
		f := mustTopK[int](t, k, &TopKOptions{Capacity: capacity})
		if got := run(f, xs...); !slices.Equal(got, want) {
			t.Fatalf("trial %d: TopK = %v, want %v", trial, got, want)
		}
		// The same through merged shards of consecutive runs.
		var acc TopKState[int]
		for lo := 0; lo < len(xs); {
			hi := min(len(xs), lo+rng.IntN(50))
			var part TopKState[int]
			for _, x := range xs[lo:hi] {
				f.Add(&part, x)
			}
			f.Merge(&acc, &part)
			lo = hi
		}
		if got := f.Result(&acc); !slices.Equal(got, want) {
			t.Fatalf("trial %d: merged TopK = %v, want %v", trial, got, want)
		}
	}
}

// checkBounds checks the Space-Saving guarantees of a summary against the
// true counts: every held count bounds the truth with its error, and every
// item with a true count above n/capacity is held.
func checkBounds[T comparable](t *testing.T, f Func[T, TopKState[T], []Item[T]], a *TopKState[T], counts map[T]int64, n, capacity int) {
	t.Helper()
	held := map[T]bool{}
	for _, sl := range a.slots {
		held[sl.item] = true
		if tr := counts[sl.item]; sl.count-sl.err > tr || tr > sl.count {
			t.Errorf("item %v: count %d, error %d, true count %d", sl.item, sl.count, sl.err, tr)
		}
	}
	for x, c := range counts {
		if c > int64(n/capacity) && !held[x] {
			t.Errorf("item %v with true count %d > %d/%d is not held", x, c, n, capacity)
		}
	}
	_ = f
}

func zipfDraws(seed uint64, n int) []uint64 {
	rng := rand.New(rand.NewPCG(seed, 0))
	z := rand.NewZipf(rng, 1.2, 1, 1e5-1)
	xs := make([]uint64, n)
	for i := range xs {
		xs[i] = z.Uint64()
	}
	return xs
}

func TestTopKZipf(t *testing.T) {
	const (
		draws    = 200_000
		k        = 10
		capacity = 200
	)
	seeds := []uint64{1, 2, 3, 4, 5}
	if testing.Short() {
		seeds = seeds[:2]
	}
	for _, seed := range seeds {
		xs := zipfDraws(seed, draws)
		truth, counts := exactTop(xs)
		f := mustTopK[uint64](t, k, &TopKOptions{Capacity: capacity})
		var a TopKState[uint64]
		for _, x := range xs {
			f.Add(&a, x)
		}
		got := f.Result(&a)
		if len(got) != k {
			t.Fatalf("seed %d: %d items, want %d", seed, len(got), k)
		}
		trueTop := map[uint64]bool{}
		for _, it := range truth[:k] {
			trueTop[it.Value] = true
		}
		for i, it := range got {
			if !trueTop[it.Value] {
				t.Errorf("seed %d: reported item %d (%v) is not in the true top %d", seed, i, it, k)
			}
			tr := counts[it.Value]
			if it.Count-it.Error > tr || tr > it.Count {
				t.Errorf("seed %d: %v has true count %d", seed, it, tr)
			}
			for _, jt := range got[i+1:] {
				// Reported order may contradict the truth only within the
				// reported error.
				if d := counts[jt.Value] - tr; d > 0 && d >= max(it.Error, jt.Error) {
					t.Errorf("seed %d: %v reported before %v, true counts %d < %d", seed, it, jt, tr, counts[jt.Value])
				}
			}
		}
		checkBounds(t, f, &a, counts, draws, capacity)

		// Four shards merged: the guarantees still hold.
		var merged TopKState[uint64]
		for s := range 4 {
			var part TopKState[uint64]
			for _, x := range xs[s*draws/4 : (s+1)*draws/4] {
				f.Add(&part, x)
			}
			f.Merge(&merged, &part)
		}
		checkBounds(t, f, &merged, counts, draws, capacity)
	}
}

func TestTopKAddDoesNotAllocate(t *testing.T) {
	f := mustTopK[uint64](t, 10, &TopKOptions{Capacity: 100})
	xs := zipfDraws(7, 1<<14)
	var a TopKState[uint64]
	for _, x := range xs {
		f.Add(&a, x)
	}
	i := 0
	allocs := testing.AllocsPerRun(1000, func() {
		f.Add(&a, xs[i&(len(xs)-1)]+uint64(i%3)) // keep evicting
		i++
	})
	if allocs != 0 {
		t.Errorf("Add allocates %v times per record in steady state", allocs)
	}
}

func topKBytes(t testing.TB, f Func[string, TopKState[string], []Item[string]], in string) []byte {
	var a TopKState[string]
	for _, x := range items(in) {
		f.Add(&a, x)
	}
	b, err := f.(StateCodec[TopKState[string]]).AppendState(nil, &a)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestTopKReadStateErrors(t *testing.T) {
	f := mustTopK[string](t, 2, &TopKOptions{Capacity: 4})
	codec := f.(StateCodec[TopKState[string]])
	good := topKBytes(t, f, "abcab")
	other := mustTopK[string](t, 2, &TopKOptions{Capacity: 5})
	mutate := func(i int, b byte) []byte {
		out := slices.Clone(good)
		out[i] = b
		return out
	}
	// Layout: version, capacity, n, floor, len, then per counter: item
	// (length, bytes), count, error, first.
	tests := []struct {
		name string
		in   []byte
		want error
	}{
		{"empty", nil, ErrTruncated},
		{"version", mutate(0, 9), ErrVersion},
		{"capacity", topKBytes(t, other, "ab"), ErrMismatch},
		{"truncated", good[:len(good)-1], ErrTruncated},
		{"floor above n", mutate(3, 100), ErrCorrupt},
		{"more counters than records", mutate(4, 4), ErrCorrupt},
		{"zero count", mutate(7, 0), ErrCorrupt},
		{"error not below count", mutate(8, 5), ErrCorrupt},
		{"first not below n", mutate(9, 5), ErrCorrupt},
		{"repeated item", mutate(11, 'a'), ErrCorrupt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var a TopKState[string]
			f.Add(&a, "z")
			before := f.Result(&a)
			if _, err := codec.ReadState(&a, tt.in); !errors.Is(err, tt.want) {
				t.Errorf("ReadState(% x) = %v, want %v", tt.in, err, tt.want)
			}
			if got := f.Result(&a); !slices.Equal(got, before) {
				t.Errorf("receiver changed to %v", got)
			}
		})
	}
	var a TopKState[string]
	if n, err := codec.ReadState(&a, good); err != nil || n != len(good) {
		t.Fatalf("ReadState(good) = %d, %v", n, err)
	}
	if got, want := f.Result(&a), []Item[string]{{"a", 2, 0}, {"b", 2, 0}}; !slices.Equal(got, want) {
		t.Errorf("decoded = %v, want %v", got, want)
	}
}

func FuzzTopKReadState(f *testing.F) {
	agg := mustTopK[string](f, 4, &TopKOptions{Capacity: 4})
	codec := agg.(StateCodec[TopKState[string]])
	for _, s := range []string{"", "a", "abcab", "abcdefgabca", "aaaaaaaab"} {
		f.Add(topKBytes(f, agg, s))
	}
	f.Add([]byte{1, 4, 0, 0, 0})
	f.Add([]byte{1, 4, 2, 0, 1, 1, 'x', 2, 1, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		var a TopKState[string]
		agg.Add(&a, "q")
		n, err := codec.ReadState(&a, data)
		if err != nil {
			if got := agg.Result(&a); len(got) != 1 || got[0].Value != "q" {
				t.Fatalf("failed ReadState changed the receiver: %v", got)
			}
			return
		}
		if n > len(data) {
			t.Fatalf("used %d of %d bytes", n, len(data))
		}
		// A decoded summary round-trips, keeps working, and merges.
		again, err := codec.AppendState(nil, &a)
		if err != nil {
			t.Fatal(err)
		}
		var c TopKState[string]
		if _, err := codec.ReadState(&c, again); err != nil {
			t.Fatalf("re-encoded summary: %v", err)
		}
		if x, y := agg.Result(&a), agg.Result(&c); !slices.Equal(x, y) {
			t.Fatalf("round trip: %v, then %v", x, y)
		}
		for _, x := range items("abcdefab") {
			agg.Add(&a, x)
		}
		var b TopKState[string]
		agg.Add(&b, "a")
		agg.Merge(&b, &a)
		for _, it := range agg.Result(&b) {
			if it.Count < 1 || it.Error < 0 || it.Error >= it.Count {
				t.Fatalf("bad item %v", it)
			}
		}
	})
}

// A restored summary continues exactly like the original, evictions and
// merges included, so operator snapshots are transparent.
func TestTopKRestoreContinues(t *testing.T) {
	const capacity = 50
	f := mustTopK[uint64](t, capacity, &TopKOptions{Capacity: capacity})
	codec := f.(StateCodec[TopKState[uint64]])
	xs := zipfDraws(11, 20_000)
	for _, cut := range []int{0, 1, 49, 50, 51, 777, 10_000, 19_999} {
		var orig TopKState[uint64]
		for _, x := range xs[:cut] {
			f.Add(&orig, x)
		}
		b, err := codec.AppendState(nil, &orig)
		if err != nil {
			t.Fatal(err)
		}
		var restored TopKState[uint64]
		if _, err := codec.ReadState(&restored, b); err != nil {
			t.Fatalf("cut %d: %v", cut, err)
		}
		var other TopKState[uint64]
		for _, x := range xs[cut:] {
			f.Add(&orig, x)
			f.Add(&restored, x)
			f.Add(&other, x%1000)
		}
		f.Merge(&orig, &other)
		f.Merge(&restored, &other)
		if got, want := f.Result(&restored), f.Result(&orig); !slices.Equal(got, want) {
			t.Errorf("cut %d: restored summary ends with %v, want %v", cut, got, want)
		}
	}
}
