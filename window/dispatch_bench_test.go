package window

import (
	"fmt"
	"testing"
	"time"

	"github.com/rowtime/rowtime/aggregate"
)

// BenchmarkEngineCall prices the interface call through which an Agg
// reaches its engine, on BenchmarkStepSum's workload: call=interface is
// Agg.Push, call=concrete calls the tumbling engine's push directly, as an
// Agg whose type named the accumulator could. The difference is the cost
// of keeping the accumulator out of Agg's type.
func BenchmarkEngineCall(b *testing.B) {
	for _, keys := range []int{1, 1000} {
		for _, call := range []string{"interface", "concrete"} {
			b.Run(fmt.Sprintf("keys=%d/call=%s", keys, call), func(b *testing.B) {
				sum := aggregate.Sum(func(r bid) float64 { return r.V })
				op, err := Aggregate(Step(time.Minute), func(r bid) int64 { return r.Key }, sum, nil)
				if err != nil {
					b.Fatal(err)
				}
				e := op.eng.(*tumbler[bid, int64, aggregate.SumState[float64], float64])
				s := newBidStream(keys)
				emit := func(r Result[int64, float64]) { sink += r.Value }
				push := func() {
					if err := op.Push(s.next(), emit); err != nil {
						b.Fatal(err)
					}
				}
				if call == "concrete" {
					push = func() {
						if err := e.push(emit, s.next()); err != nil {
							b.Fatal(err)
						}
					}
				}
				b.ReportAllocs()
				for b.Loop() {
					push()
				}
			})
		}
	}
}
