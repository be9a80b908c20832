package window

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rowtime/rowtime/aggregate"
	"github.com/rowtime/rowtime/record"
	"github.com/rowtime/rowtime/record/codec"
)

// overRec is the record of these tests: a time, a partition key, an arrival
// number and two values.
type overRec struct {
	T   record.Time
	Key string
	ID  int
	X   int64
	F   float64
}

func (r overRec) EventTime() record.Time { return r.T }

// The aggregates below are small and exact so that the oracle can check
// every output. overList returns the IDs of the window's rows in order, which
// pins down membership and order exactly; the others check arithmetic.

type overListAcc struct{ IDs []int }

// overList is associative and order-sensitive, and cannot subtract.
type overList struct{}

func (overList) Add(a *overListAcc, r overRec) { a.IDs = append(a.IDs, r.ID) }
func (overList) Merge(d, s *overListAcc)       { d.IDs = append(d.IDs, s.IDs...) }
func (overList) Result(a *overListAcc) string  { return fmt.Sprint(a.IDs) }

// overListRm is overList with Remove, which must always take the oldest row.
type overListRm struct{ overList }

func (overListRm) Remove(a *overListAcc, r overRec) {
	if len(a.IDs) == 0 || a.IDs[0] != r.ID {
		panic(fmt.Sprintf("Remove(%d) from %v: not the oldest row", r.ID, a.IDs))
	}
	a.IDs = slices.Delete(a.IDs, 0, 1)
}

type overMMAcc struct {
	N        int
	Min, Max int64
}

// overMinMax is MIN and MAX of X: non-invertible.
type overMinMax struct{}

func (overMinMax) Add(a *overMMAcc, r overRec) {
	if a.N == 0 || r.X < a.Min {
		a.Min = r.X
	}
	if a.N == 0 || r.X > a.Max {
		a.Max = r.X
	}
	a.N++
}

func (overMinMax) Merge(d, s *overMMAcc) {
	if s.N == 0 {
		return
	}
	if d.N == 0 {
		*d = *s
		return
	}
	d.Min, d.Max, d.N = min(d.Min, s.Min), max(d.Max, s.Max), d.N+s.N
}

func (overMinMax) Result(a *overMMAcc) [2]int64 { return [2]int64{a.Min, a.Max} }

type overSumAcc struct {
	N, S int64
	F    float64
}

// overSum is COUNT, SUM(X) and SUM(F), with Remove.
type overSum struct{}

func (overSum) Add(a *overSumAcc, r overRec)    { a.N++; a.S += r.X; a.F += r.F }
func (overSum) Remove(a *overSumAcc, r overRec) { a.N--; a.S -= r.X; a.F -= r.F }
func (overSum) Merge(d, s *overSumAcc)          { d.N += s.N; d.S += s.S; d.F += s.F }
func (overSum) Result(a *overSumAcc) overSumAcc { return *a }

// overSumMerge is overSum without Remove, so it runs on two stacks.
type overSumMerge struct{}

func (overSumMerge) Add(a *overSumAcc, r overRec)    { overSum{}.Add(a, r) }
func (overSumMerge) Merge(d, s *overSumAcc)          { overSum{}.Merge(d, s) }
func (overSumMerge) Result(a *overSumAcc) overSumAcc { return *a }

// overCounter counts aggregate calls.
type overCounter struct{ add, merge, remove int }

func (c *overCounter) total() int { return c.add + c.merge + c.remove }

type overCountMin struct {
	overMinMax
	c *overCounter
}

func (f overCountMin) Add(a *overMMAcc, r overRec) { f.c.add++; f.overMinMax.Add(a, r) }
func (f overCountMin) Merge(d, s *overMMAcc)       { f.c.merge++; f.overMinMax.Merge(d, s) }

type overCountSum struct {
	overSum
	c *overCounter
}

func (f overCountSum) Add(a *overSumAcc, r overRec)    { f.c.add++; f.overSum.Add(a, r) }
func (f overCountSum) Merge(d, s *overSumAcc)          { f.c.merge++; f.overSum.Merge(d, s) }
func (f overCountSum) Remove(a *overSumAcc, r overRec) { f.c.remove++; f.overSum.Remove(a, r) }

func overKey(r overRec) string { return r.Key }

// ---- the oracle ----

// overEvent is one step of a test stream: a record, or an explicit watermark.
type overEvent = step[overRec]

// overExpect returns, by a naive recomputation, the IDs of the rows each
// frame holds for every output, in output order, and the IDs of the late
// records; released[i] is how many outputs exist after event i.
func overExpect(events []overEvent, frames []Frame, delay record.Time, partitioned bool) (out [][][]int, outRec []overRec, late []int, released []int) {
	wm, maxSeen := record.MinTime, record.MinTime
	var taken []overRec
	var times []record.Time // of taken, sorted
	released = make([]int, len(events))
	for i, e := range events {
		if e.advance {
			wm = max(wm, e.wm)
		} else if e.r.T < wm {
			late = append(late, e.r.ID)
		} else {
			taken = append(taken, e.r)
			j, _ := slices.BinarySearch(times, e.r.T+1)
			times = slices.Insert(times, j, e.r.T)
			maxSeen = max(maxSeen, e.r.T)
			wm = max(wm, maxSeen-delay)
		}
		released[i], _ = slices.BinarySearch(times, wm+1) // taken with time ≤ wm
	}
	// Processing order: by time, and by arrival among equal times.
	outRec = slices.Clone(taken)
	slices.SortStableFunc(outRec, func(a, b overRec) int { return cmp.Compare(a.T, b.T) })
	_, inFrame := overFrames(outRec, frames, partitioned)
	for _, fr := range inFrame {
		vals := make([][]int, len(fr))
		for fi, rows := range fr {
			for _, q := range rows {
				vals[fi] = append(vals[fi], q.ID)
			}
		}
		out = append(out, vals)
	}
	return out, outRec, late, released
}

// overFrames returns, for each of rows (in processing order), the rows of
// its partition before it and the rows of each frame's window, ending with
// itself; partitioned false puts all rows in one partition.
func overFrames(rows []overRec, frames []Frame, partitioned bool) (before [][]overRec, inFrame [][][]overRec) {
	seen := map[string][]overRec{} // each partition's rows, in processing order
	for _, r := range rows {
		k := r.Key
		if !partitioned {
			k = ""
		}
		prev := seen[k]
		fr := make([][]overRec, len(frames))
		for fi, f := range frames {
			j := len(prev) // the window is prev[j:] and r
			for ; j > 0; j-- {
				if q, back := prev[j-1], len(prev)-j+1; f.byTime && q.T < r.T-record.Time(f.n) || !f.byTime && back > int(f.n) {
					break
				}
			}
			fr[fi] = append(slices.Clone(prev[j:]), r)
		}
		before = append(before, prev)
		inFrame = append(inFrame, fr)
		seen[k] = append(prev, r)
	}
	return before, inFrame
}

// overStream makes n records over nkeys partitions whose times run ahead
// by 0–2 units a record, each jittered back by up to jitter units, with an
// explicit watermark now and then. Equal times are frequent.
func overStream(rng *rand.Rand, n, nkeys int, jitter int64, advances bool) []overEvent {
	var events []overEvent
	var base int64
	for id := range n {
		base += rng.Int64N(3)
		t := base
		if jitter > 0 {
			t -= rng.Int64N(jitter + 1)
		}
		events = append(events, overEvent{r: overRec{
			T:   record.Time(t),
			Key: string(rune('a' + rng.IntN(nkeys))),
			ID:  id,
			X:   rng.Int64N(2001) - 1000,
			F:   rng.Float64() * 100,
		}})
		if advances && rng.IntN(20) == 0 {
			events = append(events, overEvent{advance: true, wm: record.Time(base - rng.Int64N(4))})
		}
	}
	return events
}

// overRun feeds events into an operator and returns its outputs (cloned)
// and the number of outputs after each event.
func overRun[V any](t *testing.T, op *Over[overRec, string, V], events []overEvent) (rows []OverRow[overRec, V], released []int) {
	t.Helper()
	emit := func(r OverRow[overRec, V]) { rows = append(rows, r.Clone()) }
	for _, e := range events {
		if err := apply(op, e, emit); err != nil {
			t.Fatal(err)
		}
		released = append(released, len(rows))
	}
	if err := op.Flush(emit); err != nil {
		t.Fatal(err)
	}
	return rows, released
}

var overOracleFrames = []struct {
	name   string
	frames []Frame
}{
	{"rows", []Frame{Rows(0), Rows(1), Rows(4), Rows(30)}},
	{"range", []Frame{Range(0), Range(1), Range(5), Range(40)}},
	{"mixed", []Frame{Range(3), Rows(2), Range(0), Rows(0)}},
}

func TestOverOracle(t *testing.T) {
	n := sized(2000, 500)
	for _, fs := range overOracleFrames {
		name, frames := fs.name, fs.frames
		for _, delay := range []int64{0, 4} {
			for _, nkeys := range []int{1, 5} {
				for _, sub := range []bool{false, true} {
					t.Run(fmt.Sprintf("frames=%s/delay=%d/keys=%d/subtract=%v", name, delay, nkeys, sub), func(t *testing.T) {
						rng := rand.New(rand.NewPCG(uint64(delay), uint64(nkeys)))
						events := overStream(rng, n, nkeys, delay+2, true)
						want, wantRec, wantLate, wantReleased := overExpect(events, frames, record.Time(delay), true)
						var late []int
						opts := &Options[overRec]{Delay: time.Duration(delay), Late: func(r overRec, err error) {
							if !errors.Is(err, ErrLate) {
								t.Errorf("Late got %v, want an ErrLate", err)
							}
							late = append(late, r.ID)
						}}
						var f aggregate.Func[overRec, overListAcc, string] = overList{}
						if sub {
							f = overListRm{}
						}
						op, err := NewOver(overKey, f, opts, frames...)
						if err != nil {
							t.Fatal(err)
						}
						rows, released := overRun(t, op, events)
						if !slices.Equal(late, wantLate) {
							t.Errorf("late = %v, want %v", late, wantLate)
						}
						if !slices.Equal(released, wantReleased) {
							t.Errorf("outputs after each event differ:\n got %v\nwant %v", released, wantReleased)
						}
						if len(rows) != len(want) {
							t.Fatalf("%d rows, want %d", len(rows), len(want))
						}
						for i, row := range rows {
							if row.Record != wantRec[i] {
								t.Fatalf("row %d is record %+v, want %+v", i, row.Record, wantRec[i])
							}
							for fi := range frames {
								if w := fmt.Sprint(want[i][fi]); row.Values[fi] != w {
									t.Fatalf("row %d (%+v) %v = %s, want %s", i, row.Record, frames[fi], row.Values[fi], w)
								}
							}
							if row.Value != row.Values[0] {
								t.Fatalf("row %d: Value %v != Values[0] %v", i, row.Value, row.Values[0])
							}
						}
						st := op.Stats()
						if int(st.Records) != len(events)-overAdvances(events) || int(st.Late) != len(wantLate) || int(st.Emitted) != len(want) {
							t.Errorf("stats %+v", st)
						}
					})
				}
			}
		}
	}
}

func overAdvances(events []overEvent) int {
	n := 0
	for _, e := range events {
		if e.advance {
			n++
		}
	}
	return n
}

// TestOverOracleNumbers checks MIN/MAX (two stacks), integer and float sums
// (subtracted and on two stacks) against recomputation from raw records.
func TestOverOracleNumbers(t *testing.T) {
	n := sized(4000, 800)
	for _, fs := range overOracleFrames {
		name, frames := fs.name, fs.frames
		t.Run("frames="+name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(7, uint64(len(name))))
			events := overStream(rng, n, 4, 3, true)
			want, wantRec, _, _ := overExpect(events, frames, 3, true)
			byID := map[int]overRec{}
			for _, e := range events {
				if !e.advance {
					byID[e.r.ID] = e.r
				}
			}
			opts := &Options[overRec]{Delay: 3}
			mm, _ := NewOver(overKey, overMinMax{}, opts, frames...)
			sa, _ := NewOver(overKey, overSum{}, opts, frames...)
			sm, _ := NewOver(overKey, overSumMerge{}, opts, frames...)
			mmRows, _ := overRun(t, mm, events)
			saRows, _ := overRun(t, sa, events)
			smRows, _ := overRun(t, sm, events)
			for i := range want {
				if mmRows[i].Record != wantRec[i] || saRows[i].Record != wantRec[i] || smRows[i].Record != wantRec[i] {
					t.Fatalf("row %d: records differ", i)
				}
				for fi, ids := range want[i] {
					var wmm [2]int64
					var ws overSumAcc
					for k, id := range ids {
						r := byID[id]
						if k == 0 || r.X < wmm[0] {
							wmm[0] = r.X
						}
						if k == 0 || r.X > wmm[1] {
							wmm[1] = r.X
						}
						ws.N++
						ws.S += r.X
						ws.F += r.F
					}
					if got := mmRows[i].Values[fi]; got != wmm {
						t.Fatalf("row %d %v: min/max %v, want %v", i, frames[fi], got, wmm)
					}
					for _, got := range []overSumAcc{saRows[i].Values[fi], smRows[i].Values[fi]} {
						if got.N != ws.N || got.S != ws.S || !overClose(got.F, ws.F, 1e-9) {
							t.Fatalf("row %d %v: sums %+v, want %+v", i, frames[fi], got, ws)
						}
					}
				}
			}
		})
	}
}

func overClose(a, b, tol float64) bool {
	return math.Abs(a-b) <= tol*math.Max(1, math.Max(math.Abs(a), math.Abs(b)))
}

// overTempMinMax is overMinMax of the weather stream's temperatures.
type overTempMinMax struct{}

func (overTempMinMax) Add(a *overMMAcc, w tev)      { overMinMax{}.Add(a, overRec{X: w.V}) }
func (overTempMinMax) Merge(d, s *overMMAcc)        { overMinMax{}.Merge(d, s) }
func (overTempMinMax) Result(a *overMMAcc) [2]int64 { return [2]int64{a.Min, a.Max} }

// TestOverVectorC checks KDA's per-record example: MIN and MAX of temp over
// RANGE INTERVAL '1' DAY PRECEDING, over all cities.
func TestOverVectorC(t *testing.T) {
	want := [][2]int64{{29, 29}, {2, 29}, {2, 65}, {2, 65}, {2, 65}, {2, 65}, {2, 65}, {2, 71}, {2, 71},
		{2, 71}, {2, 71}, {4, 71}, {3, 71}, {3, 71}, {2, 71}, {2, 56}, {2, 56}, {1, 56}}
	for _, delay := range []time.Duration{0, time.Hour} {
		t.Run(fmt.Sprintf("delay=%v", delay), func(t *testing.T) {
			op, err := NewOver(Unkeyed[tev], overTempMinMax{}, &Options[tev]{Delay: delay}, Range(24*time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			rows, err := record.Collect(op, weatherRows())
			if err != nil {
				t.Fatal(err)
			}
			var got [][2]int64
			for i, r := range rows {
				got = append(got, r.Value)
				if r.Record != weatherRows()[i] {
					t.Errorf("row %d carries %+v", i, r.Record)
				}
			}
			if !slices.Equal(got, want) {
				t.Errorf("got  %v\nwant %v", got, want)
			}
		})
	}
}

// TestOverVectorCByCity is vector C partitioned by city, against the oracle.
func TestOverVectorCByCity(t *testing.T) {
	ws := weatherRows()
	op, err := NewOver(func(w tev) string { return w.Key }, overTempMinMax{}, nil, Range(24*time.Hour), Rows(1))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, w := range ws {
		if err := op.Push(w, func(r OverRow[tev, [2]int64]) { got = append(got, fmt.Sprint(r.Values)) }); err != nil {
			t.Fatal(err)
		}
	}
	var want []string
	for i, w := range ws {
		var day, two []int64
		for _, q := range ws[:i+1] {
			if q.Key == w.Key && q.T >= w.T-record.Time(24*time.Hour) {
				day = append(day, q.V)
			}
		}
		for j := i; j >= 0 && len(two) < 2; j-- {
			if ws[j].Key == w.Key {
				two = append(two, ws[j].V)
			}
		}
		want = append(want, fmt.Sprint([][2]int64{{slices.Min(day), slices.Max(day)}, {slices.Min(two), slices.Max(two)}}))
	}
	if !slices.Equal(got, want) {
		t.Errorf("got  %v\nwant %v", got, want)
	}
	// Hand-checked rows: Denver 2018-11-02 01:00 sees Denver's 11-01 01:00
	// (29, exactly a day before: inclusive) through 11-02 01:00.
	if got[10] != "[[29 50] [39 43]]" || got[16] != "[[36 56] [36 50]]" {
		t.Errorf("Denver rows: %s, %s", got[10], got[16])
	}
}

// TestOverEqualTimes: of two rows stamped equal, the first does not see the
// second; the second sees the first, RANGE 0 included.
func TestOverEqualTimes(t *testing.T) {
	in := []overRec{{T: 10, ID: 1}, {T: 10, ID: 2}, {T: 10, ID: 3}, {T: 11, ID: 4}, {T: 12, ID: 5}}
	tests := []struct {
		frame Frame
		want  []string
	}{
		{Range(0), []string{"[1]", "[1 2]", "[1 2 3]", "[4]", "[5]"}},
		{Range(1), []string{"[1]", "[1 2]", "[1 2 3]", "[1 2 3 4]", "[4 5]"}},
		{Rows(0), []string{"[1]", "[2]", "[3]", "[4]", "[5]"}},
		{Rows(1), []string{"[1]", "[1 2]", "[2 3]", "[3 4]", "[4 5]"}},
	}
	for _, tt := range tests {
		for _, f := range []aggregate.Func[overRec, overListAcc, string]{overList{}, overListRm{}} {
			t.Run(fmt.Sprintf("%v/%T", tt.frame, f), func(t *testing.T) {
				// Delay 2 shuffles arrival; the reorder buffer must keep
				// arrival order among equal times.
				for _, delay := range []time.Duration{0, 2} {
					op, err := NewOver(Unkeyed[overRec], f, &Options[overRec]{Delay: delay}, tt.frame)
					if err != nil {
						t.Fatal(err)
					}
					rows, err := record.Collect(op, in)
					if err != nil {
						t.Fatal(err)
					}
					var got []string
					for _, r := range rows {
						got = append(got, r.Value)
					}
					if !slices.Equal(got, tt.want) {
						t.Errorf("delay %v: got %v, want %v", delay, got, tt.want)
					}
				}
			})
		}
	}
}

func TestOverInvalid(t *testing.T) {
	tests := []struct {
		name   string
		opts   *Options[overRec]
		frames []Frame
	}{
		{"no frames", nil, nil},
		{"rows -1", nil, []Frame{Rows(-1)}},
		{"range -1ns", nil, []Frame{Range(-1)}},
		{"second frame bad", nil, []Frame{Rows(3), Range(-time.Second)}},
		{"negative delay", &Options[overRec]{Delay: -1}, []Frame{Rows(1)}},
		{"lateness", &Options[overRec]{Lateness: time.Second}, []Frame{Rows(1)}},
		{"negative MaxKeys", &Options[overRec]{MaxKeys: -1}, []Frame{Rows(1)}},
		{"negative MaxWindows", &Options[overRec]{MaxWindows: -1}, []Frame{Rows(1)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			op, err := NewOver(overKey, overMinMax{}, tt.opts, tt.frames...)
			if !errors.Is(err, ErrInvalid) || op != nil {
				t.Errorf("NewOver = %v, %v; want nil, ErrInvalid", op, err)
			}
			if err != nil && !strings.HasPrefix(err.Error(), "window: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
		})
	}
	if _, err := NewOver[overRec, string, overMMAcc, [2]int64](overKey, nil, nil, Rows(1)); !errors.Is(err, ErrInvalid) {
		t.Errorf("nil aggregate: %v", err)
	}
	for _, f := range []Frame{Rows(0), Range(0), {}} {
		if _, err := NewOver(overKey, overMinMax{}, nil, f); err != nil {
			t.Errorf("%v: %v", f, err)
		}
	}
}

func TestOverFrameString(t *testing.T) {
	for f, want := range map[Frame]string{
		Rows(10):              "ROWS 10 PRECEDING",
		{}:                    "ROWS 0 PRECEDING",
		Range(24 * time.Hour): "RANGE INTERVAL '24h0m0s' PRECEDING",
	} {
		if got := f.String(); got != want {
			t.Errorf("%#v.String() = %q, want %q", f, got, want)
		}
	}
}

func TestOverLimits(t *testing.T) {
	for _, tt := range []struct {
		name string
		opts Options[overRec]
	}{
		{"MaxKeys", Options[overRec]{MaxKeys: 2}},
		{"MaxWindows", Options[overRec]{MaxWindows: 5}}, // 2 frames: 2 partitions
	} {
		t.Run(tt.name, func(t *testing.T) {
			op, err := NewOver(overKey, overSum{}, &tt.opts, Rows(1), Range(5))
			if err != nil {
				t.Fatal(err)
			}
			var n int
			emit := func(OverRow[overRec, overSumAcc]) { n++ }
			for i, k := range []string{"a", "b", "a"} {
				if err := op.Push(overRec{T: record.Time(i), Key: k}, emit); err != nil {
					t.Fatal(err)
				}
			}
			before, _ := op.AppendSnapshot(nil)
			st := op.Stats()
			err = op.Push(overRec{T: 5, Key: "c"}, emit)
			if !errors.Is(err, ErrLimit) {
				t.Fatalf("third partition: %v, want ErrLimit", err)
			}
			after, _ := op.AppendSnapshot(nil)
			if string(before) != string(after) || op.Stats() != st || n != 3 {
				t.Error("a refused record changed the operator")
			}
			// Known partitions still go through, and a restore into an
			// operator with a higher limit makes room.
			if err := op.Push(overRec{T: 6, Key: "b"}, emit); err != nil {
				t.Fatal(err)
			}
			snap, err := op.AppendSnapshot(nil)
			if err != nil {
				t.Fatal(err)
			}
			o := tt.opts
			o.MaxKeys, o.MaxWindows = 2*o.MaxKeys, 2*o.MaxWindows
			wider, err := NewOver(overKey, overSum{}, &o, Rows(1), Range(5))
			if err != nil {
				t.Fatal(err)
			}
			if err := wider.Restore(snap); err != nil {
				t.Fatal(err)
			}
			if err := wider.Push(overRec{T: 7, Key: "c"}, emit); err != nil {
				t.Fatalf("after a restore with a higher limit: %v", err)
			}
			if st := wider.Stats(); st.Keys != 3 || st.OpenWindows != 6 || st.Records != 5 || st.Emitted != 5 {
				t.Errorf("stats after restore: %+v", st)
			}
			if err := wider.Flush(emit); err != nil {
				t.Fatal(err)
			}
			if err := wider.Push(overRec{T: 8, Key: "c"}, emit); !errors.Is(err, record.ErrFlushed) {
				t.Fatalf("Push after Flush: %v, want record.ErrFlushed", err)
			}
		})
	}
}

// TestOverLimitBuffered: a partition is held from the Push that brings its
// first record, even while that record waits in the reorder buffer.
func TestOverLimitBuffered(t *testing.T) {
	op, _ := NewOver(overKey, overSum{}, &Options[overRec]{Delay: 10, MaxKeys: 1}, Rows(1))
	if err := op.Push(overRec{T: 100, Key: "a"}, nil); err != nil {
		t.Fatal(err)
	}
	if st := op.Stats(); st.Keys != 1 || st.Emitted != 0 {
		t.Fatalf("stats %+v", st)
	}
	if err := op.Push(overRec{T: 101, Key: "b"}, nil); !errors.Is(err, ErrLimit) {
		t.Fatalf("got %v, want ErrLimit", err)
	}
}

// TestOverExpire: with RANGE frames only, a partition whose rows are out of
// range of anything still to come is released; with a ROWS frame it stays.
func TestOverExpire(t *testing.T) {
	rangeOp, _ := NewOver(overKey, overSum{}, nil, Range(10), Range(3))
	rowsOp, _ := NewOver(overKey, overSum{}, nil, Range(10), Rows(3))
	for _, k := range []string{"a", "b", "c"} {
		rangeOp.Push(overRec{T: 1, Key: k}, nil)
		rowsOp.Push(overRec{T: 1, Key: k}, nil)
	}
	rangeOp.Push(overRec{T: 5, Key: "b"}, nil)
	if got := rangeOp.Stats().Keys; got != 3 {
		t.Fatalf("keys %d, want 3", got)
	}
	rangeOp.Advance(11, nil) // a and c: last time 1 == 11-10, still in range of a row at 11
	if got := rangeOp.Stats().Keys; got != 3 {
		t.Fatalf("keys %d at 11, want 3", got)
	}
	rangeOp.Advance(12, nil)
	if got := rangeOp.Stats().Keys; got != 1 {
		t.Fatalf("keys %d at 12, want 1", got)
	}
	var got overSumAcc
	rangeOp.Push(overRec{T: 12, Key: "a", X: 7}, func(r OverRow[overRec, overSumAcc]) { got = r.Value })
	if got.N != 1 || got.S != 7 {
		t.Errorf("released partition came back with %+v", got)
	}
	if got := rangeOp.Stats().Keys; got != 2 {
		t.Errorf("keys %d, want 2", got)
	}
	rowsOp.Advance(1000, nil)
	if got := rowsOp.Stats().Keys; got != 3 {
		t.Errorf("ROWS operator holds %d keys, want 3", got)
	}
}

// TestOverExpireLastKey: a released partition is forgotten as the last
// one used, so that its key, coming back after another key took its place,
// starts a partition of its own.
func TestOverExpireLastKey(t *testing.T) {
	op, _ := NewOver(overKey, overSum{}, nil, Range(10))
	op.Push(overRec{T: 1, Key: "a", X: 1}, nil)
	op.Push(overRec{T: 2, Key: "a", X: 1}, nil) // a, found, is the last partition used
	op.Advance(13, nil)                         // releases a
	op.Push(overRec{T: 13, Key: "b", X: 2}, nil)
	var got overSumAcc
	op.Push(overRec{T: 14, Key: "a", X: 4}, func(r OverRow[overRec, overSumAcc]) { got = r.Value })
	if got.N != 1 || got.S != 4 {
		t.Errorf("a after its release: %+v, want N 1, S 4", got)
	}
	if got := op.Stats().Keys; got != 2 {
		t.Errorf("keys %d, want 2", got)
	}
}

// TestOverWorkCount: aggregate calls per record are O(1) on average and do
// not grow with the window: the same for ROWS 10 and ROWS 10,000, and for
// RANGE windows of those sizes.
func TestOverWorkCount(t *testing.T) {
	// Records counted after the windows have filled; under -short still
	// three flips of the 10,000-row window.
	m := sized(100_000, 30_000)
	perRecord := func(f Frame, sub bool) float64 {
		c := &overCounter{}
		var push func(overRec) error
		if sub {
			op, _ := NewOver(Unkeyed[overRec], overCountSum{c: c}, nil, f)
			push = func(r overRec) error { return op.Push(r, nil) }
		} else {
			op, _ := NewOver(Unkeyed[overRec], overCountMin{c: c}, nil, f)
			push = func(r overRec) error { return op.Push(r, nil) }
		}
		const warm = 20_000
		for i := range warm + m {
			if i == warm {
				*c = overCounter{}
			}
			if err := push(overRec{T: record.Time(i), X: int64(i * 7919 % 1000)}); err != nil {
				t.Fatal(err)
			}
		}
		return float64(c.total()) / float64(m)
	}
	for _, sub := range []bool{false, true} {
		for _, kind := range []string{"rows", "range"} {
			mk := func(w int) Frame {
				if kind == "rows" {
					return Rows(w)
				}
				return Range(time.Duration(w))
			}
			small, large := perRecord(mk(10), sub), perRecord(mk(10_000), sub)
			t.Logf("%s subtract=%v: %.3f calls/record at 10, %.3f at 10,000", kind, sub, small, large)
			// Two stacks: an Add to the back, an Add and a Merge per row at
			// a flip, a Merge of front and back for the output. Subtracting:
			// an Add and a Remove.
			limit := 4.0
			if sub {
				limit = 2
			}
			// (A flip of k rows costs k Adds and k−1 Merges, hence 3.8 at 10.)
			if small > limit+0.01 || large > limit+0.01 || math.Abs(small-large) > 0.25 {
				t.Errorf("%s subtract=%v: %.3f and %.3f calls/record, want ≤ %v each and equal", kind, sub, small, large, limit)
			}
		}
	}
}

// TestOverAllocs: no allocation per record in steady state.
func TestOverAllocs(t *testing.T) {
	keys := []string{"a", "b", "c", "d"}
	for _, f := range []Frame{Rows(100), Range(100)} {
		mm, _ := NewOver(overKey, overMinMax{}, &Options[overRec]{Delay: 3}, f, Rows(3))
		sa, _ := NewOver(overKey, overSum{}, &Options[overRec]{Delay: 3}, f, Rows(3))
		i := 0
		emitMM := func(OverRow[overRec, [2]int64]) {}
		emitSA := func(OverRow[overRec, overSumAcc]) {}
		push := func() {
			r := overRec{T: record.Time(i - i%3), Key: keys[i%len(keys)], X: int64(i % 17)}
			mm.Push(r, emitMM)
			sa.Push(r, emitSA)
			i++
		}
		for range 10_000 {
			push()
		}
		if a := testing.AllocsPerRun(5000, push); a != 0 {
			t.Errorf("%v: %v allocs per record", f, a)
		}
	}
}

func TestOverRefs(t *testing.T) {
	type plain struct {
		A [2]int64
		B float64
		c bool
	}
	type withString struct {
		S string
		N int
	}
	type withSlice struct{ P [1][]int }
	tests := []struct {
		name          string
		t             reflect.Type
		refs, strRefs bool
	}{
		{"int64", reflect.TypeFor[int64](), false, false},
		{"plain struct", reflect.TypeFor[plain](), false, false},
		{"string", reflect.TypeFor[string](), false, true},
		{"struct with string", reflect.TypeFor[withString](), false, true},
		{"array of slices", reflect.TypeFor[withSlice](), true, true},
		{"empty array of pointers", reflect.TypeFor[[0]*int](), false, false},
		{"map", reflect.TypeFor[map[int]int](), true, true},
		{"interface", reflect.TypeFor[any](), true, true},
		{"func", reflect.TypeFor[func()](), true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := overRefs(tt.t, false); got != tt.refs {
				t.Errorf("overRefs(%v, false) = %v", tt.t, got)
			}
			if got := overRefs(tt.t, true); got != tt.strRefs {
				t.Errorf("overRefs(%v, true) = %v", tt.t, got)
			}
		})
	}
}

func TestOverStats(t *testing.T) {
	op, _ := NewOver(overKey, overMinMax{}, &Options[overRec]{Delay: 5}, Rows(100), Range(50))
	if st := op.Stats(); st != (Stats{Watermark: record.MinTime}) {
		t.Errorf("new operator: %+v", st)
	}
	var rows []OverRow[overRec, [2]int64]
	emit := func(r OverRow[overRec, [2]int64]) { rows = append(rows, r.Clone()) }
	for i := range 1000 {
		op.Push(overRec{T: record.Time(i), Key: string(rune('a' + i%3)), ID: i, X: int64(i)}, emit)
	}
	op.Push(overRec{T: 2, Key: "z"}, emit) // late
	st := op.Stats()
	want := Stats{Records: 1001, Late: 1, Emitted: 995, OpenWindows: 6, Keys: 3, Watermark: 994}
	got := st
	got.StateBytes = 0
	if got != want {
		t.Errorf("stats %+v, want %+v", got, want)
	}
	// 3 partitions × (≥ 101 rows of 40 bytes + 2 × ≥ 50 accumulators).
	if min := int64(3 * (101*40 + 100*24)); st.StateBytes < min {
		t.Errorf("StateBytes %d, want at least %d", st.StateBytes, min)
	}
	if rows[0].EventTime() != 0 || rows[994].EventTime() != 994 {
		t.Errorf("OverRow.EventTime: %v, %v", rows[0].EventTime(), rows[994].EventTime())
	}
	// Clone detached Values from the operator's buffer.
	if fmt.Sprint(rows[9].Values) != "[[0 9] [0 9]]" || fmt.Sprint(rows[10].Values) != "[[1 10] [1 10]]" {
		t.Errorf("rows 9, 10: %v, %v", rows[9].Values, rows[10].Values)
	}
	op.Flush(emit)
	if st := op.Stats(); st.Emitted != 1000 || st.Keys != 0 || st.OpenWindows != 0 || st.Watermark != record.MaxTime {
		t.Errorf("after Flush: %+v", st)
	}
}

func overRecX(r overRec) int64   { return r.X }
func overRecF(r overRec) float64 { return r.F }

// analyticFrames returns the rows of events in processing order, and for
// each its partition's rows before it and the rows of each frame, as the
// oracle of TestOverOracle defines them.
func analyticFrames(events []overEvent, frames []Frame) (rows []overRec, before [][]overRec, inFrame [][][]overRec) {
	for _, e := range events {
		if !e.advance {
			rows = append(rows, e.r)
		}
	}
	slices.SortStableFunc(rows, func(a, b overRec) int { return cmp.Compare(a.T, b.T) })
	before, inFrame = overFrames(rows, frames, true)
	return rows, before, inFrame
}

func analyticRun[A, V any](t *testing.T, f Analytic[overRec, A, V], events []overEvent, delay time.Duration, frames []Frame, snapEvery int) []OverRow[overRec, V] {
	t.Helper()
	newOp := func() *Over[overRec, string, V] {
		return must(NewOver(overKey, f, &Options[overRec]{Delay: delay}, frames...))
	}
	op := newOp()
	var out []OverRow[overRec, V]
	emit := func(r OverRow[overRec, V]) { out = append(out, r.Clone()) }
	for i, e := range events {
		if err := apply(op, e, emit); err != nil {
			t.Fatal(err)
		}
		if snapEvery > 0 && i%snapEvery == 0 {
			op, _ = restored(t, op, newOp)
		}
	}
	if err := op.Flush(emit); err != nil {
		t.Fatal(err)
	}
	if st := op.Stats(); st.Late != 0 {
		t.Fatalf("%d late", st.Late)
	}
	return out
}

var analyticFrameSets = map[string][]Frame{
	"rows":  {Rows(0), Rows(3), Rows(20)},
	"range": {Range(0), Range(6), Range(40)},
	"mixed": {Range(15), Rows(2)},
}

// TestAnalyticOracle checks Lag, NthValue and ExpAvg against their
// definitions over random partitioned streams, in order and out of order
// within Delay, with and without snapshots along the way.
func TestAnalyticOracle(t *testing.T) {
	for name, frames := range analyticFrameSets {
		for _, jitter := range []int64{0, 5} {
			for _, snap := range []int{0, 7} {
				rng := rand.New(rand.NewPCG(uint64(jitter), 3))
				events := overStream(rng, 400, 3, jitter, false)
				delay := time.Duration(jitter)
				rows, before, inFrame := analyticFrames(events, frames)
				t.Run(name+"/lag", func(t *testing.T) {
					for _, n := range []int{0, 1, 4, 25} {
						got := analyticRun(t, Lag(overRecX, n), events, delay, frames, snap)
						if len(got) != len(rows) {
							t.Fatalf("%d rows, want %d", len(got), len(rows))
						}
						for i, g := range got {
							want := aggregate.Null[int64]{}
							if b := before[i]; n == 0 {
								want = aggregate.Null[int64]{Value: rows[i].X, Valid: true}
							} else if len(b) >= n {
								want = aggregate.Null[int64]{Value: b[len(b)-n].X, Valid: true}
							}
							for fi, v := range g.Values {
								if g.Record.ID != rows[i].ID || v != want {
									t.Fatalf("LAG %d, row %d frame %d: got %v of %d, want %v of %d", n, i, fi, v, g.Record.ID, want, rows[i].ID)
								}
							}
						}
					}
				})
				t.Run(name+"/nth", func(t *testing.T) {
					for _, n := range []int{1, 2, 5} {
						for _, from := range []From{FromFirst, FromLast} {
							got := analyticRun(t, NthValue(overRecX, n, from), events, delay, frames, snap)
							for i, g := range got {
								for fi, v := range g.Values {
									w := inFrame[i][fi]
									want := aggregate.Null[int64]{}
									if len(w) >= n {
										j := n - 1
										if from == FromLast {
											j = len(w) - n
										}
										want = aggregate.Null[int64]{Value: w[j].X, Valid: true}
									}
									if v != want {
										t.Fatalf("NTH_VALUE %d %v, row %d frame %d: got %v, want %v", n, from, i, fi, v, want)
									}
								}
							}
						}
					}
				})
				t.Run(name+"/expavg", func(t *testing.T) {
					for _, h := range []time.Duration{1, 4, 1000} {
						got := analyticRun(t, ExpAvg(overRecF, h), events, delay, frames, snap)
						for i, g := range got {
							for fi, v := range g.Values {
								w := inFrame[i][fi]
								now := w[len(w)-1].T
								var s, ws float64
								for _, q := range w {
									wt := math.Pow(0.5, math.Floor(float64(now-q.T)/float64(h)))
									s += wt * q.F
									ws += wt
								}
								if want := s / ws; math.Abs(v-want) > 1e-9*math.Max(1, math.Abs(want)) {
									t.Fatalf("EXP_AVG h=%v, row %d frame %d: got %v, want %v", h, i, fi, v, want)
								}
							}
						}
					}
				})
			}
		}
	}
}

// TestExpAvgWeights is the half-life example: RANGE 30 s, half-life 10 s.
func TestExpAvgWeights(t *testing.T) {
	op, err := NewOver(func(overRec) int { return 0 }, ExpAvg(overRecF, 10*time.Second), nil, Range(30*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	var got []float64
	emit := func(r OverRow[overRec, float64]) { got = append(got, r.Value) }
	s := func(n int) record.Time { return record.Time(time.Duration(n) * time.Second) }
	// Ages 30 s (weight 1/8), 25 s (1/4), 15 s (1/2), 5 s and 0 s (1).
	for i, r := range []overRec{{T: s(0), F: 8}, {T: s(5), F: 4}, {T: s(15), F: 2}, {T: s(25), F: 1}, {T: s(30), F: 1}} {
		r.ID = i
		if err := op.Push(r, emit); err != nil {
			t.Fatal(err)
		}
	}
	want := (8.0/8 + 4.0/4 + 2.0/2 + 1 + 1) / (1.0/8 + 1.0/4 + 1.0/2 + 1 + 1)
	if v := got[len(got)-1]; math.Abs(v-want) > 1e-12 {
		t.Fatalf("got %v, want %v", v, want)
	}
	if got[0] != 8 {
		t.Fatalf("a lone row: got %v", got[0])
	}
}

func TestExpAvgNonFinite(t *testing.T) {
	op, _ := NewOver(func(overRec) int { return 0 }, ExpAvg(overRecF, time.Second), nil, Rows(1))
	var got []float64
	emit := func(r OverRow[overRec, float64]) { got = append(got, r.Value) }
	for i, f := range []float64{1, math.Inf(1), 2, math.NaN(), 3, 4, math.Inf(-1), math.Inf(1)} {
		_ = op.Push(overRec{T: record.Time(i), F: f}, emit)
	}
	want := []float64{1, math.Inf(1), math.Inf(1), math.NaN(), math.NaN(), 3.5, math.Inf(-1), math.NaN()}
	for i := range want {
		if !(got[i] == want[i] || (math.IsNaN(got[i]) && math.IsNaN(want[i]))) {
			t.Fatalf("row %d: got %v, want %v", i, got[i], want[i])
		}
	}
}

func TestAnalyticInvalid(t *testing.T) {
	key := func(overRec) int { return 0 }
	for name, err := range map[string]error{
		"lag -1":   func() error { _, err := NewOver(key, Lag(overRecX, -1), nil, Rows(1)); return err }(),
		"nth 0":    func() error { _, err := NewOver(key, NthValue(overRecX, 0, FromFirst), nil, Rows(1)); return err }(),
		"nth from": func() error { _, err := NewOver(key, NthValue(overRecX, 1, From(5)), nil, Rows(1)); return err }(),
		"expavg 0": func() error { _, err := NewOver(key, ExpAvg(overRecF, 0), nil, Range(time.Second)); return err }(),
		"expavg nil x": func() error {
			_, err := NewOver(key, ExpAvg[overRec, float64](nil, 1), nil, Range(time.Second))
			return err
		}(),
	} {
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: got %v, want ErrInvalid", name, err)
		}
	}
}

// TestLagKeepsPartitions checks that a RANGE frame does not release a
// partition whose rows LAG still reads.
func TestLagKeepsPartitions(t *testing.T) {
	op, _ := NewOver(func(r overRec) string { return r.Key }, Lag(overRecX, 1), nil, Range(time.Second))
	var got []aggregate.Null[int64]
	emit := func(r OverRow[overRec, aggregate.Null[int64]]) { got = append(got, r.Value) }
	_ = op.Push(overRec{T: 0, Key: "a", X: 7}, emit)
	_ = op.Push(overRec{T: record.Time(time.Hour), Key: "b", X: 1}, emit)
	_ = op.Push(overRec{T: record.Time(2 * time.Hour), Key: "a", X: 8}, emit)
	if want := (aggregate.Null[int64]{Value: 7, Valid: true}); got[2] != want {
		t.Fatalf("got %v, want %v", got[2], want)
	}
}

func TestAnalyticAllocs(t *testing.T) {
	op, _ := NewOver(func(overRec) int { return 0 }, ExpAvg(overRecF, 10*time.Millisecond), nil, Range(time.Second))
	lag, _ := NewOver(func(overRec) int { return 0 }, Lag(overRecX, 10), nil, Rows(100))
	var tm record.Time
	push := func() {
		tm += record.Time(time.Millisecond)
		_ = op.Push(overRec{T: tm, F: 1}, nil)
		_ = lag.Push(overRec{T: tm, X: 1}, nil)
	}
	for range 5000 {
		push()
	}
	if n := testing.AllocsPerRun(1000, push); n != 0 {
		t.Fatalf("%v allocations per row", n)
	}
}

// FuzzOverRestoreLag and FuzzOverRestoreExpAvg: the Over restore fuzz with analytic functions,
// whose partitions hold rows before their frames (Lag) and running states
// (ExpAvg).
func FuzzOverRestoreLag(f *testing.F) {
	overFuzzRestore(f, func() *Over[overRec, string, aggregate.Null[int64]] {
		return must(NewOver(overKey, Lag(overRecX, 3), &Options[overRec]{Delay: 3}, Rows(1), Range(5)))
	})
}

func FuzzOverRestoreExpAvg(f *testing.F) {
	overFuzzRestore(f, func() *Over[overRec, string, float64] {
		return must(NewOver(overKey, ExpAvg(overRecF, 2), &Options[overRec]{Delay: 3}, Rows(2), Range(5)))
	})
}

// overCase is one operator configuration of the snapshot tests.
type overCase struct {
	name   string
	frames []Frame
	delay  time.Duration
}

var overSnapshotCases = []overCase{
	{"rows", []Frame{Rows(0), Rows(3), Rows(20)}, 0},
	{"range/delay", []Frame{Range(0), Range(4), Range(30)}, 4},
	{"mixed/delay", []Frame{Range(5), Rows(2)}, 3},
}

// TestOverSnapshot checks that a snapshot carries all state: see checkCuts.
func TestOverSnapshot(t *testing.T) {
	n, extra := sized(1500, 300), sized(5, 1) // records, and cut points at random
	for _, c := range overSnapshotCases {
		rng := rand.New(rand.NewPCG(11, uint64(len(c.name))))
		events := overStream(rng, n, 4, int64(c.delay)+2, true)
		cuts := []int{0, 1, 7, len(events) / 2, len(events) - 1, len(events)}
		for range extra {
			cuts = append(cuts, rng.IntN(len(events)+1))
		}
		opts := &Options[overRec]{Delay: c.delay}
		for _, a := range []struct {
			name string
			run  func(t *testing.T, key func(overRec) string, opts *Options[overRec], frames []Frame, events []overEvent, cuts []int)
		}{
			{"list", overCuts(overList{})},
			{"list-subtract", overCuts(overListRm{})},
			// Float sums subtracted over a long history: only restoring the
			// accumulators bit for bit continues exactly.
			{"sum-subtract", overCuts(overSum{})},
			{"minmax", overCuts(overMinMax{})},
		} {
			t.Run(c.name+"/"+a.name, func(t *testing.T) { a.run(t, overKey, opts, c.frames, events, cuts) })
		}
		t.Run(c.name+"/nokey", func(t *testing.T) {
			checkCuts(t, func() *Over[overRec, NoKey, string] {
				return must(NewOver(Unkeyed[overRec], overList{}, opts, c.frames...))
			}, events, cuts)
		})
	}
}

// overCuts returns checkCuts on Over with the aggregate f.
func overCuts[A, V any](f aggregate.Func[overRec, A, V]) func(*testing.T, func(overRec) string, *Options[overRec], []Frame, []overEvent, []int) {
	return func(t *testing.T, key func(overRec) string, opts *Options[overRec], frames []Frame, events []overEvent, cuts []int) {
		checkCuts(t, func() *Over[overRec, string, V] { return must(NewOver(key, f, opts, frames...)) }, events, cuts)
	}
}

// TestOverSnapshotCodec: an aggregate's own StateCodec is used for
// subtracted accumulators.
func TestOverSnapshotCodec(t *testing.T) {
	f := &overCodecSum{}
	op, _ := NewOver(overKey, f, nil, Rows(2))
	mustFeed(t, op, overStream(rand.New(rand.NewPCG(1, 2)), 50, 3, 0, false))
	snap, err := op.AppendSnapshot(nil)
	if err != nil {
		t.Fatal(err)
	}
	if f.appended != 3 {
		t.Errorf("AppendState called %d times, want 3 (one per partition)", f.appended)
	}
	op2, _ := NewOver(overKey, f, nil, Rows(2))
	if err := op2.Restore(snap); err != nil {
		t.Fatal(err)
	}
	if f.read != 3 {
		t.Errorf("ReadState called %d times, want 3", f.read)
	}
}

type overCodecSum struct {
	overSum
	appended, read int
}

func (c *overCodecSum) AppendState(dst []byte, a *overSumAcc) ([]byte, error) {
	c.appended++
	return codec.Append(dst, *a)
}

func (c *overCodecSum) ReadState(a *overSumAcc, src []byte) (int, error) {
	c.read++
	return codec.Read(src, a)
}

func TestOverRestoreMismatch(t *testing.T) {
	events := overStream(rand.New(rand.NewPCG(3, 4)), 100, 3, 2, false)
	src, _ := NewOver(overKey, overSum{}, &Options[overRec]{Delay: 2}, Rows(3), Range(5))
	mustFeed(t, src, events)
	snap, err := src.AppendSnapshot(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		op   interface{ Restore([]byte) error }
	}{
		{"other frame", must(NewOver(overKey, overSum{}, &Options[overRec]{Delay: 2}, Rows(4), Range(5)))},
		{"other kind", must(NewOver(overKey, overSum{}, &Options[overRec]{Delay: 2}, Rows(3), Rows(5)))},
		{"fewer frames", must(NewOver(overKey, overSum{}, &Options[overRec]{Delay: 2}, Rows(3)))},
		{"two stacks", must(NewOver(overKey, overSumMerge{}, &Options[overRec]{Delay: 2}, Rows(3), Range(5)))},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.op.Restore(snap); !errors.Is(err, ErrSnapshot) {
				t.Errorf("Restore of a snapshot of another configuration: %v, want ErrSnapshot", err)
			}
		})
	}
	good := must(NewOver(overKey, overSum{}, &Options[overRec]{Delay: 2}, Rows(3), Range(5)))
	for _, bad := range [][]byte{nil, {}, {1}, {2}, snap[:1], snap[:5], {1, 3, 'A', 'g', 'g'}, snap[:len(snap)-1], append(slices.Clone(snap), 0)} {
		if err := good.Restore(bad); !errors.Is(err, ErrSnapshot) {
			t.Errorf("Restore(%x) = %v, want ErrSnapshot", bad, err)
		}
	}
}

// TestOverRestoreUnchanged: a failed Restore leaves the operator as it was,
// for every truncation of a valid snapshot and for single-byte corruptions.
func TestOverRestoreUnchanged(t *testing.T) {
	events := overStream(rand.New(rand.NewPCG(5, 6)), 200, 3, 3, true)
	mk := func() *Over[overRec, string, string] {
		return must(NewOver(overKey, overList{}, &Options[overRec]{Delay: 3}, Rows(3), Range(6)))
	}
	src := mk()
	mustFeed(t, src, events[:150])
	snap, _ := src.AppendSnapshot(nil)
	dst := mk()
	mustFeed(t, dst, events[:70])
	before, _ := dst.AppendSnapshot(nil)
	check := func(data []byte) {
		if restoreChecked(t, dst, data) == nil {
			if err := dst.Restore(before); err != nil {
				t.Fatal(err)
			}
		}
	}
	for i := range len(snap) {
		check(snap[:i])
		c := slices.Clone(snap)
		c[i] ^= 0x55
		check(c)
	}
}

// FuzzOverRestore and FuzzOverRestoreSubtract: Restore never panics, fails
// without changing the operator, and what it accepts is a working operator
// whose snapshot round-trips. (Accumulators that subtract are opaque to the
// operator, so the second target uses an aggregate that accepts any state.)
func FuzzOverRestore(f *testing.F) {
	overFuzzRestore(f, func() *Over[overRec, string, string] {
		return must(NewOver(overKey, overList{}, &Options[overRec]{Delay: 3}, Rows(2), Range(5)))
	})
}

func FuzzOverRestoreSubtract(f *testing.F) {
	overFuzzRestore(f, func() *Over[overRec, string, overSumAcc] {
		return must(NewOver(overKey, overSum{}, &Options[overRec]{Delay: 3}, Rows(2), Range(5)))
	})
}

func overFuzzRestore[V any](f *testing.F, mk func() *Over[overRec, string, V]) {
	events := overStream(rand.New(rand.NewPCG(8, 9)), 60, 3, 3, true)
	for _, n := range []int{0, 1, 5, 20, 60} {
		op := mk()
		mustFeed(f, op, events[:n])
		snap, _ := op.AppendSnapshot(nil)
		f.Add(snap)
	}
	f.Add([]byte{1})
	for _, seed := range otherOperatorSeeds(f) {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		op := mk()
		mustFeed(t, op, events[:10])
		if !restoreFuzzed(t, op, mk, data) {
			return
		}
		// The restored operator must run: push records at its watermark.
		wm := max(op.Stats().Watermark, 0)
		if wm > record.MaxTime-10 {
			return
		}
		for i, k := range []string{"a", "b", "c", "a", "d"} {
			r := overRec{T: wm + record.Time(i), Key: k, ID: 1000 + i}
			if err := op.Push(r, nil); err != nil {
				t.Fatal(err)
			}
		}
		if err := op.Flush(nil); err != nil {
			t.Fatal(err)
		}
	})
}

type overHidden struct {
	T record.Time
	x int64 // skipped by codec.Append
}

func (r overHidden) EventTime() record.Time { return r.T }

type overHiddenCodec struct {
	overHidden
}

func (r overHiddenCodec) MarshalBinary() ([]byte, error) {
	return codec.Append(nil, [2]int64{int64(r.T), r.x})
}

func (r *overHiddenCodec) UnmarshalBinary(b []byte) error {
	var v [2]int64
	if _, err := codec.Read(b, &v); err != nil {
		return err
	}
	r.T, r.x = record.Time(v[0]), v[1]
	return nil
}

type overHiddenSum struct{}

func (overHiddenSum) Add(a *int64, r overHiddenCodec)    { *a += r.x }
func (overHiddenSum) Remove(a *int64, r overHiddenCodec) { *a -= r.x }
func (overHiddenSum) Merge(d, s *int64)                  { *d += *s }
func (overHiddenSum) Result(a *int64) int64              { return *a }

// TestOverSnapshotLossy: a record type whose unexported fields the codec
// would skip is refused rather than snapshotted in part; with its own binary
// encoding it round-trips.
func TestOverSnapshotLossy(t *testing.T) {
	count := aggregate.Count[overHidden]()
	op := must(NewOver(Unkeyed[overHidden], count, nil, Rows(3)))
	op.Push(overHidden{T: 1, x: 5}, nil)
	if _, err := op.AppendSnapshot(nil); !errors.Is(err, codec.ErrCodec) {
		t.Errorf("AppendSnapshot of a record with unexported fields: %v, want ErrCodec", err)
	}

	mk := func() *Over[overHiddenCodec, NoKey, int64] {
		return must(NewOver(Unkeyed[overHiddenCodec], overHiddenSum{}, nil, Rows(1)))
	}
	a := mk()
	a.Push(overHiddenCodec{overHidden{T: 1, x: 5}}, nil)
	snap, err := a.AppendSnapshot(nil)
	if err != nil {
		t.Fatal(err)
	}
	b := mk()
	if err := b.Restore(snap); err != nil {
		t.Fatal(err)
	}
	var got int64
	b.Push(overHiddenCodec{overHidden{T: 2, x: 7}}, func(r OverRow[overHiddenCodec, int64]) { got = r.Value })
	if got != 12 {
		t.Errorf("sum after restore = %d, want 12", got)
	}
	// An accumulator with unexported fields and no StateCodec.
	hs := must(NewOver(Unkeyed[overRec], overHiddenAcc{}, nil, Rows(1)))
	hs.Push(overRec{T: 1, X: 3}, nil)
	if _, err := hs.AppendSnapshot(nil); !errors.Is(err, codec.ErrCodec) {
		t.Errorf("AppendSnapshot of an accumulator with unexported fields: %v, want ErrCodec", err)
	}
}

type overHiddenAccState struct{ n, s int64 }

type overHiddenAcc struct{}

func (overHiddenAcc) Add(a *overHiddenAccState, r overRec)    { a.n++; a.s += r.X }
func (overHiddenAcc) Remove(a *overHiddenAccState, r overRec) { a.n--; a.s -= r.X }
func (overHiddenAcc) Merge(d, s *overHiddenAccState)          { d.n += s.n; d.s += s.s }
func (overHiddenAcc) Result(a *overHiddenAccState) int64      { return a.s }

// TestOverSnapshotNotAgg: the snapshots of Over and Agg are told apart.
func TestOverSnapshotNotAgg(t *testing.T) {
	over := must(NewOver(overKey, overSum{}, nil, Rows(1)))
	agg := must(Aggregate(Step(10), overKey, overSum{}, nil))
	for i := range 5 {
		r := overRec{T: record.Time(i), Key: "a", X: int64(i)}
		over.Push(r, nil)
		agg.Push(r, nil)
	}
	overSnap, err := over.AppendSnapshot(nil)
	if err != nil {
		t.Fatal(err)
	}
	aggSnap, err := agg.AppendSnapshot(nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := over.Restore(aggSnap); !errors.Is(err, ErrSnapshot) {
		t.Errorf("Over.Restore of an Agg snapshot: %v", err)
	}
	if err := agg.Restore(overSnap); !errors.Is(err, ErrSnapshot) {
		t.Errorf("Agg.Restore of an Over snapshot: %v", err)
	}
}

// TestOverNilKey checks the one rule for "no key": a nil key function is
// refused, and Unkeyed puts every record in one partition.
func TestOverNilKey(t *testing.T) {
	if _, err := NewOver[overRec, string](nil, overSum{}, nil, Rows(1)); !errors.Is(err, ErrInvalid) {
		t.Fatalf("nil key: %v, want ErrInvalid", err)
	}
	op, err := NewOver(Unkeyed[overRec], overSum{}, nil, Rows(2))
	if err != nil {
		t.Fatal(err)
	}
	var sums []int64
	for i, k := range []string{"a", "b", "a"} {
		if err := op.Push(overRec{T: record.Time(i), Key: k, X: 1}, func(r OverRow[overRec, overSumAcc]) { sums = append(sums, r.Value.S) }); err != nil {
			t.Fatal(err)
		}
	}
	if st := op.Stats(); st.Keys != 1 || fmt.Sprint(sums) != "[1 2 3]" {
		t.Errorf("one partition for every key: keys %d, sums %v", st.Keys, sums)
	}
}
