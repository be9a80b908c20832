package hotspot

import (
	"fmt"
	"testing"

	"github.com/rowtime/rowtime/hotspot/hotspottest"
	"github.com/rowtime/rowtime/record"
)

type xy = record.Of[[2]float64]

func xyCoords(dst []float64, r xy) []float64 { return append(dst, r.Value[0], r.Value[1]) }

// benchRecords returns count records of the benchmark workload: the points
// of hotspottest's generator with seed 42, one nanosecond apart.
func benchRecords(count int) []xy {
	g := hotspottest.NewGenerator(42)
	rs := make([]xy, count)
	for i := range rs {
		p := g.Next()
		rs[i] = xy{Time: record.Time(i), Value: [2]float64{p.X, p.Y}}
	}
	return rs
}

// BenchmarkHotspots measures one record through the operator (expiry,
// neighbour search, cluster maintenance and the result) with a full window.
func BenchmarkHotspots(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			op, err := New(n, 0.2, 17, xyCoords, nil)
			if err != nil {
				b.Fatal(err)
			}
			rs := benchRecords(n + 50000)
			emit := func(Result[xy]) {}
			for _, r := range rs[:n] {
				op.Push(r, emit)
			}
			i := n
			b.ReportAllocs()
			for b.Loop() {
				if err := op.Push(rs[i], emit); err != nil {
					b.Fatal(err)
				}
				if i++; i == len(rs) {
					i = n
				}
			}
		})
	}
}

// BenchmarkRecluster is the baseline: Find over the whole window for every
// record.
func BenchmarkRecluster(b *testing.B) {
	for _, n := range []int{1000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			rs := benchRecords(n + 5000)
			pts := make([][]float64, len(rs))
			for i, r := range rs {
				pts[i] = []float64{r.Value[0], r.Value[1]}
			}
			i := n
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Find(pts[i-n+1:i+1], 0.2, 17); err != nil {
					b.Fatal(err)
				}
				if i++; i == len(pts) {
					i = n
				}
			}
		})
	}
}
