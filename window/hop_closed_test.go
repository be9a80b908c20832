package window_test

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/rowtime/rowtime/aggregate"
	"github.com/rowtime/rowtime/record"
	"github.com/rowtime/rowtime/window"
)

type hopRec struct {
	T record.Time
	K string
	V int64
}

func (r hopRec) EventTime() record.Time { return r.T }

// TestHopClosedWindowsStayClosed checks hopping windows against a model of
// windows [k·slide, k·slide+size) under explicit watermarks: a record joins only the
// windows that contain it and end after the watermark, and a window whose end
// the watermark has passed is never emitted again, also when the operator
// held no state at the time the watermark passed it.
func TestHopClosedWindowsStayClosed(t *testing.T) {
	const s = record.Time(time.Second)
	for _, tc := range []struct {
		size, slide, delay time.Duration
	}{
		{10 * time.Second, 5 * time.Second, 0},
		{6 * time.Second, 2 * time.Second, 0},
		{6 * time.Second, 2 * time.Second, 3 * time.Second},
		{9 * time.Second, 3 * time.Second, time.Second},
	} {
		for seed := range uint64(300) {
			rng := rand.New(rand.NewPCG(seed, 7))
			op, err := window.Aggregate(window.Hop(tc.size, tc.slide),
				func(r hopRec) string { return r.K },
				aggregate.Sum(func(r hopRec) int64 { return r.V }),
				&window.Options[hopRec]{Delay: tc.delay})
			if err != nil {
				t.Fatal(err)
			}
			type win struct {
				start, end record.Time
				key        string
			}
			want := map[win]int64{}
			got := map[win]int64{}
			var wm, maxSeen record.Time = record.MinTime, record.MinTime
			var lastWM record.Time = record.MinTime
			var trace []string
			emit := func(r window.Result[string, int64]) {
				w := win{r.Start, r.End, r.Key}
				if _, dup := got[w]; dup {
					t.Fatalf("%v seed %d: window %v emitted twice\n%v", tc, seed, w, trace)
				}
				if r.End <= lastWM {
					t.Fatalf("%v seed %d: window %v emitted after the watermark %v had passed its end\n%v", tc, seed, w, lastWM, trace)
				}
				got[w] = r.Value
			}
			size, slide := record.Time(tc.size), record.Time(tc.slide)
			for range 40 {
				if rng.IntN(3) == 0 {
					to := max(wm, 0) + record.Time(rng.IntN(25))*s
					trace = append(trace, fmt.Sprintf("advance %d", int64(to/s)))
					if err := op.Advance(to, emit); err != nil {
						t.Fatal(err)
					}
					lastWM = max(lastWM, op.Stats().Watermark)
					wm = max(wm, to)
					continue
				}
				r := hopRec{T: max(wm, 0) + record.Time(rng.IntN(20)-10)*s, K: string(rune('a' + rng.IntN(3))), V: 1 + rng.Int64N(9)}
				trace = append(trace, fmt.Sprintf("push %d %s", int64(r.T/s), r.K))
				if r.T > maxSeen {
					maxSeen = r.T
					wm = max(wm, r.T-record.Time(tc.delay))
				}
				last := r.T - record.Time(record.FloorMod(int64(r.T), int64(slide)))
				for st := last; st > r.T-size; st -= slide {
					if st+size > wm {
						want[win{st, st + size, r.K}] += r.V
					}
				}
				if err := op.Push(r, emit); err != nil {
					t.Fatal(err)
				}
				lastWM = max(lastWM, op.Stats().Watermark)
			}
			if err := op.Flush(emit); err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) {
				t.Fatalf("%v seed %d: %d results, want %d\n%v", tc, seed, len(got), len(want), trace)
			}
			for w, v := range want {
				if got[w] != v {
					t.Fatalf("%v seed %d: window %v = %d, want %d\n%v", tc, seed, w, got[w], v, trace)
				}
			}
		}
	}
}
