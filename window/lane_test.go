package window

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/rowtime/rowtime/record"
)

// TestLaneMatchesPush runs two tumbling Aggs of one configuration side by
// side: one takes every record it can through its Lane, adding to the
// accumulator itself, and pushes the rest; the other pushes every record.
// They must emit the same results and late records after every call, and
// report the same Stats and write the same snapshot bytes. Stats and
// snapshots are read now and then only, as reading them brings the Agg up
// to date with its lane: the calls between run on what the lane took alone,
// which is where a missing sync shows (a record late by the lane's
// watermark, say, taken as on time).
func TestLaneMatchesPush(t *testing.T) {
	sec := record.Time(time.Second)
	cfgs := []struct {
		w                    Assigner
		delay, lateness      time.Duration
		maxKeys, maxWindows  int
		keys, run            int // distinct keys, records per run of one key
		jitter, late, stride record.Time
	}{
		{w: Step(3 * time.Second), keys: 1, run: 1, stride: 10 * record.Time(time.Millisecond)},
		{w: Step(3 * time.Second), delay: 1500 * time.Millisecond, keys: 3, run: 20, jitter: sec, stride: 7 * record.Time(time.Millisecond)},
		{w: Step(3 * time.Second), delay: 2500 * time.Millisecond, lateness: time.Second, keys: 2, run: 50, jitter: 2 * sec, late: 4 * sec, stride: 5 * record.Time(time.Millisecond)},
		{w: Step(time.Second), delay: 300 * time.Millisecond, maxKeys: 2, keys: 4, run: 30, jitter: sec / 2, stride: 3 * record.Time(time.Millisecond)},
		{w: Step(2 * time.Second), lateness: 3 * time.Second, maxWindows: 3, keys: 3, run: 10, jitter: sec, late: 3 * sec, stride: 11 * record.Time(time.Millisecond)},
		{w: Floor(Minute), delay: 10 * time.Second, keys: 2, run: 100, jitter: 20 * sec, late: 90 * sec, stride: 70 * record.Time(time.Millisecond)},
	}
	for i, c := range cfgs {
		for seed := range uint64(4) {
			t.Run(fmt.Sprintf("cfg=%d/seed=%d", i, seed), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(seed, uint64(i)))
				var lateGot, lateWant []tev
				opts := func(late *[]tev) *Options[tev] {
					return &Options[tev]{
						Delay: c.delay, Lateness: c.lateness, MaxKeys: c.maxKeys, MaxWindows: c.maxWindows,
						Late: func(r tev, _ error) { *late = append(*late, r) },
					}
				}
				op := must(Aggregate(c.w, tevKey, tevSum{}, opts(&lateGot)))
				ref := must(Aggregate(c.w, tevKey, tevSum{}, opts(&lateWant)))
				lane, ok := LaneOf[int64](op)
				if !ok {
					t.Fatal("no lane for a tumbling Agg")
				}
				var got, want []Result[string, int64]
				emitGot := func(r Result[string, int64]) { got = append(got, r) }
				emitWant := func(r Result[string, int64]) { want = append(want, r) }
				check := func(j int, deep bool) {
					t.Helper()
					if !slices.Equal(got, want) || !slices.Equal(lateGot, lateWant) {
						t.Fatalf("after step %d: results %v, late %v; want %v, %v", j, got, lateGot, want, lateWant)
					}
					if !deep {
						return
					}
					gs, ws := op.Stats(), ref.Stats()
					gs.StateBytes, ws.StateBytes = 0, 0 // a restored Agg's slices are tighter
					if gs != ws {
						t.Fatalf("after step %d: Stats %+v, want %+v", j, gs, ws)
					}
					gb, wb := snapshotOf(t, op, nil), snapshotOf(t, ref, nil)
					if !bytes.Equal(gb, wb) {
						t.Fatalf("after step %d: snapshots differ", j)
					}
					if rng.IntN(4) == 0 { // go on from the snapshot: the lane serves the restored Agg
						if err := op.Restore(gb); err != nil {
							t.Fatal(err)
						}
					}
				}
				n := sized(4000, 1000)
				taken := 0
				var now record.Time
				for j := range n {
					now += c.stride
					r := tev{T: now, Key: fmt.Sprint(j / c.run % c.keys), V: int64(rng.IntN(100))}
					if c.jitter > 0 {
						r.T -= record.Time(rng.Int64N(int64(c.jitter)))
					}
					if c.late > 0 && rng.IntN(40) == 0 {
						r.T -= c.late
					}
					switch rng.IntN(60) {
					case 0:
						wm := now - record.Time(rng.Int64N(int64(3*sec)))
						eg, ew := op.Advance(wm, emitGot), ref.Advance(wm, emitWant)
						if eg != ew {
							t.Fatalf("step %d: Advance: %v, want %v", j, eg, ew)
						}
					}
					var eg error
					if a := lane.Take(r.T, r.Key); a != nil {
						*a += r.V // what tevSum.Add does
						taken++
					} else {
						eg = op.Push(r, emitGot)
					}
					ew := ref.Push(r, emitWant)
					if fmt.Sprint(eg) != fmt.Sprint(ew) {
						t.Fatalf("step %d: Push(%v): %v, want %v", j, r, eg, ew)
					}
					check(j, rng.IntN(16) == 0)
				}
				if err := op.Flush(emitGot); err != nil {
					t.Fatal(err)
				}
				if err := ref.Flush(emitWant); err != nil {
					t.Fatal(err)
				}
				check(n, true)
				if taken < n/5 {
					t.Errorf("the lane took %d of %d records; the test means it to take most", taken, n)
				}
				t.Logf("the lane took %d of %d records; %d results, %d late", taken, n, len(got), len(lateGot))
			})
		}
	}
}
