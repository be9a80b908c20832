package window

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/rowtime/rowtime/aggregate"
	"github.com/rowtime/rowtime/record"
)

// mma is MIN, MAX and AVG of the temperature in one aggregate.
type mmaState struct {
	min, max aggregate.ExtremeState[int64]
	avg      aggregate.AvgState[int64]
}

type mma struct{}

var (
	mmaMin = aggregate.Min(func(w tev) int64 { return w.V })
	mmaMax = aggregate.Max(func(w tev) int64 { return w.V })
	mmaAvg = aggregate.Avg(func(w tev) int64 { return w.V })
)

func (mma) Add(a *mmaState, r tev) {
	mmaMin.Add(&a.min, r)
	mmaMax.Add(&a.max, r)
	mmaAvg.Add(&a.avg, r)
}
func (mma) Merge(d, s *mmaState) {
	mmaMin.Merge(&d.min, &s.min)
	mmaMax.Merge(&d.max, &s.max)
	mmaAvg.Merge(&d.avg, &s.avg)
}
func (mma) Result(a *mmaState) string {
	return fmt.Sprintf("(%d, %d, %g)", mmaMin.Result(&a.min), mmaMax.Result(&a.max), mmaAvg.Result(&a.avg))
}

func day(r Result[string, string]) string {
	return time.Unix(0, int64(r.Start)).UTC().Format("01-02")
}

// TestVectorA is KDA's FLOOR(DAY) MIN/MAX over all cities.
func TestVectorA(t *testing.T) {
	op, err := Aggregate(Floor(Day), func(tev) string { return "" }, mma{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	emit := func(r Result[string, string]) { got = append(got, day(r)+" "+r.Value) }
	for _, r := range weatherRows() {
		if err := op.Push(r, emit); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{"11-01 (2, 71, 34.55555555555556)", "11-02 (2, 56, 28.571428571428573)"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("before the watermark reaches 11-04:\n got %q\nwant %q", got, want)
	}
	if err := op.Advance(utc("2018-11-03 23:59:59")+999_999_999, emit); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("11-03 emitted before the watermark reached its end: %q", got)
	}
	if err := op.Advance(utc("2018-11-04 00:00:00"), emit); err != nil {
		t.Fatal(err)
	}
	want = append(want, "11-03 (1, 36, 18.5)")
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("got %q\nwant %q", got, want)
	}
}

// TestVectorB is KDA's FLOOR(DAY) by city, MIN/MAX/AVG, keys in order of
// first appearance.
func TestVectorB(t *testing.T) {
	op, err := Aggregate(Floor(Day), func(w tev) string { return w.Key }, mma{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := record.Collect[tev, Result[string, string]](op, weatherRows())
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"11-01 Denver (29, 50, 38.5)", "11-01 Anchorage (2, 10, 7)", "11-01 Miami (65, 71, 68)",
		"11-02 Anchorage (2, 4, 3)", "11-02 Denver (39, 56, 47.75)",
		"11-03 Denver (36, 36, 36)", "11-03 Anchorage (1, 1, 1)",
	}
	if len(got) != len(want) {
		t.Fatalf("got %d results, want %d: %v", len(got), len(want), got)
	}
	for i, r := range got {
		if s := day(r) + " " + r.Key + " " + r.Value; s != want[i] {
			t.Errorf("result %d = %q, want %q", i, s, want[i])
		}
		if r.EventTime() != r.End-1 {
			t.Errorf("result %d: EventTime %d, want End−1", i, r.EventTime())
		}
	}
	if s := op.Stats(); s.Records != 18 || s.Emitted != 7 || s.OpenWindows != 0 || s.Keys != 0 || s.Late != 0 {
		t.Errorf("Stats after Flush = %+v", s)
	}
}

func TestOptionsErrors(t *testing.T) {
	for _, o := range []Options[tev]{{Delay: -1}, {Lateness: -1}, {MaxKeys: -1}, {MaxWindows: -2}} {
		if _, err := Aggregate(Step(time.Second), tevKey, tevSum{}, &o); !errors.Is(err, ErrInvalid) {
			t.Errorf("%+v: %v, want ErrInvalid", o, err)
		}
	}
	if _, err := Aggregate[tev, string, int64, int64](Step(time.Second), nil, tevSum{}, nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("nil key: %v", err)
	}
	if _, err := Aggregate[tev, string, int64, int64](Step(time.Second), tevKey, nil, nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("nil aggregate: %v", err)
	}
}

func sec(s float64) record.Time { return record.Time(s * float64(time.Second)) }

func TestLatePolicies(t *testing.T) {
	recs := []tev{{sec(1), "a", 1}, {sec(12), "a", 2}, {sec(5), "a", 4}, {sec(25), "a", 8}, {sec(9), "b", 16}}
	t.Run("drop", func(t *testing.T) {
		op, _ := Aggregate(Step(10*time.Second), tevKey, tevSum{}, nil)
		got, err := collectTev(op, recs)
		if err != nil {
			t.Fatal(err)
		}
		if fmtResults(got) != "[0s,10s) a 1; [10s,20s) a 2; [20s,30s) a 8" {
			t.Errorf("got %v", fmtResults(got))
		}
		if s := op.Stats(); s.Late != 2 || s.Records != 5 {
			t.Errorf("stats %+v", s)
		}
	})
	t.Run("callback", func(t *testing.T) {
		var late []tev
		var errs []error
		op, _ := Aggregate(Step(10*time.Second), tevKey, tevSum{}, &Options[tev]{Late: func(r tev, err error) {
			late = append(late, r)
			errs = append(errs, err)
		}})
		if _, err := collectTev(op, recs); err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(late) != fmt.Sprint([]tev{recs[2], recs[4]}) {
			t.Errorf("late = %v", late)
		}
		for _, err := range errs {
			if !errors.Is(err, ErrLate) {
				t.Errorf("late error %v does not wrap ErrLate", err)
			}
		}
		if op.Stats().Late != 2 {
			t.Errorf("stats %+v", op.Stats())
		}
	})
	t.Run("lateness", func(t *testing.T) {
		op, _ := Aggregate(Step(10*time.Second), tevKey, tevSum{}, &Options[tev]{Lateness: 10 * time.Second})
		var got []Result[string, int64]
		emit := func(r Result[string, int64]) { got = append(got, r) }
		for _, r := range recs {
			if err := op.Push(r, emit); err != nil {
				t.Fatal(err)
			}
		}
		// 5s: window [0,10) closed at 12s, kept until 20s: update a=5.
		// 25s closes [10,20) and purges [0,10); 9s is then too late.
		want := "[0s,10s) a 1; [0s,10s) a 5 update; [10s,20s) a 2"
		if fmtResults(got) != want {
			t.Errorf("got  %v\nwant %v", fmtResults(got), want)
		}
		if s := op.Stats(); s.Late != 1 || s.Updates != 1 || s.Emitted != 3 {
			t.Errorf("stats %+v", s)
		}
	})
}

func TestLimits(t *testing.T) {
	t.Run("keys", func(t *testing.T) {
		op, _ := Aggregate(Step(10*time.Second), tevKey, tevSum{}, &Options[tev]{MaxKeys: 2})
		var got []Result[string, int64]
		emit := func(r Result[string, int64]) { got = append(got, r) }
		for _, r := range []tev{{sec(1), "a", 1}, {sec(2), "b", 1}, {sec(3), "a", 1}} {
			if err := op.Push(r, emit); err != nil {
				t.Fatal(err)
			}
		}
		before := op.Stats()
		err := op.Push(tev{sec(4), "c", 1}, emit)
		if !errors.Is(err, ErrLimit) {
			t.Fatalf("third key: %v, want ErrLimit", err)
		}
		if after := op.Stats(); after != before {
			t.Errorf("state changed by a refused record: %+v → %+v", before, after)
		}
		// A record of the next window closes the first one and so makes room.
		if err := op.Push(tev{sec(10), "c", 1}, emit); err != nil {
			t.Fatalf("record that frees room by its watermark: %v", err)
		}
		if len(got) != 2 {
			t.Errorf("got %v", got)
		}
	})
	t.Run("windows", func(t *testing.T) {
		op, _ := Aggregate(Step(10*time.Second), tevKey, tevSum{}, &Options[tev]{MaxWindows: 2, Delay: time.Minute})
		emit := func(Result[string, int64]) {}
		for _, r := range []tev{{sec(1), "a", 1}, {sec(12), "a", 1}} {
			if err := op.Push(r, emit); err != nil {
				t.Fatal(err)
			}
		}
		if err := op.Push(tev{sec(25), "a", 1}, emit); !errors.Is(err, ErrLimit) {
			t.Fatalf("third window: %v, want ErrLimit", err)
		}
		if err := op.Advance(sec(10), emit); err != nil {
			t.Fatal(err)
		}
		if err := op.Push(tev{sec(25), "a", 1}, emit); err != nil {
			t.Fatalf("after Advance: %v", err)
		}
		if s := op.Stats(); s.OpenWindows != 2 || s.Keys != 1 || s.Records != 3 {
			t.Errorf("stats %+v", s)
		}
	})
}

func TestPushOverflow(t *testing.T) {
	op, _ := Aggregate(Step(time.Minute), tevKey, tevSum{}, nil)
	emit := func(Result[string, int64]) { t.Error("emitted") }
	if err := op.Push(tev{record.MaxTime, "a", 1}, emit); !errors.Is(err, ErrOverflow) {
		t.Fatalf("got %v, want ErrOverflow", err)
	}
	if s := op.Stats(); s.Records != 0 || s.OpenWindows != 0 || s.Watermark != record.MinTime {
		t.Errorf("state changed: %+v", s)
	}
	// A window that ends exactly at MaxTime is fine.
	op2, _ := Aggregate(Step(time.Duration(math.MaxInt64)), tevKey, tevSum{}, nil)
	got, err := collectTev(op2, []tev{{record.MaxTime - 1, "a", 1}})
	if err != nil || len(got) != 1 || got[0].End != record.MaxTime {
		t.Errorf("got %v, %v", got, err)
	}
}

func TestAdvanceBackwards(t *testing.T) {
	op, _ := Aggregate(Step(10*time.Second), tevKey, tevSum{}, nil)
	emit := func(Result[string, int64]) {}
	_ = op.Advance(sec(30), emit)
	_ = op.Advance(sec(10), emit)
	if wm := op.Stats().Watermark; wm != sec(30) {
		t.Errorf("watermark went back to %v", wm)
	}
}

// TestKeyChurn checks that a tumbling operator does not keep every key it
// ever saw: dead keys are swept once they outnumber the live ones.
func TestKeyChurn(t *testing.T) {
	for _, delay := range []time.Duration{0, 3 * time.Second} {
		op, _ := Aggregate(Step(time.Second), tevKey, tevSum{}, &Options[tev]{Delay: delay})
		emit := func(Result[string, int64]) {}
		for i := range 50000 {
			_ = op.Push(tev{T: record.Time(i) * record.Time(time.Millisecond), Key: fmt.Sprint(i), V: 1}, emit)
		}
		if n, s := op.eng.(*tumbler[tev, string, int64, int64]).keys.len(), op.Stats(); n > 4*s.Keys+4096 {
			t.Errorf("delay %v: %d keys in the map for %d live ones", delay, n, s.Keys)
		}
	}
}

// TestKeyChurnInt is TestKeyChurn with integer keys, which use keyIndex's
// own table: with and without overlapping windows (Delay), dead keys leave
// it, so it stays bounded, and the counts stay right.
func TestKeyChurnInt(t *testing.T) {
	for _, delay := range []time.Duration{0, 3 * time.Second} {
		key := func(r record.Of[int64]) int64 { return r.Value }
		op, err := Aggregate(Step(time.Second), key, aggregate.Count[record.Of[int64]](), &Options[record.Of[int64]]{Delay: delay})
		if err != nil {
			t.Fatal(err)
		}
		got := map[int64]int64{}
		emit := func(r Result[int64, int64]) { got[r.Key] += r.Value }
		for i := range 50000 {
			_ = op.Push(record.Of[int64]{Time: record.Time(i) * record.Time(time.Millisecond), Value: int64(i)}, emit)
			// At most 4,000 keys are live (a window of 1,000 records and
			// three more held by the delay); dead ones are dropped when a
			// window is purged, so a window's worth of new keys comes on top.
			if n := op.eng.(*tumbler[record.Of[int64], int64, int64, int64]).keys.len(); n > 4*4000+4096+1000 {
				t.Fatalf("delay %v, after %d records: %d keys in the index", delay, i+1, n)
			}
		}
		_ = op.Flush(emit)
		for k := range int64(50000) {
			if got[k] != 1 {
				t.Fatalf("delay %v: key %d counted %d, want 1", delay, k, got[k])
			}
		}
		// 50,000 keys held at once would need 131,072 slots.
		if n := len(op.eng.(*tumbler[record.Of[int64], int64, int64, int64]).keys.idx.tab.t); n > 1<<16 {
			t.Errorf("delay %v: table of %d slots", delay, n)
		}
	}
}

// TestKeylessSkipsKey checks that an operator whose key type has size zero
// never calls its key function, and gives what the same query keyed by a
// constant string gives: for every kind of window, on shuffled input with
// late records, across a snapshot taken halfway.
func TestKeylessSkipsKey(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 13))
	in := make([]step[tev], 3000)
	for i := range in {
		in[i].r = tev{T: record.Time(int64(i)*int64(time.Second) - rng.Int64N(int64(90*time.Second))), V: rng.Int64N(100)}
	}
	opts := &Options[tev]{Delay: 10 * time.Second, Lateness: 5 * time.Second}
	for _, w := range []Assigner{Step(30 * time.Second), Hop(time.Minute, 20*time.Second), Session(2 * time.Second), Stagger(45 * time.Second)} {
		t.Run(w.String(), func(t *testing.T) {
			calls := 0
			keyed, err := Aggregate(w, func(tev) string { return "" }, tevSum{}, opts)
			if err != nil {
				t.Fatal(err)
			}
			fmtRes := func(r Result[struct{}, int64]) string { return fmt.Sprint(r.Start, r.End, r.Value, r.Update) }
			keyless := checkKeyless(t, in, &calls, func() *Agg[tev, struct{}, int64] {
				op, err := Aggregate(w, func(tev) struct{} { calls++; return struct{}{} }, tevSum{}, opts)
				if err != nil {
					t.Fatal(err)
				}
				return op
			}, fmtRes, keyed, func(r Result[string, int64]) string { return fmt.Sprint(r.Start, r.End, r.Value, r.Update) })
			if ks, s := keyless.Stats(), keyed.Stats(); ks.Late != s.Late || ks.Late == 0 {
				t.Errorf("late: keyless %d, keyed %d (want equal and some)", ks.Late, s.Late)
			}
		})
	}
}

// TestKeylessOverJoin is TestKeylessSkipsKey for Over and Join.
func TestKeylessOverJoin(t *testing.T) {
	t.Run("Over", func(t *testing.T) {
		rng := rand.New(rand.NewPCG(14, 14))
		in := make([]step[tev], 2000)
		for i := range in {
			in[i].r = tev{T: record.Time(int64(i)*int64(time.Second) - rng.Int64N(int64(8*time.Second))), V: rng.Int64N(100)}
		}
		opts := &Options[tev]{Delay: 5 * time.Second}
		frames := []Frame{Rows(5), Range(20 * time.Second)}
		keyed, err := NewOver(func(tev) string { return "" }, tevSum{}, opts, frames...)
		if err != nil {
			t.Fatal(err)
		}
		calls := 0
		fmtRow := func(r OverRow[tev, int64]) string { return fmt.Sprint(r.Record, r.Values) }
		checkKeyless(t, in, &calls, func() *Over[tev, struct{}, int64] {
			op, err := NewOver(func(tev) struct{} { calls++; return struct{}{} }, tevSum{}, opts, frames...)
			if err != nil {
				t.Fatal(err)
			}
			return op
		}, fmtRow, keyed, fmtRow)
	})
	t.Run("Join", func(t *testing.T) {
		// One key, so that keying by it is the same as keying by nothing.
		steps := randomJoinStream(rand.New(rand.NewPCG(15, 15)), 400, 1, 2*time.Second)
		w := BothWindows(Range(5*time.Second), Rows(3))
		jopts := &JoinOptions[jrow, jrow]{Delay: 2 * time.Second}
		keyed, err := NewJoin(FullOuter, w, jrowKey, jrowKey, jresult, jopts)
		if err != nil {
			t.Fatal(err)
		}
		calls := 0
		zkey := func(jrow) struct{} { calls++; return struct{}{} }
		fmtOut := func(r record.Of[jout]) string { return fmt.Sprint(r) }
		checkKeyless(t, steps, &calls, func() *Join[jrow, jrow, struct{}, jout] {
			op, err := NewJoin(FullOuter, w, zkey, zkey, jresult, jopts)
			if err != nil {
				t.Fatal(err)
			}
			return op
		}, fmtOut, keyed, fmtOut)
	})
}

// keylessOp is what checkKeyless drives: any windowed operator.
type keylessOp[In, Out any] interface {
	Push(In, func(Out)) error
	Advance(record.Time, func(Out)) error
	Flush(func(Out)) error
	snapshotter
}

// checkKeyless runs steps through an operator built by newKeyless, whose
// key function counts its calls in *calls, restoring it into a new one from
// a snapshot halfway, and through keyed. It fails the test if the key
// function was called or the two outputs differ (or are empty), and
// returns the keyless operator it ended with.
func checkKeyless[In, OutA, OutB any, A keylessOp[In, OutA], B keylessOp[In, OutB]](t *testing.T, steps []step[In], calls *int,
	newKeyless func() A, fmtA func(OutA) string, keyed B, fmtB func(OutB) string) A {
	t.Helper()
	keyless := newKeyless()
	var got, want []string
	emitGot := func(o OutA) { got = append(got, fmtA(o)) }
	emitWant := func(o OutB) { want = append(want, fmtB(o)) }
	for i, s := range steps {
		if i == len(steps)/2 {
			snap := snapshotOf(t, keyless, nil)
			keyless = newKeyless()
			if err := keyless.Restore(snap); err != nil {
				t.Fatal(err)
			}
		}
		var errA, errB error
		if s.advance {
			errA, errB = keyless.Advance(s.wm, emitGot), keyed.Advance(s.wm, emitWant)
		} else {
			errA, errB = keyless.Push(s.r, emitGot), keyed.Push(s.r, emitWant)
		}
		if errA != nil || errB != nil {
			t.Fatalf("step %d: keyless %v, keyed %v", i, errA, errB)
		}
	}
	if errA, errB := keyless.Flush(emitGot), keyed.Flush(emitWant); errA != nil || errB != nil {
		t.Fatalf("Flush: keyless %v, keyed %v", errA, errB)
	}
	if *calls != 0 {
		t.Errorf("key called %d times", *calls)
	}
	if len(want) == 0 || !slices.Equal(got, want) {
		t.Errorf("keyless gave %d results, keyed %d; first difference at %d", len(got), len(want), firstDiff(got, want))
	}
	return keyless
}

func firstDiff(a, b []string) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}
