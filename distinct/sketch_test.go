package distinct

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/axiomhq/hyperloglog"
	metro "github.com/dgryski/go-metro"
)

var big = flag.Bool("distinct.big", false, "also check accuracy at 10^7 and 10^8 distinct items")

func TestOptions(t *testing.T) {
	tests := []struct {
		name      string
		opts      *Options
		p, thresh int
		wantErr   bool
	}{
		{name: "nil", opts: nil, p: 14, thresh: 10_000},
		{name: "zero", opts: &Options{}, p: 14, thresh: 10_000},
		{name: "p4", opts: &Options{Precision: 4}, p: 4, thresh: 10_000},
		{name: "p18", opts: &Options{Precision: 18}, p: 18, thresh: 10_000},
		{name: "threshold1", opts: &Options{Threshold: 1}, p: 14, thresh: 1},
		{name: "max threshold", opts: &Options{Threshold: MaxThreshold}, p: 14, thresh: MaxThreshold},
		{name: "p3", opts: &Options{Precision: 3}, wantErr: true},
		{name: "p19", opts: &Options{Precision: 19}, wantErr: true},
		{name: "negative precision", opts: &Options{Precision: -14}, wantErr: true},
		{name: "negative threshold", opts: &Options{Threshold: -1}, wantErr: true},
		{name: "threshold too large", opts: &Options{Threshold: MaxThreshold + 1}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := New(tt.opts)
			if tt.wantErr {
				if !errors.Is(err, ErrInvalid) {
					t.Fatalf("New(%+v) error = %v, want ErrInvalid", tt.opts, err)
				}
				if _, err := Count(func(x int) int { return x }, tt.opts); !errors.Is(err, ErrInvalid) {
					t.Fatalf("Count(%+v) error = %v, want ErrInvalid", tt.opts, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s.Precision() != tt.p || s.Threshold() != tt.thresh {
				t.Errorf("precision, threshold = %d, %d; want %d, %d", s.Precision(), s.Threshold(), tt.p, tt.thresh)
			}
		})
	}
	if _, err := Count[int, int](nil, nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("Count(nil) error = %v, want ErrInvalid", err)
	}
}

func TestZeroSketch(t *testing.T) {
	var s Sketch
	if s.Estimate() != 0 || !s.Exact() || s.Precision() != DefaultPrecision || s.Threshold() != DefaultThreshold {
		t.Fatalf("zero Sketch: estimate %d exact %v precision %d threshold %d", s.Estimate(), s.Exact(), s.Precision(), s.Threshold())
	}
	for _, w := range []string{"a", "b", "a", "", "c", ""} {
		s.InsertHash(Hash(w))
	}
	if got := s.Estimate(); got != 4 {
		t.Errorf("Estimate = %d, want 4", got)
	}
	if s.p != DefaultPrecision || s.limit != DefaultThreshold {
		t.Errorf("zero Sketch configured as p=%d threshold=%d", s.p, s.limit)
	}
}

// TestExactUpToThreshold checks the count after every insert against a map,
// with repeats mixed in, up to the threshold and one past it.
func TestExactUpToThreshold(t *testing.T) {
	for _, thresh := range []int{1, 2, 7, 100, 1000, DefaultThreshold} {
		t.Run(fmt.Sprint("threshold=", thresh), func(t *testing.T) {
			s, err := New(&Options{Threshold: thresh})
			if err != nil {
				t.Fatal(err)
			}
			r := rand.New(rand.NewPCG(uint64(thresh), 1))
			seen := map[uint64]bool{}
			for len(seen) < thresh {
				x := r.Uint64N(uint64(thresh) * 3 / 2)
				s.InsertHash(HashUint64(x))
				seen[x] = true
				if got := s.Estimate(); got != uint64(len(seen)) || !s.Exact() {
					t.Fatalf("after %d distinct: Estimate = %d, Exact = %v", len(seen), got, s.Exact())
				}
			}
			// Repeats of items held keep it exact.
			for x := range seen {
				s.InsertHash(HashUint64(x))
			}
			if !s.Exact() || s.Estimate() != uint64(thresh) {
				t.Fatalf("after repeats: Estimate = %d, Exact = %v", s.Estimate(), s.Exact())
			}
			s.InsertHash(HashUint64(1 << 62))
			if s.Exact() {
				t.Fatalf("still exact with %d > threshold %d items", thresh+1, thresh)
			}
			if s.exact.slots != nil {
				t.Errorf("exact set kept after the switch to HyperLogLog")
			}
			// The switch keeps every item: the estimate is HyperLogLog's own.
			h := newHLL(DefaultPrecision)
			for x := range seen {
				h.InsertHash(HashUint64(x))
			}
			h.InsertHash(HashUint64(1 << 62))
			if got, want := s.Estimate(), h.Estimate(); got != want {
				t.Errorf("Estimate after switch = %d, HyperLogLog of the same items = %d", got, want)
			}
		})
	}
}

func TestEstimateCache(t *testing.T) {
	s, _ := New(&Options{Threshold: 10})
	for i := range 1000 {
		s.InsertHash(HashUint64(uint64(i)))
	}
	e1 := s.Estimate()
	if !s.fresh {
		t.Fatal("estimate not cached")
	}
	s.est = 12345 // a cached value is returned as is
	if s.Estimate() != 12345 {
		t.Fatal("cached estimate recomputed")
	}
	s.InsertHash(HashUint64(1)) // a repeat still invalidates: it is not checked
	if s.fresh {
		t.Fatal("insert did not invalidate the cached estimate")
	}
	if s.Estimate() != e1 {
		t.Fatalf("Estimate = %d, want %d", s.Estimate(), e1)
	}
	o, _ := New(&Options{Threshold: 10})
	o.InsertHash(HashUint64(1 << 40))
	s.Estimate()
	if err := s.Merge(o); err != nil {
		t.Fatal(err)
	}
	if s.fresh {
		t.Fatal("merge did not invalidate the cached estimate")
	}
	if s.Estimate() == e1 {
		t.Logf("estimate unchanged by one more item (possible for HyperLogLog)")
	}
}

// TestAccuracy checks the HyperLogLog phase against the exact count over many
// fixed-seed trials: within 3 standard errors (1.04/√m) in at least 99% of
// trials, and a mean absolute relative error within 1 standard error.
func TestAccuracy(t *testing.T) {
	cases := []struct {
		n, trials, shortTrials int
	}{
		{20_000, 100, 20},
		{100_000, 100, 10},
		{1_000_000, 20, 2},
	}
	if *big {
		cases = append(cases, struct{ n, trials, shortTrials int }{10_000_000, 5, 5}, struct{ n, trials, shortTrials int }{100_000_000, 2, 2})
	}
	for _, c := range cases {
		trials := c.trials
		if testing.Short() {
			trials = c.shortTrials
		}
		t.Run(fmt.Sprint("n=", c.n), func(t *testing.T) {
			checkAccuracy(t, DefaultPrecision, c.n, trials)
		})
	}
	// Other precisions, fewer trials: the same bounds in their own units.
	if testing.Short() {
		return
	}
	for _, p := range []int{4, 8, 12, 16, 18} {
		t.Run(fmt.Sprintf("p=%d/n=200000", p), func(t *testing.T) {
			checkAccuracy(t, p, 200_000, 20)
		})
	}
}

func checkAccuracy(t *testing.T, p, n, trials int) {
	t.Helper()
	se := 1.04 / math.Sqrt(float64(uint64(1)<<p))
	var within int
	var sumAbs, worst float64
	for trial := range trials {
		s, err := New(&Options{Precision: p})
		if err != nil {
			t.Fatal(err)
		}
		// Items are a bijective scramble of consecutive integers: random
		// looking, and distinct by construction, so the true count is n.
		base := uint64(p)<<56 | uint64(trial)<<40
		for i := range uint64(n) {
			s.InsertHash(HashUint64(splitmix(base + i)))
		}
		rel := (float64(s.Estimate()) - float64(n)) / float64(n)
		if math.Abs(rel) <= 3*se {
			within++
		}
		sumAbs += math.Abs(rel)
		worst = max(worst, math.Abs(rel))
	}
	mean := sumAbs / float64(trials)
	t.Logf("p=%d n=%d trials=%d: within 3σ %d, mean |rel err| %.5f (σ %.5f), worst %.5f", p, n, trials, within, mean, se, worst)
	if float64(within) < 0.99*float64(trials) {
		t.Errorf("only %d of %d trials within 3 standard errors (%.4f)", within, trials, 3*se)
	}
	if mean > se {
		t.Errorf("mean absolute relative error %.5f above one standard error %.5f", mean, se)
	}
}

// shardCase splits n items over k shards at random and returns the sketch fed
// everything and the shards' sketches.
func shardCase(t *testing.T, seed uint64, n, k int, opts *Options) (*Sketch, []*Sketch) {
	t.Helper()
	whole, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	shards := make([]*Sketch, k)
	for i := range shards {
		shards[i], _ = New(opts)
	}
	r := rand.New(rand.NewPCG(seed, uint64(n)))
	for range n {
		h := HashUint64(r.Uint64N(uint64(n))) // repeats across shards too
		whole.InsertHash(h)
		shards[r.IntN(k)].InsertHash(h)
	}
	return whole, shards
}

func encoding(t *testing.T, s *Sketch) []byte {
	t.Helper()
	b, err := s.AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestMergeShards checks that merging the partial sketches of 2 to 16 shards,
// in sequence or as a tree, gives the state of one sketch fed everything: the
// same phase, the same estimate and the same encoding.
func TestMergeShards(t *testing.T) {
	for _, n := range []int{500, 15_000, 200_000} {
		for _, k := range []int{2, 3, 5, 8, 16} {
			t.Run(fmt.Sprintf("n=%d/shards=%d", n, k), func(t *testing.T) {
				whole, shards := shardCase(t, uint64(k), n, k, &Options{Threshold: 10_000})
				want := encoding(t, whole)

				var seq Sketch // zero: adopts the shards' configuration
				for _, s := range shards {
					if err := seq.Merge(s); err != nil {
						t.Fatal(err)
					}
				}
				tree := treeMerge(t, shards)
				for name, got := range map[string]*Sketch{"sequential": &seq, "tree": tree} {
					if got.Exact() != whole.Exact() || got.Estimate() != whole.Estimate() {
						t.Errorf("%s: exact %v estimate %d; one sketch: exact %v estimate %d",
							name, got.Exact(), got.Estimate(), whole.Exact(), whole.Estimate())
					}
					if !bytes.Equal(encoding(t, got), want) {
						t.Errorf("%s: merged state differs from one sketch fed everything", name)
					}
				}
			})
		}
	}
}

func treeMerge(t *testing.T, s []*Sketch) *Sketch {
	if len(s) == 1 {
		return s[0].Clone()
	}
	a, b := treeMerge(t, s[:len(s)/2]), treeMerge(t, s[len(s)/2:])
	if err := b.Merge(a); err != nil { // later into earlier or not: order-free
		t.Fatal(err)
	}
	return b
}

func sketchOf(t *testing.T, opts *Options, items ...uint64) *Sketch {
	t.Helper()
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range items {
		s.InsertHash(HashUint64(x))
	}
	return s
}

func span(lo, hi uint64) []uint64 {
	var xs []uint64
	for x := lo; x < hi; x++ {
		xs = append(xs, x)
	}
	return xs
}

func TestMerge(t *testing.T) {
	small := &Options{Threshold: 100}
	tests := []struct {
		name      string
		dst, src  func() *Sketch
		wantExact bool
		want      func() *Sketch // a sketch fed the union directly
	}{
		{
			name:      "zero+zero",
			dst:       func() *Sketch { return new(Sketch) },
			src:       func() *Sketch { return new(Sketch) },
			wantExact: true,
			want:      func() *Sketch { return new(Sketch) },
		},
		{
			name:      "zero+exact adopts configuration",
			dst:       func() *Sketch { return new(Sketch) },
			src:       func() *Sketch { return sketchOf(t, small, span(0, 50)...) },
			wantExact: true,
			want:      func() *Sketch { return sketchOf(t, small, span(0, 50)...) },
		},
		{
			name:      "exact+zero",
			dst:       func() *Sketch { return sketchOf(t, small, span(0, 50)...) },
			src:       func() *Sketch { return new(Sketch) },
			wantExact: true,
			want:      func() *Sketch { return sketchOf(t, small, span(0, 50)...) },
		},
		{
			name:      "exact+nil",
			dst:       func() *Sketch { return sketchOf(t, small, span(0, 50)...) },
			src:       func() *Sketch { return nil },
			wantExact: true,
			want:      func() *Sketch { return sketchOf(t, small, span(0, 50)...) },
		},
		{
			name:      "exact+exact within threshold",
			dst:       func() *Sketch { return sketchOf(t, small, span(0, 60)...) },
			src:       func() *Sketch { return sketchOf(t, small, span(30, 100)...) },
			wantExact: true,
			want:      func() *Sketch { return sketchOf(t, small, span(0, 100)...) },
		},
		{
			name:      "exact+exact above threshold",
			dst:       func() *Sketch { return sketchOf(t, small, span(0, 60)...) },
			src:       func() *Sketch { return sketchOf(t, small, span(30, 101)...) },
			wantExact: false,
			want:      func() *Sketch { return sketchOf(t, small, span(0, 101)...) },
		},
		{
			name:      "exact+HLL",
			dst:       func() *Sketch { return sketchOf(t, small, span(0, 80)...) },
			src:       func() *Sketch { return sketchOf(t, small, span(50, 5000)...) },
			wantExact: false,
			want:      func() *Sketch { return sketchOf(t, small, span(0, 5000)...) },
		},
		{
			name:      "HLL+exact",
			dst:       func() *Sketch { return sketchOf(t, small, span(50, 5000)...) },
			src:       func() *Sketch { return sketchOf(t, small, append(span(0, 80), 1<<50)...) },
			wantExact: false,
			want:      func() *Sketch { return sketchOf(t, small, append(span(0, 5000), 1<<50)...) },
		},
		{
			name:      "HLL+HLL",
			dst:       func() *Sketch { return sketchOf(t, small, span(0, 3000)...) },
			src:       func() *Sketch { return sketchOf(t, small, span(2000, 9000)...) },
			wantExact: false,
			want:      func() *Sketch { return sketchOf(t, small, span(0, 9000)...) },
		},
		{
			name:      "zero+HLL",
			dst:       func() *Sketch { return new(Sketch) },
			src:       func() *Sketch { return sketchOf(t, small, span(0, 3000)...) },
			wantExact: false,
			want:      func() *Sketch { return sketchOf(t, small, span(0, 3000)...) },
		},
		{
			name:      "smaller threshold of the receiver governs",
			dst:       func() *Sketch { return sketchOf(t, &Options{Threshold: 10}, span(0, 5)...) },
			src:       func() *Sketch { return sketchOf(t, small, span(5, 50)...) },
			wantExact: false,
			want:      func() *Sketch { return sketchOf(t, &Options{Threshold: 10}, span(0, 50)...) },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dst, src := tt.dst(), tt.src()
			var srcBefore []byte
			if src != nil {
				srcBefore = encoding(t, src)
			}
			if err := dst.Merge(src); err != nil {
				t.Fatal(err)
			}
			want := tt.want()
			if dst.Exact() != tt.wantExact {
				t.Errorf("Exact = %v, want %v", dst.Exact(), tt.wantExact)
			}
			if got, w := dst.Estimate(), want.Estimate(); got != w {
				t.Errorf("Estimate = %d, want %d", got, w)
			}
			if !bytes.Equal(encoding(t, dst), encoding(t, want)) {
				t.Errorf("merged state differs from a sketch fed the union")
			}
			if src != nil && !bytes.Equal(encoding(t, src), srcBefore) {
				t.Errorf("Merge modified its argument")
			}
		})
	}
}

func TestMergeSelf(t *testing.T) {
	for _, n := range []uint64{50, 5000} {
		s := sketchOf(t, &Options{Threshold: 100}, span(0, n)...)
		want := s.Estimate()
		if err := s.Merge(s); err != nil {
			t.Fatal(err)
		}
		if s.Estimate() != want {
			t.Errorf("n=%d: self-merge changed the estimate %d to %d", n, want, s.Estimate())
		}
	}
}

func TestMergePrecisionMismatch(t *testing.T) {
	for _, tt := range []struct {
		name     string
		dst, src *Sketch
	}{
		{"exact+exact", sketchOf(t, &Options{Precision: 12}, 1, 2), sketchOf(t, &Options{Precision: 14}, 3)},
		{"empty+exact", sketchOf(t, &Options{Precision: 12}), sketchOf(t, &Options{Precision: 14}, 3)},
		{"HLL+HLL", sketchOf(t, &Options{Precision: 12, Threshold: 5}, span(0, 100)...), sketchOf(t, &Options{Precision: 14, Threshold: 5}, span(0, 100)...)},
		{"zero+HLL p12", new(Sketch), sketchOf(t, &Options{Precision: 12, Threshold: 5}, span(0, 100)...)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if tt.dst.p == 0 {
				tt.dst.InsertHash(1) // a used zero Sketch has precision 14
			}
			before := encoding(t, tt.dst)
			err := tt.dst.Merge(tt.src)
			if !errors.Is(err, ErrPrecision) || !errors.Is(err, ErrMismatch) {
				t.Fatalf("Merge error = %v, want ErrPrecision", err)
			}
			if !bytes.Equal(encoding(t, tt.dst), before) {
				t.Errorf("failed Merge changed the receiver")
			}
		})
	}
}

func TestCloneAndReset(t *testing.T) {
	for _, n := range []uint64{50, 5000} {
		s := sketchOf(t, &Options{Threshold: 100}, span(0, n)...)
		c := s.Clone()
		c.InsertHash(HashUint64(1 << 50))
		c.InsertHash(HashUint64(1 << 51))
		if s.Estimate() == c.Estimate() && n == 50 {
			t.Errorf("n=%d: Clone shares storage with the original", n)
		}
		if !bytes.Equal(encoding(t, s), encoding(t, sketchOf(t, &Options{Threshold: 100}, span(0, n)...))) {
			t.Errorf("n=%d: inserting into a clone changed the original", n)
		}
		s.Reset()
		if s.Estimate() != 0 || !s.Exact() || s.Threshold() != 100 {
			t.Errorf("n=%d: after Reset: estimate %d exact %v threshold %d", n, s.Estimate(), s.Exact(), s.Threshold())
		}
		for x := range uint64(3000) {
			s.InsertHash(HashUint64(x + 7))
		}
		if !bytes.Equal(encoding(t, s), encoding(t, sketchOf(t, &Options{Threshold: 100}, span(7, 3007)...))) {
			t.Errorf("n=%d: a reset sketch differs from a new one fed the same items", n)
		}
	}
}

func TestHash(t *testing.T) {
	type name string
	type raw []byte
	type id int32
	if Hash("abc") != Hash([]byte("abc")) || Hash("abc") != Hash(name("abc")) || Hash(raw("abc")) != HashBytes([]byte("abc")) {
		t.Error("equal bytes hash differently across string and []byte types")
	}
	if HashBytes([]byte("abc")) != metro.Hash64([]byte("abc"), 1337) {
		t.Error("HashBytes is not MetroHash64 with hyperloglog's seed")
	}
	if Hash("") != HashBytes(nil) {
		t.Error(`Hash("") != HashBytes(nil)`)
	}
	if Hash(int8(-1)) != Hash(int64(-1)) || Hash(id(-1)) != Hash(-1) || Hash(uint8(255)) != Hash(uint64(255)) || Hash(uint8(255)) == Hash(int8(-1)) {
		t.Error("integers are not widened by sign")
	}
	if Hash(uintptr(7)) != HashUint64(7) || Hash(uint(7)) != HashUint64(7) || Hash(int16(-7)) != HashUint64(^uint64(6)) || Hash(uint32(7)) != HashUint64(7) || Hash(uint16(7)) != HashUint64(7) {
		t.Error("integer kinds hash differently from HashUint64")
	}
	if Hash(1) == Hash(2) || Hash("a") == Hash("b") {
		t.Error("distinct items collide")
	}
	// Insert sets the same registers as hyperloglog's own Insert.
	s, _ := New(&Options{Threshold: 1})
	h := hyperloglog.NewNoSparse()
	for i := range 100 {
		b := fmt.Appendf(nil, "user-%d", i)
		s.Insert(b)
		h.Insert(b)
	}
	if s.Estimate() != h.Estimate() {
		t.Errorf("Insert: estimate %d, hyperloglog's %d", s.Estimate(), h.Estimate())
	}
	str := string(bytes.Repeat([]byte("x"), 40))
	b := []byte(str)
	if a := testing.AllocsPerRun(100, func() {
		_ = Hash(str) + Hash(b) + Hash(12345) + Hash(name(str))
	}); a != 0 {
		t.Errorf("Hash allocates %v times", a)
	}
}

func TestHashSet(t *testing.T) {
	var s hashSet
	oracle := map[uint64]bool{}
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 20_000 {
		var h uint64
		switch {
		case i%97 == 0:
			h = 0
		case i%3 == 0:
			h = r.Uint64N(4096) << 52 // collide in the low bits
		default:
			h = r.Uint64N(12_000)
		}
		if got, want := s.add(h), !oracle[h]; got != want {
			t.Fatalf("add(%#x) = %v, want %v", h, got, want)
		}
		oracle[h] = true
		if s.len() != len(oracle) {
			t.Fatalf("len = %d, want %d", s.len(), len(oracle))
		}
	}
	if 4*s.n > 3*len(s.slots) {
		t.Errorf("load %d/%d above 3/4", s.n, len(s.slots))
	}
	got := map[uint64]bool{}
	s.each(func(h uint64) {
		if got[h] {
			t.Fatalf("each yields %#x twice", h)
		}
		got[h] = true
	})
	if len(got) != len(oracle) {
		t.Fatalf("each yields %d hashes, want %d", len(got), len(oracle))
	}
	for h := range oracle {
		if !got[h] {
			t.Fatalf("each misses %#x", h)
		}
	}
	// Repeats never grow the table.
	size := len(s.slots)
	for h := range oracle {
		s.add(h)
	}
	if len(s.slots) != size {
		t.Errorf("repeats grew the table from %d to %d slots", size, len(s.slots))
	}
	s.reset()
	if s.len() != 0 || len(s.slots) != size {
		t.Errorf("reset: len %d, %d slots", s.len(), len(s.slots))
	}
}

// splitmix is the SplitMix64 finalizer, a bijection on uint64.
func splitmix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}
