package window

import (
	"fmt"
	"testing"
	"time"
)

func overTickPriceF(r overTick) float64 { return float64(r.Price) }

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
			benchAnalytic(b, ExpAvg(overTickPriceF, c.h), Range(c.d))
		})
	}
}

// BenchmarkLag is LAG(price, n) OVER (ROWS m PRECEDING) and NTH_VALUE over
// one partition: O(1) a record whatever the frame or n.
func BenchmarkLag(b *testing.B) {
	for _, c := range []struct{ n, rows int }{{1, 10}, {1, 10_000}, {1000, 10}} {
		b.Run(fmt.Sprintf("lag=%d/rows=%d", c.n, c.rows), func(b *testing.B) {
			benchAnalytic(b, Lag(overTickPrice, c.n), Rows(c.rows))
		})
	}
	for _, n := range []int{10, 10_000} {
		b.Run(fmt.Sprintf("nth=last2/rows=%d", n), func(b *testing.B) {
			benchAnalytic(b, NthValue(overTickPrice, 2, FromLast), Rows(n))
		})
	}
}

func benchAnalytic[A, V any](b *testing.B, f Analytic[overTick, A, V], frames ...Frame) {
	op, err := NewOver(overTickPart, f, nil, frames...)
	if err != nil {
		b.Fatal(err)
	}
	var n int
	emit := func(r Row[overTick, V]) { n++ }
	src := &overTicks{x: 88172645463325252}
	for range 250_000 { // fills the largest frame twice over
		op.Push(src.next(), emit)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := op.Push(src.next(), emit); err != nil {
			b.Fatal(err)
		}
	}
}
