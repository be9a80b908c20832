package window

import (
	"fmt"
	"testing"
	"time"

	"github.com/rowtime/rowtime/record"
)

// benchSide is a row of either input of the join benchmarks.
type benchSide struct {
	T record.Time
	K int64
	V int64
}

func (r benchSide) EventTime() record.Time { return r.T }

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

func (g *joinBenchGen) push(op *Join[benchSide, benchSide, int64, int64]) {
	if g.right {
		g.x ^= g.x << 13
		g.x ^= g.x >> 7
		g.x ^= g.x << 17
		k := g.i - 1 - int64(g.x%16)
		_ = op.PushRight(benchSide{T: g.t, K: k, V: 1}, g.emit)
	} else {
		g.t += record.Time(50 * time.Millisecond)
		g.i++
		_ = op.PushLeft(benchSide{T: g.t, K: g.i, V: 1}, g.emit)
	}
	g.right = !g.right
}

func benchKey(r benchSide) int64 { return r.K }

func benchResult(l, r *benchSide) int64 {
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
				op, err := NewJoin(typ, LeftWindow(Range(w)), benchKey, benchKey, benchResult, nil)
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
