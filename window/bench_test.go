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
type bid struct {
	T      record.Time
	Key    int64
	Amount float64
}

func (b bid) EventTime() record.Time { return b.T }

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
	return bid{T: s.t, Key: s.keys[s.i&(len(s.keys)-1)], Amount: float64(s.i & 7)}
}

var sink float64

func BenchmarkStepSum(b *testing.B) {
	for _, keys := range []int{1000, 100000} {
		b.Run(fmt.Sprintf("keys=%d", keys), func(b *testing.B) {
			op, err := Aggregate(Step(time.Minute), func(r bid) int64 { return r.Key },
				aggregate.Sum(func(r bid) float64 { return r.Amount }), nil)
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
				m[r.Key] += r.Amount
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
	sum := aggregate.Sum(func(r bid) float64 { return r.Amount })
	maxf := aggregate.Max(func(r bid) float64 { return r.Amount })
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
