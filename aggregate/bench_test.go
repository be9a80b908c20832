package aggregate

import (
	"testing"
)

type benchRec struct {
	n int64
	x float64
	s string
}

func benchRecs() []benchRec {
	rs := make([]benchRec, 1024)
	for i := range rs {
		rs[i] = benchRec{n: int64(i*7919) % 1000, x: float64(i%97) * 0.25, s: string(rune('a' + i%26))}
	}
	return rs
}

// benchAdd measures one Add per op on a stream of records.
func benchAdd[A, V any](b *testing.B, f Func[benchRec, A, V]) {
	rs := benchRecs()
	var a A
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		f.Add(&a, rs[i&1023])
		i++
	}
	_ = f.Result(&a)
}

func BenchmarkAdd(b *testing.B) {
	n := func(r benchRec) int64 { return r.n }
	x := func(r benchRec) float64 { return r.x }
	b.Run("agg=count", func(b *testing.B) { benchAdd(b, Count[benchRec]()) })
	b.Run("agg=sum/type=int64", func(b *testing.B) { benchAdd(b, Sum(n)) })
	b.Run("agg=sum/type=float64", func(b *testing.B) { benchAdd(b, Sum(x)) })
	b.Run("agg=avg/type=int64", func(b *testing.B) { benchAdd(b, Avg(n)) })
	b.Run("agg=avg/type=float64", func(b *testing.B) { benchAdd(b, Avg(x)) })
	b.Run("agg=min/type=float64", func(b *testing.B) { benchAdd(b, Min(x)) })
	b.Run("agg=max/type=int64", func(b *testing.B) { benchAdd(b, Max(n)) })
	b.Run("agg=max/type=string", func(b *testing.B) { benchAdd(b, Max(func(r benchRec) string { return r.s })) })
}
