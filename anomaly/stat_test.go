package anomaly

import (
	"math"
	"math/rand/v2"
	"testing"
)

// gaussianCloud is n points of dims standard normal coordinates.
func gaussianCloud(n, dims int, seed uint64) [][]float64 {
	rng := rand.New(rand.NewPCG(seed, 5))
	ps := make([][]float64, n)
	for i := range ps {
		ps[i] = make([]float64, dims)
		for j := range dims {
			ps[i][j] = rng.NormFloat64()
		}
	}
	return ps
}

// With a sample as large as the data and no decay, every tree holds every
// point; only the cuts are random, so the forest's score of a point is a
// mean over trees that converges as trees are added.
func TestScoreConvergesWithTrees(t *testing.T) {
	if testing.Short() {
		t.Skip("builds forests of 1,000 trees")
	}
	data := gaussianCloud(100, 2, 1)
	queries := [][]float64{{0, 0}, {3, 3}, {-4, 1}}
	spread := map[int][]float64{} // trees → per query the range over seeds
	mean := map[int][]float64{}
	for _, trees := range []int{100, 500, 1000} {
		lo := []float64{math.Inf(1), math.Inf(1), math.Inf(1)}
		hi := []float64{math.Inf(-1), math.Inf(-1), math.Inf(-1)}
		sum := make([]float64, len(queries))
		const seeds = 4
		for seed := range uint64(seeds) {
			f := newForest(2, params{trees: trees, sample: len(data), shingle: 1, seed: seed})
			for _, p := range data {
				f.add(p)
			}
			for q, p := range queries {
				s := f.score(p)
				lo[q], hi[q] = min(lo[q], s), max(hi[q], s)
				sum[q] += s / seeds
			}
		}
		for q := range queries {
			spread[trees] = append(spread[trees], hi[q]-lo[q])
		}
		mean[trees] = sum
		t.Logf("%4d trees: scores of %v: %.4f (range over 4 seeds %.4f)", trees, queries, sum, spread[trees])
	}
	total := func(xs []float64) float64 { return xs[0] + xs[1] + xs[2] }
	// The spread of a mean of n trees shrinks as 1/√n: by √10 from 100 to
	// 1,000 trees.
	if s1, s2 := total(spread[1000]), total(spread[100]); !(s1 < 0.7*s2) {
		t.Errorf("ranges over seeds sum to %.4f at 1000 trees, %.4f at 100", s1, s2)
	}
	for q := range queries {
		if d := math.Abs(mean[1000][q] - mean[500][q]); d > 0.03*mean[1000][q] {
			t.Errorf("query %v: %.4f at 500 trees, %.4f at 1000", queries[q], mean[500][q], mean[1000][q])
		}
	}
	// The outliers score well above the centre.
	if !(mean[1000][1] > 1.5*mean[1000][0] && mean[1000][2] > 1.5*mean[1000][0]) {
		t.Errorf("scores %v: the outliers do not stand out", mean[1000])
	}
}

func TestAttributionsSumToScore(t *testing.T) {
	for _, shingle := range []int{1, 3} {
		f, err := NewForest(3, &Options{Trees: 30, SampleSize: 64, ShingleSize: shingle, Seed: 2})
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(3, 3))
		v := make([]float64, 3)
		for i := range 1500 {
			for j := range v {
				v[j] = math.Round(rng.NormFloat64() * 2) // duplicates too
			}
			s, attrs, err := f.UpdateExplain(v)
			if err != nil {
				t.Fatal(err)
			}
			sum := 0.0
			for _, a := range attrs {
				sum += a.Score()
				if a.High < 0 || a.Low < 0 {
					t.Fatalf("record %d: negative attribution %+v", i, a)
				}
			}
			if math.Abs(sum-s) > 1e-9*max(s, 1e-300) {
				t.Fatalf("shingle %d, record %d: attributions sum to %v, score %v", shingle, i, sum, s)
			}
		}
	}
}

// A spike on one column is explained HIGH on it, a dip LOW.
func TestSpikeHighDipLow(t *testing.T) {
	f, err := NewForest(3, &Options{Trees: 100, SampleSize: 256, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(4, 4))
	normal := func() []float64 {
		return []float64{50 + rng.NormFloat64(), 20 + rng.NormFloat64(), 5 + rng.NormFloat64()}
	}
	for range 1000 {
		if _, err := f.Update(normal()); err != nil {
			t.Fatal(err)
		}
	}
	check := func(name string, col int, delta float64, want Direction) {
		t.Helper()
		v := normal()
		v[col] += delta
		s, attrs, err := f.UpdateExplain(v)
		if err != nil {
			t.Fatal(err)
		}
		if s < 1.5 {
			t.Errorf("%s: score %.3f, want an anomaly", name, s)
		}
		for j, a := range attrs {
			if j != col && a.Score() >= attrs[col].Score() {
				t.Errorf("%s: column %d attribution %.3f ≥ column %d's %.3f", name, j, a.Score(), col, attrs[col].Score())
			}
		}
		if a := attrs[col]; a.Direction() != want || a.Strength() < 0.8*a.Score() {
			t.Errorf("%s: %s strength %.3f of %.3f, want %s", name, a.Direction(), a.Strength(), a.Score(), want)
		}
	}
	check("spike on column 0", 0, 15, High)
	check("dip on column 1", 1, -15, Low)
	check("spike on column 2", 2, 12, High)
}

func TestStrength(t *testing.T) {
	cases := []Attribution{{0, 0}, {1, 0}, {0, 2}, {0.1435, 0.2357}, {3, 3}, {1e-12, 5}}
	for _, a := range cases {
		s := a.Strength()
		if s < 0 || s > a.Score()+1e-15 {
			t.Errorf("%+v: strength %v outside [0, %v]", a, s, a.Score())
		}
		mirror := Attribution{High: a.Low, Low: a.High}
		if mirror.Strength() != s {
			t.Errorf("%+v: mirrored strength %v, want %v", a, mirror.Strength(), s)
		}
		if a.High != a.Low && mirror.Direction() == a.Direction() {
			t.Errorf("%+v: mirror has the same direction", a)
		}
		if (a.High == 0 || a.Low == 0) && s != a.Score() {
			t.Errorf("%+v: one-sided, strength %v, want the score %v", a, s, a.Score())
		}
	}
	if (Attribution{High: 3, Low: 3}).Strength() != 0 {
		t.Error("balanced attribution has strength")
	}
}
