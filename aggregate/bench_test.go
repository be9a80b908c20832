package aggregate

import (
	"testing"

	"github.com/rowtime/rowtime/record"
)

type benchRec struct {
	t record.Time
	n int64
	x float64
	s string
}

func (r benchRec) EventTime() record.Time { return r.t }

func benchRecs() []benchRec {
	rs := make([]benchRec, 1024)
	for i := range rs {
		rs[i] = benchRec{t: record.Time(i % 100), n: int64(i*7919) % 1000, x: float64(i%97) * 0.25, s: string(rune('a' + i%26))}
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
	b.Run("agg=first", func(b *testing.B) { benchAdd(b, First(x)) })
	b.Run("agg=last", func(b *testing.B) { benchAdd(b, Last(x)) })
	b.Run("agg=var_samp", func(b *testing.B) { benchAdd(b, VarSamp(x)) })
	b.Run("agg=stddev_pop", func(b *testing.B) { benchAdd(b, StddevPop(n)) })
	b.Run("agg=where_count", func(b *testing.B) {
		benchAdd(b, Where(func(r benchRec) bool { return r.s == "a" }, Count[benchRec]()))
	})
	b.Run("agg=or_null_avg", func(b *testing.B) { benchAdd(b, OrNull(Avg(x))) })
	b.Run("agg=pair_count_sum", func(b *testing.B) { benchAdd(b, Pair(Count[benchRec](), Sum(n))) })
	b.Run("agg=triple_count_sum_max", func(b *testing.B) { benchAdd(b, Triple(Count[benchRec](), Sum(n), Max(x))) })
}

// BenchmarkTopK measures Add of Zipf-distributed items (s = 1.2 over 10^5
// values) into a summary of capacity 100, which keeps evicting.
func BenchmarkTopK(b *testing.B) {
	b.Run("k=10", func(b *testing.B) {
		f, err := TopK(10, func(x uint64) uint64 { return x }, &TopKOptions{Capacity: 100})
		if err != nil {
			b.Fatal(err)
		}
		xs := zipfDraws(1, 1<<16)
		var a TopKState[uint64]
		for _, x := range xs { // reach the steady state: a full summary
			f.Add(&a, x)
		}
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			f.Add(&a, xs[i&(1<<16-1)])
			i++
		}
	})
}
