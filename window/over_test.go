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
type overEvent struct {
	advance bool
	wm      record.Time
	r       overRec
}

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
	order := slices.Clone(taken)
	slices.SortStableFunc(order, func(a, b overRec) int { return cmp.Compare(a.T, b.T) })
	seen := map[string][]overRec{} // each partition's rows, in processing order
	for _, r := range order {
		k := r.Key
		if !partitioned {
			k = ""
		}
		before := seen[k]
		vals := make([][]int, len(frames))
		for fi, f := range frames {
			var ids []int
			for j := len(before) - 1; j >= 0; j-- {
				q := before[j]
				if (!f.byTime && len(before)-j > int(f.n)) || (f.byTime && q.T < r.T-record.Time(f.n)) {
					break
				}
				ids = append(ids, q.ID)
			}
			slices.Reverse(ids)
			vals[fi] = append(ids, r.ID)
		}
		seen[k] = append(before, r)
		out = append(out, vals)
		outRec = append(outRec, r)
	}
	return out, outRec, late, released
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

// overRun feeds events into an operator and returns its outputs (cloned), the
// IDs handed to Late, and the number of outputs after each event.
func overRun[V any](t *testing.T, op *Over[overRec, string, V], events []overEvent) (rows []Row[overRec, V], released []int) {
	t.Helper()
	emit := func(r Row[overRec, V]) { rows = append(rows, r.Clone()) }
	for _, e := range events {
		var err error
		if e.advance {
			err = op.Advance(e.wm, emit)
		} else {
			err = op.Push(e.r, emit)
		}
		if err != nil {
			t.Fatal(err)
		}
		released = append(released, len(rows))
	}
	if err := op.Flush(emit); err != nil {
		t.Fatal(err)
	}
	return rows, released
}

var overOracleFrames = map[string][]Frame{
	"rows":  {Rows(0), Rows(1), Rows(4), Rows(30)},
	"range": {Range(0), Range(1), Range(5), Range(40)},
	"mixed": {Range(3), Rows(2), Range(0), Rows(0)},
}

func TestOverOracle(t *testing.T) {
	n := 2000
	if testing.Short() {
		n = 500
	}
	for _, name := range []string{"rows", "range", "mixed"} {
		frames := overOracleFrames[name]
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
	n := 4000
	if testing.Short() {
		n = 800
	}
	for _, name := range []string{"rows", "range", "mixed"} {
		frames := overOracleFrames[name]
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

// overWeather is the WEATHER stream of KDA's OVER examples.
type overWeather struct {
	At   record.Time
	City string
	Temp int64
}

func (w overWeather) EventTime() record.Time { return w.At }

func overWeatherStream() []overWeather {
	at := func(day, hour int) record.Time {
		return record.Time(time.Date(2018, 11, day, hour, 0, 0, 0, time.UTC).UnixNano())
	}
	return []overWeather{
		{at(1, 1), "Denver", 29}, {at(1, 1), "Anchorage", 2}, {at(1, 6), "Miami", 65},
		{at(1, 7), "Denver", 32}, {at(1, 9), "Anchorage", 9}, {at(1, 13), "Denver", 50},
		{at(1, 17), "Anchorage", 10}, {at(1, 18), "Miami", 71}, {at(1, 19), "Denver", 43},
		{at(2, 1), "Anchorage", 4}, {at(2, 1), "Denver", 39}, {at(2, 7), "Denver", 46},
		{at(2, 9), "Anchorage", 3}, {at(2, 13), "Denver", 56}, {at(2, 17), "Anchorage", 2},
		{at(2, 19), "Denver", 50}, {at(3, 1), "Denver", 36}, {at(3, 1), "Anchorage", 1},
	}
}

type overTempMinMax struct{}

func (overTempMinMax) Add(a *overMMAcc, w overWeather) { overMinMax{}.Add(a, overRec{X: w.Temp}) }
func (overTempMinMax) Merge(d, s *overMMAcc)           { overMinMax{}.Merge(d, s) }
func (overTempMinMax) Result(a *overMMAcc) [2]int64    { return [2]int64{a.Min, a.Max} }

// TestOverVectorC checks KDA's per-record example: MIN and MAX of temp over
// RANGE INTERVAL '1' DAY PRECEDING, over all cities.
func TestOverVectorC(t *testing.T) {
	want := [][2]int64{{29, 29}, {2, 29}, {2, 65}, {2, 65}, {2, 65}, {2, 65}, {2, 65}, {2, 71}, {2, 71},
		{2, 71}, {2, 71}, {4, 71}, {3, 71}, {3, 71}, {2, 71}, {2, 56}, {2, 56}, {1, 56}}
	for _, delay := range []time.Duration{0, time.Hour} {
		t.Run(fmt.Sprintf("delay=%v", delay), func(t *testing.T) {
			op, err := NewOver[overWeather, struct{}](nil, overTempMinMax{}, &Options[overWeather]{Delay: delay}, Range(24*time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			rows, err := record.Collect(op, overWeatherStream())
			if err != nil {
				t.Fatal(err)
			}
			var got [][2]int64
			for i, r := range rows {
				got = append(got, r.Value)
				if r.Record != overWeatherStream()[i] {
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
	ws := overWeatherStream()
	op, err := NewOver(func(w overWeather) string { return w.City }, overTempMinMax{}, nil, Range(24*time.Hour), Rows(1))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, w := range ws {
		if err := op.Push(w, func(r Row[overWeather, [2]int64]) { got = append(got, fmt.Sprint(r.Values)) }); err != nil {
			t.Fatal(err)
		}
	}
	var want []string
	for i, w := range ws {
		var day, two []int64
		for _, q := range ws[:i+1] {
			if q.City == w.City && q.At >= w.At-record.Time(24*time.Hour) {
				day = append(day, q.Temp)
			}
		}
		for j := i; j >= 0 && len(two) < 2; j-- {
			if ws[j].City == w.City {
				two = append(two, ws[j].Temp)
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
					op, err := NewOver[overRec, struct{}](nil, f, &Options[overRec]{Delay: delay}, tt.frame)
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
			emit := func(Row[overRec, overSumAcc]) { n++ }
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
	rangeOp.Push(overRec{T: 12, Key: "a", X: 7}, func(r Row[overRec, overSumAcc]) { got = r.Value })
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

// TestOverWorkCount: aggregate calls per record are O(1) on average and do
// not grow with the window: the same for ROWS 10 and ROWS 10,000, and for
// RANGE windows of those sizes.
func TestOverWorkCount(t *testing.T) {
	m := 100_000 // records counted, after the windows have filled
	if testing.Short() {
		m = 30_000 // still three flips of the 10,000-row window
	}
	perRecord := func(f Frame, sub bool) float64 {
		c := &overCounter{}
		var push func(overRec) error
		if sub {
			op, _ := NewOver[overRec, struct{}](nil, overCountSum{c: c}, nil, f)
			push = func(r overRec) error { return op.Push(r, nil) }
		} else {
			op, _ := NewOver[overRec, struct{}](nil, overCountMin{c: c}, nil, f)
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
		emitMM := func(Row[overRec, [2]int64]) {}
		emitSA := func(Row[overRec, overSumAcc]) {}
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
	var rows []Row[overRec, [2]int64]
	emit := func(r Row[overRec, [2]int64]) { rows = append(rows, r.Clone()) }
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
		t.Errorf("Row.EventTime: %v, %v", rows[0].EventTime(), rows[994].EventTime())
	}
	// Clone detached Values from the operator's buffer.
	if fmt.Sprint(rows[9].Values) != "[[0 9] [0 9]]" || fmt.Sprint(rows[10].Values) != "[[1 10] [1 10]]" {
		t.Errorf("rows 9, 10: %v, %v", rows[9].Values, rows[10].Values)
	}
	op.Flush(emit)
	if st := op.Stats(); st.Emitted != 1000 || st.Keys != 0 || st.OpenWindows != 0 || st.Watermark != 999 {
		t.Errorf("after Flush: %+v", st)
	}
}
