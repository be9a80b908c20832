package record

import "testing"

// BenchmarkThen measures what composition costs: one record through a Then
// chain of three Maps, against the same three functions called directly.
// ns/stage is the chain's cost per record divided by its three stages.
func BenchmarkThen(b *testing.B) {
	f := func(x int64) int64 { return x + 1 }
	g := func(x int64) int64 { return x * 3 }
	h := func(x int64) int64 { return x - 2 }
	var sink int64
	emit := func(x int64) { sink += x }
	b.Run("impl=direct", func(b *testing.B) {
		b.ReportAllocs()
		var i int64
		for b.Loop() {
			i++
			emit(h(g(f(i))))
		}
	})
	b.Run("impl=Then/stages=3", func(b *testing.B) {
		op := Then(Then(Map(f), Map(g)), Map(h))
		b.ReportAllocs()
		var i int64
		for b.Loop() {
			i++
			if err := op.Push(i, emit); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/3, "ns/stage")
	})
	_ = sink
}
