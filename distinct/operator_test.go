package distinct_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/rowtime/rowtime/distinct"
	"github.com/rowtime/rowtime/record"
	"github.com/rowtime/rowtime/window"
)

// ev is the operator tests' record.
type ev struct {
	T    record.Time
	Key  string
	Item string
}

func (e ev) EventTime() record.Time { return e.T }

func evKey(e ev) string  { return e.Key }
func evItem(e ev) string { return e.Item }

const sec = record.Time(time.Second)

// genStream returns n records over keys, in time order but for a disorder of
// up to jitter, with items drawn from pools whose size varies by key, so that
// some windows stay exact and some pass the threshold.
func genStream(seed uint64, n, keys int, step, jitter record.Time) []ev {
	rng := rand.New(rand.NewPCG(seed, 99))
	out := make([]ev, n)
	t := record.Time(rng.Int64N(int64(10 * sec)))
	for i := range out {
		t += record.Time(rng.Int64N(int64(2*step) + 1))
		k := rng.IntN(keys)
		pool := 5 << (3 * k) // 5, 40, 320, 2560, ...
		jt := record.Time(0)
		if jitter > 0 {
			jt = record.Time(rng.Int64N(int64(jitter)))
		}
		out[i] = ev{T: t - jt, Key: fmt.Sprint("k", k), Item: fmt.Sprint("item-", rng.IntN(pool))}
	}
	return out
}

type winKey struct {
	start record.Time
	key   string
}

// TestCountItemsOracle checks every result against an exact map and against
// a Sketch fed the same items: the count is exact while a window holds at
// most the threshold of items, and otherwise the estimate of one sketch of
// the window's items, to the unit.
func TestCountItemsOracle(t *testing.T) {
	for _, tc := range []struct {
		name   string
		w      window.Assigner
		keyed  bool
		jitter record.Time
		thresh int
	}{
		{"unkeyed step 10s", window.Step(10 * time.Second), false, 0, 0},
		{"keyed step 10s", window.Step(10 * time.Second), true, 0, 0},
		{"keyed step 1m threshold 100", window.Step(time.Minute), true, 0, 100},
		{"unkeyed floor minute threshold 50 out of order", window.Floor(window.Minute), false, 3 * sec, 50},
		{"keyed step 7s out of order", window.Step(7 * time.Second), true, 2 * sec, 30},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := 20_000
			if testing.Short() {
				n = 4000
			}
			in := genStream(uint64(len(tc.name)), n, 4, 20*record.Time(time.Millisecond), tc.jitter)
			opts := &distinct.CountOptions[ev]{Threshold: tc.thresh}
			opts.Delay = time.Duration(tc.jitter)
			var got []distinct.Result[string]
			if tc.keyed {
				op, err := distinct.CountItemsByKey(tc.w, evKey, evItem, opts)
				if err != nil {
					t.Fatal(err)
				}
				if got, err = record.Collect(op, in); err != nil {
					t.Fatal(err)
				}
				if s := op.Stats(); s.Records != uint64(n) || s.Late != 0 || s.OpenWindows != 0 {
					t.Errorf("Stats after Flush: %+v", s)
				}
			} else {
				op, err := distinct.CountItems(tc.w, evItem, opts)
				if err != nil {
					t.Fatal(err)
				}
				res, err := record.Collect(op, in)
				if err != nil {
					t.Fatal(err)
				}
				for _, r := range res {
					got = append(got, distinct.Result[string]{Start: r.Start, End: r.End, NumberOfDistinctItems: r.NumberOfDistinctItems, Exact: r.Exact})
				}
			}

			// The oracle: items per (window, key), in first-appearance order.
			sets := map[winKey]map[string]bool{}
			sketches := map[winKey]*distinct.Sketch{}
			var order []winKey
			for _, e := range in {
				span, err := tc.w.Window(e.T)
				if err != nil {
					t.Fatal(err)
				}
				k := winKey{span.Start, ""}
				if tc.keyed {
					k.key = e.Key
				}
				if sets[k] == nil {
					sets[k] = map[string]bool{}
					sketches[k], _ = distinct.New(&distinct.Options{Threshold: tc.thresh})
					order = append(order, k)
				}
				sets[k][e.Item] = true
				sketches[k].InsertHash(distinct.Hash(e.Item))
			}
			if len(got) != len(order) {
				t.Fatalf("%d results, want %d", len(got), len(order))
			}
			thresh := tc.thresh
			if thresh == 0 {
				thresh = distinct.DefaultThreshold
			}
			var exact, estimated int
			for _, r := range got {
				k := winKey{r.Start, r.Key}
				set := sets[k]
				if set == nil {
					t.Fatalf("result for a window that has no records: %+v", r)
				}
				span, _ := tc.w.Window(r.Start)
				if r.End != span.End || r.Update {
					t.Errorf("result %+v: want End %d, no update", r, span.End)
				}
				want := sketches[k].Estimate()
				if len(set) <= thresh {
					exact++
					if r.NumberOfDistinctItems != uint64(len(set)) || !r.Exact {
						t.Errorf("window %v key %q: %d distinct (exact %v), want exactly %d", r.Start, r.Key, r.NumberOfDistinctItems, r.Exact, len(set))
					}
				} else {
					estimated++
					if r.NumberOfDistinctItems != want || r.Exact {
						t.Errorf("window %v key %q: %d (exact %v), want the estimate %d of %d items", r.Start, r.Key, r.NumberOfDistinctItems, r.Exact, want, len(set))
					}
				}
				delete(sets, k)
			}
			t.Logf("%d exact and %d estimated results", exact, estimated)
			if tc.thresh > 0 && estimated == 0 {
				t.Errorf("no window passed the threshold: the test misses the HyperLogLog phase")
			}
			// Output order: by End, then first appearance of the key.
			for i := 1; i < len(got); i++ {
				if got[i].End < got[i-1].End {
					t.Fatalf("result %d ends at %d before result %d at %d", i, got[i].End, i-1, got[i-1].End)
				}
			}
		})
	}
}

// TestCountItemsMatchesAggregate runs the operator and window.Aggregate over
// distinct.Count side by side on streams with disorder, late records, allowed
// lateness, limits and explicit watermarks, and checks that they emit the
// same results after every call and the same Stats: the fast path is
// invisible. Stats are compared after one call in sixteen and at the end,
// as reading them brings the aggregate up to date with its lane: the
// calls between run on what the lane took alone.
func TestCountItemsMatchesAggregate(t *testing.T) {
	type cfg struct {
		delay, lateness time.Duration
		maxWindows      int
		keyed           bool
	}
	cfgs := []cfg{
		{0, 0, 0, false},
		{0, 0, 0, true},
		{2 * time.Second, 0, 0, false},
		{time.Second, 5 * time.Second, 0, true},
		{0, 3 * time.Second, 0, false},
		{time.Second, 2 * time.Second, 3, true},
		{0, 0, 2, false},
		{1500 * time.Millisecond, 0, 0, true},
		{2500 * time.Millisecond, time.Second, 0, false},
	}
	seeds := 6
	if testing.Short() {
		seeds = 2
	}
	for i, c := range cfgs {
		for seed := range seeds {
			t.Run(fmt.Sprintf("cfg=%d/seed=%d", i, seed), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(uint64(seed), uint64(i)))
				n := 3000
				if testing.Short() {
					n = 1000
				}
				in := genStream(uint64(seed*31+i), n, 3, 10*record.Time(time.Millisecond), 4*sec)
				var lateA, lateB []ev
				wo := window.Options[ev]{Delay: c.delay, Lateness: c.lateness, MaxWindows: c.maxWindows}
				wa, wb := wo, wo
				wa.Late = func(e ev, err error) { lateA = append(lateA, e) }
				wb.Late = func(e ev, err error) { lateB = append(lateB, e) }
				// Precision 10 keeps the estimates of updates cheap.
				opts := &distinct.CountOptions[ev]{Options: wa, Threshold: 40, Precision: 10}
				f, err := distinct.Count(evItem, &distinct.Options{Threshold: 40, Precision: 10})
				if err != nil {
					t.Fatal(err)
				}
				key := evKey
				if !c.keyed {
					key = func(ev) string { return "" }
				}
				ref, err := window.Aggregate(window.Step(3*time.Second), key, f, &wb)
				if err != nil {
					t.Fatal(err)
				}
				var op interface {
					record.Operator[ev, distinct.Result[string]]
					Stats() window.Stats
				}
				if c.keyed {
					op, err = distinct.CountItemsByKey(window.Step(3*time.Second), evKey, evItem, opts)
				} else {
					var u *distinct.Counter[ev, distinct.NoKey, string]
					u, err = distinct.CountItems(window.Step(3*time.Second), evItem, opts)
					op = &keylessOp{u}
				}
				if err != nil {
					t.Fatal(err)
				}
				var got, want []distinct.Result[string]
				emitGot := func(r distinct.Result[string]) { got = append(got, r) }
				emitWant := func(r window.Result[string, uint64]) {
					want = append(want, distinct.Result[string]{Start: r.Start, End: r.End, Key: r.Key, NumberOfDistinctItems: r.Value, Update: r.Update})
				}
				for j, e := range in {
					switch rng.IntN(50) {
					case 0:
						wm := e.T - record.Time(rng.Int64N(int64(5*sec)))
						errG, errW := op.Advance(wm, emitGot), ref.Advance(wm, emitWant)
						if (errG == nil) != (errW == nil) {
							t.Fatalf("Advance(%d): %v, want %v", wm, errG, errW)
						}
					case 1:
						e.T -= 20 * sec // very late
					}
					errG, errW := op.Push(e, emitGot), ref.Push(e, emitWant)
					if !errors.Is(errG, errW) && (errG == nil || errW == nil || errG.Error() != errW.Error()) {
						t.Fatalf("record %d: Push error %v, want %v", j, errG, errW)
					}
					if rng.IntN(16) == 0 {
						compare(t, j, got, want, op.Stats(), ref.Stats())
					} else {
						compareResults(t, j, got, want)
					}
				}
				op.Flush(emitGot)
				ref.Flush(emitWant)
				compare(t, len(in), got, want, op.Stats(), ref.Stats())
				if diff := cmp.Diff(lateB, lateA); diff != "" {
					t.Errorf("late records differ (-aggregate +operator):\n%s", diff)
				}
			})
		}
	}
}

func compare(t *testing.T, j int, got, want []distinct.Result[string], gs, ws window.Stats) {
	t.Helper()
	compareResults(t, j, got, want)
	gs.StateBytes, ws.StateBytes = 0, 0 // accumulators of different types
	if gs != ws {
		t.Fatalf("after record %d, Stats differ:\n operator  %+v\n aggregate %+v", j, gs, ws)
	}
}

func compareResults(t *testing.T, j int, got, want []distinct.Result[string]) {
	t.Helper()
	same := len(got) == len(want)
	for i := 0; same && i < len(got); i++ {
		got[i].Exact = false // window.Aggregate over Count does not say
		same = got[i] == want[i]
	}
	if !same {
		t.Fatalf("after record %d, results differ (-aggregate +operator):\n%s", j, cmp.Diff(want, got))
	}
}

// keylessOp adapts an unkeyed Counter to results with a string key.
type keylessOp struct {
	op *distinct.Counter[ev, distinct.NoKey, string]
}

func conv(emit func(distinct.Result[string])) func(distinct.Result[distinct.NoKey]) {
	return func(r distinct.Result[distinct.NoKey]) {
		emit(distinct.Result[string]{Start: r.Start, End: r.End, NumberOfDistinctItems: r.NumberOfDistinctItems, Exact: r.Exact, Update: r.Update})
	}
}

func (k *keylessOp) Push(e ev, emit func(distinct.Result[string])) error {
	return k.op.Push(e, conv(emit))
}
func (k *keylessOp) Advance(wm record.Time, emit func(distinct.Result[string])) error {
	return k.op.Advance(wm, conv(emit))
}
func (k *keylessOp) Flush(emit func(distinct.Result[string])) error { return k.op.Flush(conv(emit)) }
func (k *keylessOp) Stats() window.Stats                            { return k.op.Stats() }

// TestCountItemsLate follows one stream by hand: a late record is dropped
// and counted, or handed to Late; under allowed lateness it updates its
// window and re-emits it marked as an update.
func TestCountItemsLate(t *testing.T) {
	at := func(s int, item string) ev { return ev{T: record.Time(s) * sec, Item: item} }
	in := []ev{at(1, "a"), at(2, "b"), at(3, "a"), at(11, "c"), at(4, "d"), at(12, "c"), at(25, "e"), at(9, "f")}
	type out struct {
		start, end int
		n          uint64
		update     bool
	}
	tests := []struct {
		name     string
		lateness time.Duration
		want     []out
		late     []string
		stats    window.Stats
	}{
		{
			name: "dropped",
			want: []out{{0, 10, 2, false}, {10, 20, 1, false}, {20, 30, 1, false}},
			late: []string{"d", "f"},
		},
		{
			name:     "allowed lateness",
			lateness: 10 * time.Second,
			want:     []out{{0, 10, 2, false}, {0, 10, 3, true}, {10, 20, 1, false}, {20, 30, 1, false}},
			late:     []string{"f"}, // window [0, 10) is dropped once the watermark reaches 20
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var late []string
			opts := &distinct.CountOptions[ev]{}
			opts.Lateness = tt.lateness
			opts.Late = func(e ev, err error) {
				if !errors.Is(err, window.ErrLate) {
					t.Errorf("late error %v does not wrap window.ErrLate", err)
				}
				late = append(late, e.Item)
			}
			op, err := distinct.CountItems(window.Step(10*time.Second), evItem, opts)
			if err != nil {
				t.Fatal(err)
			}
			res, err := record.Collect(op, in)
			if err != nil {
				t.Fatal(err)
			}
			var got []out
			for _, r := range res {
				got = append(got, out{int(r.Start / sec), int(r.End / sec), r.NumberOfDistinctItems, r.Update})
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(out{})); diff != "" {
				t.Errorf("results (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.late, late); diff != "" {
				t.Errorf("late records (-want +got):\n%s", diff)
			}
			if s := op.Stats(); s.Records != uint64(len(in)) || s.Late != uint64(len(tt.late)) || s.Emitted != uint64(len(tt.want)) {
				t.Errorf("Stats = %+v", s)
			}
		})
	}
}

func TestCountItemsErrors(t *testing.T) {
	step := window.Step(time.Second)
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"nil item", errOf(distinct.CountItems[ev, string](step, nil, nil)), distinct.ErrInvalid},
		{"nil key", errOf(distinct.CountItemsByKey[ev, string](step, nil, evItem, nil)), distinct.ErrInvalid},
		{"precision", errOf(distinct.CountItems(step, evItem, &distinct.CountOptions[ev]{Precision: 2})), distinct.ErrInvalid},
		{"threshold", errOf(distinct.CountItems(step, evItem, &distinct.CountOptions[ev]{Threshold: -5})), distinct.ErrInvalid},
		{"assigner", errOf(distinct.CountItems(window.Step(0), evItem, nil)), window.ErrInvalid},
		{"zero assigner", errOf(distinct.CountItems(window.Assigner{}, evItem, nil)), window.ErrInvalid},
		{"delay", errOf(distinct.CountItems(step, evItem, &distinct.CountOptions[ev]{Options: window.Options[ev]{Delay: -1}})), window.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !errors.Is(tt.err, tt.want) {
				t.Errorf("error %v, want %v", tt.err, tt.want)
			}
		})
	}
}

func errOf[T any](_ T, err error) error { return err }

func TestCountItemsLimit(t *testing.T) {
	opts := &distinct.CountOptions[ev]{}
	opts.MaxKeys = 2
	op, err := distinct.CountItemsByKey(window.Step(10*time.Second), evKey, evItem, opts)
	if err != nil {
		t.Fatal(err)
	}
	var got []distinct.Result[string]
	emit := func(r distinct.Result[string]) { got = append(got, r) }
	for _, e := range []ev{{sec, "a", "x"}, {2 * sec, "b", "x"}, {3 * sec, "a", "y"}} {
		if err := op.Push(e, emit); err != nil {
			t.Fatal(err)
		}
	}
	if err := op.Push(ev{4 * sec, "c", "x"}, emit); !errors.Is(err, window.ErrLimit) {
		t.Fatalf("third key: %v, want window.ErrLimit", err)
	}
	// The refused record changed nothing; after the window closes it fits.
	if err := op.Push(ev{11 * sec, "c", "x"}, emit); err != nil {
		t.Fatal(err)
	}
	op.Flush(emit)
	want := []distinct.Result[string]{
		{Start: 0, End: 10 * sec, Key: "a", NumberOfDistinctItems: 2, Exact: true},
		{Start: 0, End: 10 * sec, Key: "b", NumberOfDistinctItems: 1, Exact: true},
		{Start: 10 * sec, End: 20 * sec, Key: "c", NumberOfDistinctItems: 1, Exact: true},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("results (-want +got):\n%s", diff)
	}
}

func TestResultJSON(t *testing.T) {
	start := record.Time(time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC).UnixNano())
	type compound struct {
		Auction int64  `json:"auction"`
		Channel string `json:"channel"`
	}
	tests := []struct {
		name string
		got  func() ([]byte, error)
		want string
	}{
		{
			name: "unkeyed",
			got: func() ([]byte, error) {
				return distinct.Result[distinct.NoKey]{Start: start, End: start + 10*sec, NumberOfDistinctItems: 42}.AppendJSON(nil)
			},
			want: `{"window_start":"2024-05-01T12:00:00Z","window_end":"2024-05-01T12:00:10Z","NUMBER_OF_DISTINCT_ITEMS":42}`,
		},
		{
			name: "string key",
			got: func() ([]byte, error) {
				return distinct.Result[string]{Start: start, End: start + 10*sec, Key: `a"b<`, NumberOfDistinctItems: 7}.AppendJSON(nil)
			},
			want: `{"window_start":"2024-05-01T12:00:00Z","window_end":"2024-05-01T12:00:10Z","key":"a\"b\u003c","NUMBER_OF_DISTINCT_ITEMS":7}`,
		},
		{
			name: "struct key",
			got: func() ([]byte, error) {
				return distinct.Result[compound]{Start: start, End: start + 10*sec, Key: compound{7, "web"}, NumberOfDistinctItems: 0}.AppendJSON(nil)
			},
			want: `{"window_start":"2024-05-01T12:00:00Z","window_end":"2024-05-01T12:00:10Z","key":{"auction":7,"channel":"web"},"NUMBER_OF_DISTINCT_ITEMS":0}`,
		},
		{
			name: "nanoseconds before 1970 update",
			got: func() ([]byte, error) {
				return distinct.Result[int]{Start: -1500, End: -500, Key: -3, NumberOfDistinctItems: 1, Update: true}.AppendJSON([]byte("x"))
			},
			want: `x{"window_start":"1969-12-31T23:59:59.9999985Z","window_end":"1969-12-31T23:59:59.9999995Z","key":-3,"NUMBER_OF_DISTINCT_ITEMS":1,"update":true}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.got()
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("AppendJSON:\n got %s\nwant %s", got, tt.want)
			}
		})
	}
	t.Run("key error", func(t *testing.T) {
		dst := []byte("keep")
		out, err := distinct.Result[chan int]{Key: make(chan int)}.AppendJSON(dst)
		if err == nil || string(out) != "keep" {
			t.Errorf("AppendJSON of an unencodable key: %q, %v; want dst unchanged and an error", out, err)
		}
	})
}

func TestCountItemsFastPathAllocs(t *testing.T) {
	op, err := distinct.CountItems(window.Step(10*time.Second), func(v visit) string { return v.Item }, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := &visitStream{step: record.Time(time.Microsecond)}
	emit := func(distinct.Result[distinct.NoKey]) {}
	for range 20_000 { // past the threshold
		op.Push(s.next(), emit)
	}
	if n := testing.AllocsPerRun(1000, func() { op.Push(s.next(), emit) }); n != 0 {
		t.Errorf("Push allocates %v times per record", n)
	}
}
