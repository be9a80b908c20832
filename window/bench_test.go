package window

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/rowtime/rowtime/aggregate"
	"github.com/rowtime/rowtime/record"
)

// bid is the benchmark record: a key chosen uniformly and an amount.
type bid = rec[int64, float64]

// bidStream yields records whose event time advances 1 ms per record, with
// keys drawn uniformly from [0, keys).
type bidStream struct {
	keys []int64
	i    int
	t    record.Time
}

func newBidStream(keys int) *bidStream {
	rng := rand.New(rand.NewPCG(1, 2))
	s := &bidStream{keys: make([]int64, 1<<16)}
	for i := range s.keys {
		s.keys[i] = rng.Int64N(int64(keys))
	}
	return s
}

func (s *bidStream) next() bid {
	s.i++
	s.t += record.Time(time.Millisecond)
	return bid{T: s.t, Key: s.keys[s.i&(len(s.keys)-1)], V: float64(s.i & 7)}
}

var sink float64

func BenchmarkStepSum(b *testing.B) {
	for _, keys := range []int{1000, 100000} {
		b.Run(fmt.Sprintf("keys=%d", keys), func(b *testing.B) {
			op, err := Aggregate(Step(time.Minute), func(r bid) int64 { return r.Key },
				aggregate.Sum(func(r bid) float64 { return r.V }), nil)
			if err != nil {
				b.Fatal(err)
			}
			s := newBidStream(keys)
			emit := func(r Result[int64, float64]) { sink += r.Value }
			push := func() {
				if err := op.Push(s.next(), emit); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			for b.Loop() {
				push()
			}
		})
	}
}

// BenchmarkMapSum is the hand-written baseline of BenchmarkStepSum: a map
// from key to sum, emitted and cleared at every window boundary.
func BenchmarkMapSum(b *testing.B) {
	for _, keys := range []int{1000, 100000} {
		b.Run(fmt.Sprintf("keys=%d", keys), func(b *testing.B) {
			const d = record.Time(time.Minute)
			m := make(map[int64]float64)
			end := record.Time(d)
			s := newBidStream(keys)
			emit := func(start, end record.Time, k int64, v float64) { sink += v }
			push := func() {
				r := s.next()
				if r.T >= end {
					for k, v := range m {
						emit(end-d, end, k, v)
					}
					clear(m)
					end = r.T - r.T%d + d
				}
				m[r.Key] += r.V
			}
			b.ReportAllocs()
			for b.Loop() {
				push()
			}
		})
	}
}

// BenchmarkHop measures hopping windows with 1,000 keys; the cost per
// record must not grow with size/slide.
func BenchmarkHop(b *testing.B) {
	sum := aggregate.Sum(func(r bid) float64 { return r.V })
	maxf := aggregate.Max(func(r bid) float64 { return r.V })
	for _, agg := range []string{"sum", "max"} {
		for _, size := range []time.Duration{10 * time.Second, 60 * time.Second} {
			name := fmt.Sprintf("agg=%s/size=%ds/slide=1s", agg, int(size.Seconds()))
			b.Run(name, func(b *testing.B) {
				var push func()
				s := newBidStream(1000)
				key := func(r bid) int64 { return r.Key }
				w := Hop(size, time.Second)
				switch agg {
				case "sum":
					op, err := Aggregate(w, key, sum, nil)
					if err != nil {
						b.Fatal(err)
					}
					emit := func(r Result[int64, float64]) { sink += r.Value }
					push = func() { _ = op.Push(s.next(), emit) }
				default:
					op, err := Aggregate(w, key, maxf, nil)
					if err != nil {
						b.Fatal(err)
					}
					emit := func(r Result[int64, float64]) { sink += r.Value }
					push = func() { _ = op.Push(s.next(), emit) }
				}
				// Fill the first windows so that steady state is measured.
				for range 2 * int(size/time.Millisecond) {
					push()
				}
				b.ReportAllocs()
				for b.Loop() {
					push()
				}
			})
		}
	}
}

// tick is the record of the Over and join benchmarks: a key and a value.
type tick = rec[int64, int64]

// xorshift is Marsaglia's xorshift64 step, the benchmarks' cheap
// pseudo-random source.
func xorshift(x uint64) uint64 {
	x ^= x << 13
	x ^= x >> 7
	x ^= x << 17
	return x
}

// ticks yields records whose event time advances 1 ms a record, with a
// pseudo-random value, all in partition 0 (PARTITION BY a column that never
// changes) or, with keys > 1, in one of keys partitions chosen uniformly.
type ticks struct {
	t    record.Time
	x    uint64
	keys int
}

func newTicks(keys int) *ticks { return &ticks{x: 88172645463325252, keys: keys} }

func (s *ticks) next() tick {
	s.t += record.Time(time.Millisecond)
	s.x = xorshift(s.x)
	r := tick{T: s.t, V: int64(s.x % 10_000)}
	if s.keys > 1 {
		r.Key = int64(s.x>>20) % int64(s.keys)
	}
	return r
}

var tickKey, tickPrice = recKey[int64, int64], recV[int64, int64]

// benchOver measures one Push (one record, one output) in steady state:
// warm records fill the windows before the timer starts.
func benchOver[A, V any](b *testing.B, f aggregate.Func[tick, A, V], src *ticks, warm int, frames ...Frame) {
	op, err := NewOver(tickKey, f, nil, frames...)
	if err != nil {
		b.Fatal(err)
	}
	var n int
	emit := func(OverRow[tick, V]) { n++ }
	for range warm {
		op.Push(src.next(), emit)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := op.Push(src.next(), emit); err != nil {
			b.Fatal(err)
		}
	}
}

// overWarm fills ROWS 10,000 and RANGE 10 s twice over.
const overWarm = 25_000

var overBenchAggs = []struct {
	name string
	run  func(*testing.B, ...Frame)
}{
	{"min", func(b *testing.B, fr ...Frame) { benchOver(b, aggregate.Min(tickPrice), newTicks(1), overWarm, fr...) }},
	{"max", func(b *testing.B, fr ...Frame) { benchOver(b, aggregate.Max(tickPrice), newTicks(1), overWarm, fr...) }},
	{"sum", func(b *testing.B, fr ...Frame) { benchOver(b, aggregate.Sum(tickPrice), newTicks(1), overWarm, fr...) }},
}

// BenchmarkOver is AGG(price) OVER (PARTITION BY part ROWS n PRECEDING) over
// one partition: MIN and MAX on two stacks, SUM subtracting. The cost must
// not grow with n.
func BenchmarkOver(b *testing.B) {
	for _, a := range overBenchAggs {
		for _, n := range []int{10, 10_000} {
			b.Run(fmt.Sprintf("agg=%s/rows=%d", a.name, n), func(b *testing.B) { a.run(b, Rows(n)) })
		}
	}
}

// BenchmarkOverRange is the same with RANGE INTERVAL d PRECEDING; at 1 ms a
// record, 10 ms and 10 s hold about 10 and 10,000 rows.
func BenchmarkOverRange(b *testing.B) {
	for _, a := range overBenchAggs {
		for _, d := range []time.Duration{10 * time.Millisecond, 10 * time.Second} {
			b.Run(fmt.Sprintf("agg=%s/range=%v", a.name, d), func(b *testing.B) { a.run(b, Range(d)) })
		}
	}
}

// BenchmarkOverFrames computes KDA's "avg over last 2 rows, avg over last
// 10 rows" shape: several frames in one pass, per frame.
func BenchmarkOverFrames(b *testing.B) {
	for _, n := range []int{1, 2, 4} {
		frames := make([]Frame, n)
		for i := range frames {
			frames[i] = Rows(10 << (3 * i))
		}
		b.Run(fmt.Sprintf("agg=max/frames=%d", n), func(b *testing.B) {
			benchOver(b, aggregate.Max(tickPrice), newTicks(1), overWarm, frames...)
		})
	}
}

// BenchmarkOverKeys is ROWS 10 PRECEDING over 1,000 partitions chosen
// uniformly, the workload of BenchmarkStepSum/keys=1000.
func BenchmarkOverKeys(b *testing.B) {
	b.Run("agg=max/rows=10/keys=1000", func(b *testing.B) {
		benchOver(b, aggregate.Max(tickPrice), newTicks(1000), 20*1000, Rows(10))
	})
	b.Run("agg=sum/rows=10/keys=1000", func(b *testing.B) {
		benchOver(b, aggregate.Sum(tickPrice), newTicks(1000), 20*1000, Rows(10))
	})
}

func tickPriceF(r tick) float64 { return float64(r.V) }

// analyticWarm fills the largest frame of the analytic benchmarks twice over.
const analyticWarm = 250_000

// BenchmarkExpAvg is EXP_AVG(price, h) OVER (RANGE INTERVAL d PRECEDING)
// over one partition at 1 ms a record: the cost grows with d / h (the
// half-lives searched) and the log of the rows held, not with the rows.
func BenchmarkExpAvg(b *testing.B) {
	for _, c := range []struct{ d, h time.Duration }{
		{10 * time.Second, 1 * time.Second},
		{100 * time.Second, 10 * time.Second},
		{10 * time.Second, 100 * time.Millisecond},
	} {
		b.Run(fmt.Sprintf("range=%v/halflife=%v", c.d, c.h), func(b *testing.B) {
			benchOver(b, ExpAvg(tickPriceF, c.h), newTicks(1), analyticWarm, Range(c.d))
		})
	}
}

// BenchmarkLag is LAG(price, n) OVER (ROWS m PRECEDING) and NTH_VALUE over
// one partition: O(1) a record whatever the frame or n.
func BenchmarkLag(b *testing.B) {
	for _, c := range []struct{ n, rows int }{{1, 10}, {1, 10_000}, {1000, 10}} {
		b.Run(fmt.Sprintf("lag=%d/rows=%d", c.n, c.rows), func(b *testing.B) {
			benchOver(b, Lag(tickPrice, c.n), newTicks(1), analyticWarm, Rows(c.rows))
		})
	}
	for _, n := range []int{10, 10_000} {
		b.Run(fmt.Sprintf("nth=last2/rows=%d", n), func(b *testing.B) {
			benchOver(b, NthValue(tickPrice, 2, FromLast), newTicks(1), analyticWarm, Rows(n))
		})
	}
}

// BenchmarkTopKItems measures TOP_K_ITEMS_TUMBLING per record: Zipf (s = 1.2)
// articles over 10^5 items, +1 ms per record, one-minute windows (60,000
// records each), capacity 10·K, emissions included.
func BenchmarkTopKItems(b *testing.B) {
	for _, k := range []int{10} {
		b.Run(fmt.Sprintf("k=%d", k), func(b *testing.B) {
			op, err := TopKItems(Step(time.Minute), k, clickArticle, nil)
			if err != nil {
				b.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(1, 2))
			z := rand.NewZipf(rng, 1.2, 1, 100_000)
			articles := make([]int, 1<<16)
			for i := range articles {
				articles[i] = int(z.Uint64())
			}
			var i int
			var t record.Time
			var rows int
			emit := func(TopKItem[NoKey, int]) { rows++ }
			push := func() {
				i++
				t += record.Time(time.Millisecond)
				if err := op.Push(click{T: t, V: articles[i&(len(articles)-1)]}, emit); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			for b.Loop() {
				push()
			}
		})
	}
}

// joinBenchGen alternates left and right rows 50 ms apart. Left row i has
// key i; the right row after it has the key of a left row 1 to 16 rows
// back (a pseudo-random lag under a second), so a right row has one match
// on average, from a left row well inside any window of a minute or more,
// and no key recurs after that: the matches per row do not depend on the
// window, only the rows held do.
type joinBenchGen struct {
	t     record.Time
	i     int64
	x     uint64
	right bool
	sink  int64
	emit  func(record.Of[int64])
}

func newJoinBenchGen(time.Duration) *joinBenchGen {
	g := &joinBenchGen{x: 88172645463325252, i: 16}
	g.emit = func(r record.Of[int64]) { g.sink += r.Value }
	return g
}

func (g *joinBenchGen) push(op *Join[tick, tick, int64, int64]) {
	if g.right {
		g.x = xorshift(g.x)
		k := g.i - 1 - int64(g.x%16)
		_ = op.PushRight(tick{T: g.t, Key: k, V: 1}, g.emit)
	} else {
		g.t += record.Time(50 * time.Millisecond)
		g.i++
		_ = op.PushLeft(tick{T: g.t, Key: g.i, V: 1}, g.emit)
	}
	g.right = !g.right
}

func benchResult(l, r *tick) int64 {
	if l == nil || r == nil {
		return 0
	}
	return l.V + r.V
}

// BenchmarkJoin measures one row (left and right alternating) in steady
// state, with a RANGE window on the left: the window is full before the
// timer starts, so a 1-hour window holds 72,000 left rows and a 1-minute
// one 1,200. The cost per row must not depend on the window.
func BenchmarkJoin(b *testing.B) {
	for _, typ := range []JoinType{Inner, LeftOuter} {
		for _, w := range []time.Duration{time.Minute, time.Hour} {
			name := "inner"
			if typ == LeftOuter {
				name = "left"
			}
			b.Run(fmt.Sprintf("type=%s/window=%v", name, w), func(b *testing.B) {
				op, err := NewJoin(typ, LeftWindow(Range(w)), tickKey, tickKey, benchResult, nil)
				if err != nil {
					b.Fatal(err)
				}
				g := newJoinBenchGen(w)
				for range 2 * int(w/(50*time.Millisecond)) * 2 { // the window twice over
					g.push(op)
				}
				b.ReportAllocs()
				for b.Loop() {
					g.push(op)
				}
			})
		}
	}
}
