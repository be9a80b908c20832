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

// benchSpan is how many records of the stream one pass of BenchmarkForest
// replays.
const benchSpan = 1 << 13

// BenchmarkForest measures one record's score plus update after warm-up
// (the forest full and decaying), with KDA's parameters around it.
//
// What a record costs depends on how many the forest has seen: the sampler
// accepts a smaller share of the points as the stream grows, and an
// accepted point costs an insertion and a deletion in its tree. So that
// every case (and every b.N) measures the same work, the loop replays one
// span of the stream after the warm-up, again and again, from a copy of the
// warmed forest restored with the timer stopped. The cases then differ only
// in their parameters, and trees=100 against trees=10 shows how the cost
// grows with the number of trees.
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
			warm := 4 * c.sample
			for i := range warm {
				v[0] = xs[i%len(xs)]
				update(b, f, v)
			}
			warmed := f.appendState(nil)
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				if i > 0 && i%benchSpan == 0 {
					b.StopTimer()
					f = newForest(1, f.p)
					if err := f.readState(&reader{b: warmed}); err != nil {
						b.Fatal(err)
					}
					b.StartTimer()
				}
				v[0] = xs[(warm+i%benchSpan)%len(xs)]
				update(b, f, v)
			}
		})
	}
}

func update(b *testing.B, f *Forest, v []float64) {
	if _, err := f.Update(v); err != nil {
		b.Fatal(err)
	}
}
