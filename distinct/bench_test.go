package distinct_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/axiomhq/hyperloglog"
	"github.com/rowtime/rowtime/distinct"
	"github.com/rowtime/rowtime/record"
	"github.com/rowtime/rowtime/window"
)

// visit is the benchmark record: an event time and a 40-byte item.
type visit struct {
	T    record.Time
	Item string
}

func (v visit) EventTime() record.Time { return v.T }

// itemPool returns 2^16 distinct random 40-byte strings; streams cycle
// through them, so that generating a record costs an index and an add.
var itemPool = func() []string {
	rng := rand.New(rand.NewPCG(1, 2))
	const letters = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	pool := make([]string, 1<<16)
	b := make([]byte, 40)
	for i := range pool {
		for j := range b {
			b[j] = letters[rng.IntN(len(letters))]
		}
		pool[i] = string(b)
	}
	return pool
}()

type visitStream struct {
	i    int
	t    record.Time
	step record.Time
}

func (s *visitStream) next() visit {
	s.i++
	s.t += s.step
	return visit{T: s.t, Item: itemPool[s.i&(len(itemPool)-1)]}
}

var sink uint64

// BenchmarkCount measures the COUNT_DISTINCT_ITEMS_TUMBLING operator over 10 s
// windows, emissions included. phase=hll: +1 µs per record, 10^7 records a
// window, so every window but the start of the first is in HyperLogLog.
// phase=exact: +1 ms per record, 10^4 records (and distinct items) a window,
// which stays exact. Compare phase=hll with BenchmarkHashInsert.
func BenchmarkCount(b *testing.B) {
	for _, c := range []struct {
		phase string
		step  time.Duration
	}{{"hll", time.Microsecond}, {"exact", time.Millisecond}} {
		b.Run("phase="+c.phase, func(b *testing.B) {
			op, err := distinct.CountItems(window.Step(10*time.Second), func(v visit) string { return v.Item }, nil)
			if err != nil {
				b.Fatal(err)
			}
			s := &visitStream{step: record.Time(c.step)}
			emit := func(r distinct.Result[distinct.NoKey]) { sink += r.NumberOfDistinctItems }
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

// BenchmarkHashInsert is the baseline of BenchmarkCount/phase=hll: a metro
// hash of the same items and InsertHash into a dense p14 sketch.
func BenchmarkHashInsert(b *testing.B) {
	h := hyperloglog.NewNoSparse()
	s := &visitStream{step: record.Time(time.Microsecond)}
	insert := func() { h.InsertHash(distinct.HashString(s.next().Item)) }
	b.ReportAllocs()
	for b.Loop() {
		insert()
	}
	sink += h.Estimate()
}
