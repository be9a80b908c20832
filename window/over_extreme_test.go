package window

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/rowtime/rowtime/aggregate"
	"github.com/rowtime/rowtime/record"
)

// twoStack hides the aggregate.Extreme of the Func it holds, so that Over
// runs it on two stacks, with the same description and so the same
// snapshot descriptor.
type twoStack[A, V any] struct {
	aggregate.Func[overRec, A, V]
}

func (f twoStack[A, V]) Describe() string { return aggregate.Describe(f.Func) }

// extremeStream is overStream with values made for ties: few distinct
// integers, and floats that include both zeros, infinities and NaNs of two
// payloads, which equal values or no order tell apart.
func extremeStream(rng *rand.Rand, n int) []overEvent {
	events := overStream(rng, n, 4, 3, true)
	floats := []float64{0, math.Copysign(0, -1), 1, -1, 2.5, math.Inf(1), math.Inf(-1),
		math.NaN(), math.Float64frombits(0x7ff8000000000001)}
	for i := range events {
		if e := &events[i]; !e.advance {
			e.r.X = e.r.X % 5
			if rng.IntN(3) > 0 {
				e.r.F = floats[rng.IntN(len(floats))]
			}
		}
	}
	return events
}

// oldestBest is the brute-force extreme of rows: the value of the first
// row whose value no other row's beats.
func oldestBest[V any](rows []overRec, value func(overRec) V, beats func(a, b V) bool) V {
	best := value(rows[0])
	for _, r := range rows[1:] {
		if v := value(r); beats(v, best) {
			best = v
		}
	}
	return best
}

// TestOverExtreme checks Min and Max, which Over keeps as queues of
// candidates (aggregate.Extreme), against the same aggregates on two
// stacks and against recomputation, bit for bit on floats: the first row
// with the best value wins, a NaN beats every number, and −0 and +0 tie.
// Halfway, each operator's snapshot must equal the other's, byte for
// byte, and each goes on from the other's snapshot.
func TestOverExtreme(t *testing.T) {
	n := sized(3000, 600)
	nanBest := func(less func(a, b float64) bool) func(a, b float64) bool {
		return func(a, b float64) bool { return less(a, b) || (math.IsNaN(a) && !math.IsNaN(b)) }
	}
	floatMax := nanBest(func(a, b float64) bool { return a > b })
	floatMin := nanBest(func(a, b float64) bool { return a < b })
	floatEq := func(a, b float64) bool { return math.Float64bits(a) == math.Float64bits(b) }
	str := func(r overRec) string { return strconv.FormatInt(r.X, 10) }
	for _, fs := range overOracleFrames {
		t.Run("frames="+fs.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(11, uint64(len(fs.name))))
			events := extremeStream(rng, n)
			_, wantRec, _, _ := overExpect(events, fs.frames, 3, true)
			_, inFrame := overFrames(wantRec, fs.frames, true)
			t.Run("max/float", func(t *testing.T) {
				checkExtreme(t, aggregate.Max(overRecF), events, fs.frames, wantRec, inFrame, overRecF, floatMax, floatEq)
			})
			t.Run("min/float", func(t *testing.T) {
				checkExtreme(t, aggregate.Min(overRecF), events, fs.frames, wantRec, inFrame, overRecF, floatMin, floatEq)
			})
			t.Run("max/int", func(t *testing.T) {
				checkExtreme(t, aggregate.Max(overRecX), events, fs.frames, wantRec, inFrame, overRecX,
					func(a, b int64) bool { return a > b }, func(a, b int64) bool { return a == b })
			})
			t.Run("min/string", func(t *testing.T) {
				checkExtreme(t, aggregate.Min(str), events, fs.frames, wantRec, inFrame, str,
					func(a, b string) bool { return a < b }, func(a, b string) bool { return a == b })
			})
		})
	}
}

func checkExtreme[A, V any](t *testing.T, agg aggregate.Func[overRec, A, V], events []overEvent, frames []Frame,
	wantRec []overRec, inFrame [][][]overRec, value func(overRec) V, beats func(a, b V) bool, eq func(a, b V) bool) {
	t.Helper()
	if _, ok := agg.(aggregate.Extreme[overRec, A, V]); !ok {
		t.Fatalf("%s is not an aggregate.Extreme", aggregate.Describe(agg))
	}
	opts := &Options[overRec]{Delay: 3}
	queue := must(NewOver(overKey, agg, opts, frames...))
	stacks := must(NewOver(overKey, aggregate.Func[overRec, A, V](twoStack[A, V]{agg}), opts, frames...))
	if !queue.shell.eng.(*overOp[overRec, string, A, V]).ext || stacks.shell.eng.(*overOp[overRec, string, A, V]).ext {
		t.Fatal("the operators do not take the two paths")
	}
	var got, ref []OverRow[overRec, V]
	emitQ := func(r OverRow[overRec, V]) { got = append(got, r.Clone()) }
	emitS := func(r OverRow[overRec, V]) { ref = append(ref, r.Clone()) }
	for i, e := range events {
		if i == len(events)/2 {
			sq := must(queue.AppendSnapshot(nil))
			ss := must(stacks.AppendSnapshot(nil))
			if !bytes.Equal(sq, ss) {
				t.Fatalf("snapshots differ after %d events:\nqueue  %x\nstacks %x", i, sq, ss)
			}
			queue = must(NewOver(overKey, agg, opts, frames...))
			stacks = must(NewOver(overKey, aggregate.Func[overRec, A, V](twoStack[A, V]{agg}), opts, frames...))
			if err := queue.Restore(ss); err != nil {
				t.Fatal(err)
			}
			if err := stacks.Restore(sq); err != nil {
				t.Fatal(err)
			}
		}
		if err := apply(queue, e, emitQ); err != nil {
			t.Fatal(err)
		}
		if err := apply(stacks, e, emitS); err != nil {
			t.Fatal(err)
		}
	}
	if err := queue.Flush(emitQ); err != nil {
		t.Fatal(err)
	}
	if err := stacks.Flush(emitS); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(wantRec) || len(ref) != len(wantRec) {
		t.Fatalf("%d and %d rows, want %d", len(got), len(ref), len(wantRec))
	}
	for i := range got {
		if got[i].Record.ID != wantRec[i].ID || ref[i].Record.ID != wantRec[i].ID { // NaN != NaN: compare IDs
			t.Fatalf("row %d is record %+v, want %+v", i, got[i].Record, wantRec[i])
		}
		for fi := range frames {
			want := oldestBest(inFrame[i][fi], value, beats)
			if g, s := got[i].Values[fi], ref[i].Values[fi]; !eq(g, want) || !eq(s, want) {
				t.Fatalf("row %d (%+v) %v: queue %v, stacks %v, want %v", i, got[i].Record, frames[fi],
					fmt.Sprint(g), fmt.Sprint(s), fmt.Sprint(want))
			}
		}
	}
	if q, s := queue.Stats(), stacks.Stats(); q.Records != s.Records || q.Emitted != s.Emitted || q.Late != s.Late {
		t.Errorf("stats differ: queue %+v, stacks %+v", q, s)
	}
}

// TestOverExtremeCompacts runs a window whose candidates leave from the
// front for a long time (a rising series under MAX keeps one candidate;
// under MIN all of them), past many compactions of the queue.
func TestOverExtremeCompacts(t *testing.T) {
	for _, max := range []bool{false, true} {
		agg := aggregate.Min(overRecX)
		if max {
			agg = aggregate.Max(overRecX)
		}
		for _, frame := range []Frame{Rows(40), Range(40)} {
			op := must(NewOver(Unkeyed[overRec], agg, nil, frame))
			for i := range 5000 {
				x := int64(i)
				var got int64
				if err := op.Push(overRec{T: record.Time(i), ID: i, X: x}, func(r OverRow[overRec, int64]) { got = r.Value }); err != nil {
					t.Fatal(err)
				}
				want := x // MAX of a rising series: the newest
				if !max {
					want = max0(x - 40)
				}
				if got != want {
					t.Fatalf("max=%v %v row %d: %d, want %d", max, frame, i, got, want)
				}
			}
			w := &op.shell.eng.(*overOp[overRec, NoKey, aggregate.ExtremeState[int64], int64]).st.parts[0].win[0]
			if held := len(w.qpos) - w.qh; cap(w.qpos) > 4*(held+16) {
				t.Errorf("max=%v %v: a queue of %d candidates has capacity %d", max, frame, held, cap(w.qpos))
			}
		}
	}
}

func max0(x int64) int64 { return max(x, 0) }
