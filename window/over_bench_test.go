package window

import (
	"fmt"
	"testing"
	"time"

	"github.com/rowtime/rowtime/aggregate"
	"github.com/rowtime/rowtime/record"
)

// overTick is the benchmark record: event time advancing 1 ms a record, one
// partition (PARTITION BY a column that never changes), a pseudo-random
// value.
type overTick struct {
	T     record.Time
	Part  int64
	Price int64
}

func (r overTick) EventTime() record.Time { return r.T }

func overTickPart(r overTick) int64  { return r.Part }
func overTickPrice(r overTick) int64 { return r.Price }

type overTicks struct {
	t record.Time
	x uint64
}

func (s *overTicks) next() overTick {
	s.t += record.Time(time.Millisecond)
	s.x ^= s.x << 13
	s.x ^= s.x >> 7
	s.x ^= s.x << 17
	return overTick{T: s.t, Price: int64(s.x % 10_000)}
}

var overSink int64

// benchOver measures one Push (one record, one output) in steady state:
// the windows are full before the timer starts.
func benchOver[A any](b *testing.B, f aggregate.Func[overTick, A, int64], frames ...Frame) {
	op, err := NewOver(overTickPart, f, nil, frames...)
	if err != nil {
		b.Fatal(err)
	}
	emit := func(r Row[overTick, int64]) { overSink += r.Value }
	src := &overTicks{x: 88172645463325252}
	for range 25_000 { // fills ROWS 10,000 and RANGE 10 s twice over
		op.Push(src.next(), emit)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := op.Push(src.next(), emit); err != nil {
			b.Fatal(err)
		}
	}
}

var overBenchAggs = []struct {
	name string
	run  func(*testing.B, ...Frame)
}{
	{"min", func(b *testing.B, fr ...Frame) { benchOver(b, aggregate.Min(overTickPrice), fr...) }},
	{"max", func(b *testing.B, fr ...Frame) { benchOver(b, aggregate.Max(overTickPrice), fr...) }},
	{"sum", func(b *testing.B, fr ...Frame) { benchOver(b, aggregate.Sum(overTickPrice), fr...) }},
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
			benchOver(b, aggregate.Max(overTickPrice), frames...)
		})
	}
}

// BenchmarkOverKeys is ROWS 10 PRECEDING over 1,000 partitions chosen
// uniformly, the workload of BenchmarkStepSum/keys=1000.
func BenchmarkOverKeys(b *testing.B) {
	b.Run("agg=max/rows=10/keys=1000", func(b *testing.B) {
		benchOverKeys(b, aggregate.Max(overTickPrice), 1000, Rows(10))
	})
	b.Run("agg=sum/rows=10/keys=1000", func(b *testing.B) {
		benchOverKeys(b, aggregate.Sum(overTickPrice), 1000, Rows(10))
	})
}

func benchOverKeys[A any](b *testing.B, f aggregate.Func[overTick, A, int64], keys int, frames ...Frame) {
	op, err := NewOver(overTickPart, f, nil, frames...)
	if err != nil {
		b.Fatal(err)
	}
	emit := func(r Row[overTick, int64]) { overSink += r.Value }
	src := &overTicks{x: 88172645463325252}
	next := func() overTick {
		r := src.next()
		r.Part = int64(src.x>>20) % int64(keys)
		return r
	}
	for range 20 * keys {
		op.Push(next(), emit)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := op.Push(next(), emit); err != nil {
			b.Fatal(err)
		}
	}
}
