package bench

import (
	"testing"
	"time"

	"github.com/rowtime/rowtime/bench/nexmark"
	"github.com/rowtime/rowtime/record"
)

// stream replays a pre-generated slice of bids forever, shifting event time
// by the slice's span on every pass, so the generator's own cost stays out of
// the measurement and time keeps advancing.
type stream struct {
	bids  []nexmark.Bid
	span  record.Time
	shift record.Time
	i     int
}

const streamLen = 1 << 17

func newStream(tb testing.TB) *stream {
	bids := Bids(42, streamLen, nil)
	span := bids[len(bids)-1].DateTime - bids[0].DateTime + record.Time(time.Millisecond)
	return &stream{bids: bids, span: span}
}

func (s *stream) next() nexmark.Bid {
	b := s.bids[s.i]
	b.DateTime += s.shift
	if s.i++; s.i == len(s.bids) {
		s.i = 0
		s.shift += s.span
	}
	return b
}

func reportEventsPerSecond(b *testing.B, events int) {
	if s := b.Elapsed().Seconds(); s > 0 {
		b.ReportMetric(float64(events)/s, "events/s")
	}
}

// pushAll benchmarks op over the replayed stream, one op per event.
func pushAll[O any](b *testing.B, op record.Operator[nexmark.Bid, O]) {
	s := newStream(b)
	emit := func(O) {}
	// Warm up: open windows and keys so the loop measures steady state.
	for range streamLen / 4 {
		if err := op.Push(s.next(), emit); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		if err := op.Push(s.next(), emit); err != nil {
			b.Fatal(err)
		}
		n++
	}
	reportEventsPerSecond(b, n)
}

func BenchmarkNexmark(b *testing.B) {
	for _, size := range []time.Duration{10 * time.Second, 60 * time.Second} {
		b.Run("q=5/size="+size.String(), func(b *testing.B) {
			op, err := Q5(size, 2*time.Second)
			if err != nil {
				b.Fatal(err)
			}
			pushAll(b, op)
		})
	}
	b.Run("q=7", func(b *testing.B) {
		op, err := Q7(10 * time.Second)
		if err != nil {
			b.Fatal(err)
		}
		pushAll(b, op)
	})
	b.Run("q=7loop", func(b *testing.B) {
		s := newStream(b)
		loop := NewQ7Loop(10 * time.Second)
		emit := func(record.Time, MaxBid) {}
		b.ReportAllocs()
		n := 0
		for b.Loop() {
			loop.Push(s.next(), emit)
			n++
		}
		reportEventsPerSecond(b, n)
	})
	b.Run("q=11", func(b *testing.B) {
		op, err := Q11(10 * time.Second)
		if err != nil {
			b.Fatal(err)
		}
		pushAll(b, op)
	})
	b.Run("q=distinct", func(b *testing.B) {
		op, err := QDistinct()
		if err != nil {
			b.Fatal(err)
		}
		pushAll(b, op)
	})
	b.Run("q=topk", func(b *testing.B) {
		op, err := QTopK(10, 10*time.Second)
		if err != nil {
			b.Fatal(err)
		}
		pushAll(b, op)
	})
}

// BenchmarkPeer feeds the same bids to a keyed count in rowtime, in
// go-streams and in a hand-written loop. One op is one pass over the batch;
// ns/record and events/s are per bid.
func BenchmarkPeer(b *testing.B) {
	bids := Bids(42, 100_000, nil)
	want := LoopCount(bids)
	libs := []struct {
		name  string
		count func() map[int64]int64
	}{
		{"rowtime", func() map[int64]int64 {
			c, err := RowtimeCount(bids, time.Second)
			if err != nil {
				b.Fatal(err)
			}
			return c
		}},
		{"gostreams", func() map[int64]int64 { return GoStreamsCount(bids, 100*time.Millisecond) }},
		{"loop", func() map[int64]int64 { return LoopCount(bids) }},
	}
	for _, lib := range libs {
		b.Run("lib="+lib.name, func(b *testing.B) {
			if got := lib.count(); len(got) != len(want) {
				b.Fatalf("%s counted %d keys, want %d", lib.name, len(got), len(want))
			}
			b.ReportAllocs()
			passes := 0
			for b.Loop() {
				lib.count()
				passes++
			}
			records := float64(passes * len(bids))
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/records, "ns/record")
			b.ReportMetric(records/b.Elapsed().Seconds(), "events/s")
		})
	}
}
