package record_test

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/rowtime/rowtime/aggregate"
	"github.com/rowtime/rowtime/distinct"
	"github.com/rowtime/rowtime/hotspot"
	"github.com/rowtime/rowtime/record"
	"github.com/rowtime/rowtime/window"
)

// This file checks the error contract of record.Operator end to end: for
// every shape of composition over every kind of operator, failures are
// injected at a random stage and call, the caller acts as the contract says
// (go on after a refusal; otherwise restore the snapshot taken before the
// call and replay; dead-letter a record whose replay fails the same way),
// and the output must equal that of a clean run over the same records less
// the refused and dead-lettered ones: nothing doubled, nothing lost.

// ev is the record of the test streams.
type ev struct {
	T    record.Time
	K    int64
	V    int64
	X, Y float64
}

func (e ev) EventTime() record.Time { return e.T }

// The kinds of injected fault.
type faultMode int

const (
	transient faultMode = iota // fails the first attempt only
	permanent                  // fails every attempt with a plain error
	refusal                    // refuses every attempt (wraps record.ErrRefused)
)

type fault struct {
	stage int
	mode  faultMode
}

var (
	errInjectedRefusal = errors.New("injected refusal")
	errTransient       = errors.New("injected transient failure")
	errPermanent       = errors.New("injected permanent failure")
)

// injector decides, for the call under way, whether an injected stage fails.
type injector struct {
	call    int // index of the current call: a push, an advance or the flush
	attempt int // 0 for the first try, 1 for the replay
	plan    map[int]fault
	fired   [3]int // by mode, over the whole test
}

func (in *injector) check(stage int) error {
	f, ok := in.plan[in.call]
	if !ok || f.stage != stage {
		return nil
	}
	switch f.mode {
	case transient:
		if in.attempt > 0 {
			return nil
		}
		in.fired[transient]++
		return errTransient
	case permanent:
		in.fired[permanent]++
		return errPermanent
	default:
		in.fired[refusal]++
		return fmt.Errorf("%w: %w at stage %d", record.ErrRefused, errInjectedRefusal, stage)
	}
}

// stage returns a pass-through stage that fails when in says so.
func stage[T any](in *injector, id int) record.Operator[T, T] {
	return record.MapErr(func(v T) (T, error) { return v, in.check(id) })
}

// stream is a test input: records, and the watermarks to advance to after
// some of them (by index in recs).
type stream struct {
	recs     []ev
	advances map[int]record.Time
}

func newStream(r *rand.Rand, n int) stream {
	s := stream{advances: make(map[int]record.Time)}
	now := record.Time(1_700_000_000) * record.Time(time.Second)
	for i := range n {
		now += record.Time(r.IntN(1500)) * record.Time(time.Millisecond)
		t := now - record.Time(r.IntN(3000))*record.Time(time.Millisecond) // some out of order, some late
		s.recs = append(s.recs, ev{T: t, K: int64(r.IntN(5)), V: int64(r.IntN(100)),
			X: float64(r.IntN(8)) / 4, Y: float64(r.IntN(8)) / 4})
		if r.IntN(20) == 0 {
			s.advances[i] = now - 2*record.Time(time.Second)
		}
	}
	return s
}

// The calls of a run, numbered for the injector: push i is call i, the
// advance after record i is call n+i, the flush is call 2n.
func pushCall(i int) int       { return i }
func advanceCall(n, i int) int { return n + i }
func flushCall(n int) int      { return 2 * n }

// planFaults picks about k faults at random calls and stages. Advances and
// the flush, which have no input record to set aside, get transient faults
// only.
func planFaults(r *rand.Rand, s stream, stages, k int) map[int]fault {
	n := len(s.recs)
	plan := make(map[int]fault)
	for range k {
		switch r.IntN(6) {
		case 0:
			if len(s.advances) == 0 {
				continue
			}
			var at []int
			for i := range s.advances {
				at = append(at, i)
			}
			slices.Sort(at)
			plan[advanceCall(n, at[r.IntN(len(at))])] = fault{1 + r.IntN(stages), transient}
		case 1:
			plan[flushCall(n)] = fault{1 + r.IntN(stages), transient}
		default:
			plan[pushCall(r.IntN(n))] = fault{1 + r.IntN(stages), faultMode(r.IntN(3))}
		}
	}
	return plan
}

type pipeline[Out any] struct {
	op   record.Operator[ev, Out]
	snap record.Snapshotter
}

// runContract drives p over s as the contract tells a caller to, and returns
// its output (each result formatted at emit time, since some results are
// valid only during emit) and the indexes of the records it dropped.
func runContract[Out any](t *testing.T, p pipeline[Out], s stream, in *injector) ([]string, map[int]bool) {
	t.Helper()
	var out []string
	dropped := make(map[int]bool)
	n := len(s.recs)
	// call makes one call with the snapshot taken before it; on a failure
	// it restores and replays once, and reports whether the replay failed
	// the same way, with the state restored to the snapshot.
	call := func(id int, f func(emit func(Out)) error) (refused, deadLetter bool) {
		in.call = id
		snap, err := p.snap.AppendSnapshot(nil)
		if err != nil {
			t.Fatalf("call %d: snapshot: %v", id, err)
		}
		for attempt := range 2 {
			in.attempt = attempt
			var buf []string
			err := f(func(o Out) { buf = append(buf, fmt.Sprintf("%+v", o)) })
			if err == nil {
				out = append(out, buf...)
				return false, false
			}
			if record.IsRefused(err) {
				if len(buf) > 0 {
					t.Fatalf("call %d: refusal %v emitted %q", id, err, buf)
				}
				// An injected refusal comes before any operator could
				// count it in its statistics: the state is byte for byte
				// what it was.
				if errors.Is(err, errInjectedRefusal) {
					if after, _ := p.snap.AppendSnapshot(nil); !bytes.Equal(after, snap) {
						t.Fatalf("call %d: refusal %v changed the state", id, err)
					}
				}
				return true, false
			}
			if err := p.snap.Restore(snap); err != nil {
				t.Fatalf("call %d: restore after %v: %v", id, err, err)
			}
		}
		return false, true
	}
	for i, r := range s.recs {
		refused, dead := call(pushCall(i), func(emit func(Out)) error { return p.op.Push(r, emit) })
		if refused || dead {
			dropped[i] = true
		}
		if wm, ok := s.advances[i]; ok {
			if _, dead := call(advanceCall(n, i), func(emit func(Out)) error { return p.op.Advance(wm, emit) }); dead {
				t.Fatalf("advance after record %d failed on replay", i)
			}
		}
	}
	if _, dead := call(flushCall(n), func(emit func(Out)) error { return p.op.Flush(emit) }); dead {
		t.Fatal("flush failed on replay")
	}
	return out, dropped
}

// runClean drives p over s less the dropped records, with no faults.
func runClean[Out any](t *testing.T, p pipeline[Out], s stream, dropped map[int]bool) []string {
	t.Helper()
	var out []string
	emit := func(o Out) { out = append(out, fmt.Sprintf("%+v", o)) }
	for i, r := range s.recs {
		if !dropped[i] {
			if err := p.op.Push(r, emit); err != nil {
				t.Fatalf("clean run: push %d: %v", i, err)
			}
		}
		if wm, ok := s.advances[i]; ok {
			if err := p.op.Advance(wm, emit); err != nil {
				t.Fatalf("clean run: advance after %d: %v", i, err)
			}
		}
	}
	if err := p.op.Flush(emit); err != nil {
		t.Fatalf("clean run: flush: %v", err)
	}
	return out
}

// shape is a composition around fresh operators, with injected stages
// numbered from 1 to stages.
type shape[Out any] struct {
	name   string
	stages int
	build  func(in *injector, fresh func() record.Operator[ev, Out]) record.Operator[ev, Out]
}

func shapes[Out any]() []shape[Out] {
	id := record.Map(func(e ev) ev { return e })
	notThree := record.Filter(func(e ev) bool { return e.K != 3 })
	return []shape[Out]{
		{"Then(inject, op)", 1, func(in *injector, fresh func() record.Operator[ev, Out]) record.Operator[ev, Out] {
			return record.Then(stage[ev](in, 1), fresh())
		}},
		{"Then(op, inject)", 1, func(in *injector, fresh func() record.Operator[ev, Out]) record.Operator[ev, Out] {
			return record.Then(fresh(), stage[Out](in, 1))
		}},
		{"Then(Then(Map, inject), Then(op, Then(inject, inject)))", 3, func(in *injector, fresh func() record.Operator[ev, Out]) record.Operator[ev, Out] {
			return record.Then(record.Then(id, stage[ev](in, 1)),
				record.Then(fresh(), record.Then(stage[Out](in, 2), stage[Out](in, 3))))
		}},
		{"Then(Filter, Then(inject, op))", 1, func(in *injector, fresh func() record.Operator[ev, Out]) record.Operator[ev, Out] {
			return record.Then(notThree, record.Then(stage[ev](in, 1), fresh()))
		}},
		{"Tee(Then(inject, op), Then(op, inject))", 2, func(in *injector, fresh func() record.Operator[ev, Out]) record.Operator[ev, Out] {
			return record.Tee(record.Then(stage[ev](in, 1), fresh()), record.Then(fresh(), stage[Out](in, 2)))
		}},
		{"Tee(op, Then(inject, op))", 1, func(in *injector, fresh func() record.Operator[ev, Out]) record.Operator[ev, Out] {
			return record.Tee(fresh(), record.Then(stage[ev](in, 1), fresh()))
		}},
		{"Then(Tee(Then(inject, Map), Filter), Then(op, inject))", 2, func(in *injector, fresh func() record.Operator[ev, Out]) record.Operator[ev, Out] {
			return record.Then(record.Tee(record.Then(stage[ev](in, 1), id), notThree),
				record.Then(fresh(), stage[Out](in, 2)))
		}},
	}
}

// checkContract runs every shape over op for a few seeds.
func checkContract[Out any](t *testing.T, fired *[3]int, fresh func() record.Operator[ev, Out]) {
	for _, sh := range shapes[Out]() {
		t.Run(sh.name, func(t *testing.T) {
			for seed := range uint64(4) {
				r := rand.New(rand.NewPCG(seed, 12))
				s := newStream(r, 250)
				in := &injector{plan: planFaults(r, s, sh.stages, 25)}
				build := func(in *injector) pipeline[Out] {
					op := sh.build(in, fresh)
					snap, ok := op.(record.Snapshotter)
					if !ok {
						t.Fatalf("%T is not a Snapshotter", op)
					}
					return pipeline[Out]{op, snap}
				}
				got, dropped := runContract(t, build(in), s, in)
				want := runClean(t, build(&injector{}), s, dropped)
				if !slices.Equal(got, want) {
					i := 0
					for i < len(got) && i < len(want) && got[i] == want[i] {
						i++
					}
					t.Fatalf("seed %d: %d results, clean run %d; first difference at %d:\n got %q\nwant %q",
						seed, len(got), len(want), i, at(got, i), at(want, i))
				}
				for k := range fired {
					fired[k] += in.fired[k]
				}
			}
		})
	}
}

func at(s []string, i int) string {
	if i < len(s) {
		return s[i]
	}
	return "(end)"
}

func must[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// TestContractUnderFailures is the property test of the error contract over
// every kind of operator.
func TestContractUnderFailures(t *testing.T) {
	key := func(e ev) int64 { return e.K }
	sum := aggregate.Sum(func(e ev) int64 { return e.V })
	var fired [3]int
	for _, w := range []struct {
		name string
		a    window.Assigner
	}{
		{"Step", window.Step(10 * time.Second)},
		{"Hop", window.Hop(10*time.Second, 5*time.Second)},
		{"Session", window.Session(3 * time.Second)},
		{"Stagger", window.Stagger(5 * time.Second)},
	} {
		t.Run("Aggregate/"+w.name, func(t *testing.T) {
			checkContract(t, &fired, func() record.Operator[ev, window.Result[int64, int64]] {
				return must[*window.Agg[ev, int64, int64]](t)(window.Aggregate(w.a, key, sum, nil))
			})
		})
	}
	// A limit the operator itself hits: whether it is a refusal or a
	// failure, acting on it as the contract says gives the clean run's
	// output less the records it turned away.
	t.Run("Aggregate/Step/MaxWindows", func(t *testing.T) {
		opts := &window.Options[ev]{MaxWindows: 3}
		checkContract(t, &fired, func() record.Operator[ev, window.Result[int64, int64]] {
			return must[*window.Agg[ev, int64, int64]](t)(window.Aggregate(window.Step(10*time.Second), key, sum, opts))
		})
	})
	t.Run("Over", func(t *testing.T) {
		checkContract(t, &fired, func() record.Operator[ev, window.OverRow[ev, int64]] {
			return must[*window.Over[ev, int64, int64]](t)(
				window.NewOver(key, sum, nil, window.Range(5*time.Second), window.Rows(3)))
		})
	})
	t.Run("TopKItems", func(t *testing.T) {
		checkContract(t, &fired, func() record.Operator[ev, window.TopKItem[window.NoKey, int64]] {
			return must[*window.TopK[ev, window.NoKey, int64]](t)(window.TopKItems(window.Step(10*time.Second), 2, key, nil))
		})
	})
	t.Run("CountItems", func(t *testing.T) {
		checkContract(t, &fired, func() record.Operator[ev, distinct.Result[distinct.NoKey]] {
			return must[*distinct.Counter[ev, distinct.NoKey, int64]](t)(distinct.CountItems(window.Step(10*time.Second), key, nil))
		})
	})
	t.Run("Hotspots", func(t *testing.T) {
		coords := func(dst []float64, e ev) []float64 { return append(dst, e.X, e.Y) }
		checkContract(t, &fired, func() record.Operator[ev, hotspot.Result[ev]] {
			return must[*hotspot.Operator[ev]](t)(hotspot.New(40, 0.3, 4, coords, nil))
		})
	})
	// The test means something only if every kind of fault fired.
	for mode, n := range fired {
		if n == 0 {
			t.Errorf("no fault of mode %d fired", mode)
		}
	}
	t.Logf("faults fired: %d transient, %d permanent, %d refusals", fired[transient], fired[permanent], fired[refusal])
}
