package anomaly

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// benchSeries is a daily-looking signal with noise and rare spikes.
func benchSeries(n int, seed uint64) []float64 {
	r := rand.New(rand.NewPCG(seed, 7))
	xs := make([]float64, n)
	for i := range xs {
		xs[i] = 100 + 30*math.Sin(float64(i)*2*math.Pi/48) + r.NormFloat64()*5
		if r.IntN(200) == 0 {
			xs[i] += 80
		}
	}
	return xs
}

// BenchmarkForest measures one record's score plus update after warm-up
// (the forest full and decaying), with KDA's parameters around it.
func BenchmarkForest(b *testing.B) {
	cases := []struct{ trees, sample, shingle int }{
		{100, 256, 1},
		{100, 256, 4},
		{10, 256, 1},
		{100, 1000, 1},
	}
	for _, c := range cases {
		b.Run(fmt.Sprintf("trees=%d/sample=%d/dims=%d", c.trees, c.sample, c.shingle), func(b *testing.B) {
			f, err := NewForest(1, &Options{Trees: c.trees, SampleSize: c.sample, ShingleSize: c.shingle, Seed: 1})
			if err != nil {
				b.Fatal(err)
			}
			xs := benchSeries(1<<14, 3)
			v := make([]float64, 1)
			for i := range 4 * c.sample {
				v[0] = xs[i%len(xs)]
				update(b, f, v)
			}
			i := 0
			b.ReportAllocs()
			for b.Loop() {
				v[0] = xs[i%len(xs)]
				update(b, f, v)
				i++
			}
		})
	}
}

func update(b *testing.B, f *Forest, v []float64) {
	if _, err := f.Update(v); err != nil {
		b.Fatal(err)
	}
}
