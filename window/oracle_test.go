package window

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/rowtime/rowtime/aggregate"
	"github.com/rowtime/rowtime/record"
)

// streamSpec describes a random test stream.
type streamSpec struct {
	n      int
	keys   int
	start  record.Time
	step   time.Duration // mean gap between records
	jitter time.Duration // records arrive up to this much out of order
	round  time.Duration // times are rounded down to a multiple of this
}

// genStream returns a fixed-seed random stream: times advance by a random
// gap averaging step, and each record is moved back by up to jitter, so
// with Delay ≥ jitter none is late.
func genStream(seed uint64, s streamSpec) []tev {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	out := make([]tev, s.n)
	base := s.start
	for i := range out {
		base += record.Time(rng.Int64N(2*int64(s.step) + 1))
		t := base
		if s.jitter > 0 {
			t -= record.Time(rng.Int64N(int64(s.jitter)))
		}
		if s.round > 0 {
			t = t.Truncate(s.round)
		}
		out[i] = tev{T: t, Key: fmt.Sprintf("k%d", rng.IntN(s.keys)), V: rng.Int64N(2000) - 1000}
	}
	return out
}

type oracleOut struct {
	span  Span
	key   string
	first int // arrival index of the key's first record in the window
	sum   int64
	max   int64
	fsum  float64
	fabs  float64 // Σ|v|/7: the scale of the float sum's rounding error
}

// naiveAligned aggregates recs after the fact for an aligned assigner: each
// record goes into every window of it that ends after the watermark at its
// arrival ((largest earlier time) − delay), and a record with no such window
// is late. Results are ordered by End, Start, then first appearance.
func naiveAligned(t *testing.T, w Assigner, delay time.Duration, recs []tev) (out []oracleOut, late int) {
	type gk struct {
		span Span
		key  string
	}
	groups := map[gk]*oracleOut{}
	maxSeen := record.MinTime
	for i, r := range recs {
		wm := subSat(maxSeen, int64(delay))
		spans, err := w.AppendWindows(nil, r.T)
		if err != nil {
			t.Fatal(err)
		}
		took := false
		for _, s := range spans {
			if s.End <= wm {
				continue
			}
			took = true
			g := groups[gk{s, r.Key}]
			if g == nil {
				g = &oracleOut{span: s, key: r.Key, first: i, max: math.MinInt64}
				groups[gk{s, r.Key}] = g
			}
			g.sum += r.V
			g.max = max(g.max, r.V)
			g.fsum += float64(r.V) / 7
			g.fabs += math.Abs(float64(r.V)) / 7
		}
		if !took {
			late++
		}
		maxSeen = max(maxSeen, r.T)
	}
	for _, g := range groups {
		out = append(out, *g)
	}
	slices.SortFunc(out, func(a, b oracleOut) int {
		return cmp.Or(cmp.Compare(a.span.End, b.span.End), cmp.Compare(a.span.Start, b.span.Start), cmp.Compare(a.first, b.first))
	})
	return out, late
}

type sumMaxF struct {
	sum  int64
	max  tevMaxState
	fsum aggregate.SumState[float64]
}

// oracleAgg computes an exact integer sum, a max and a float sum at once.
type oracleAgg struct{}

var oracleFSum = aggregate.Sum(func(r tev) float64 { return float64(r.V) / 7 })

func (oracleAgg) Add(a *sumMaxF, r tev) {
	a.sum += r.V
	tevMax{}.Add(&a.max, r)
	oracleFSum.Add(&a.fsum, r)
}

func (oracleAgg) Merge(d, s *sumMaxF) {
	d.sum += s.sum
	tevMax{}.Merge(&d.max, &s.max)
	oracleFSum.Merge(&d.fsum, &s.fsum)
}

func (oracleAgg) Result(a *sumMaxF) [3]float64 {
	return [3]float64{float64(a.sum), float64(a.max.V), oracleFSum.Result(&a.fsum)}
}

// closeSum reports whether a float sum is within 1e-9 of want relative to
// the sum of the magnitudes of its terms (the exact answer may be 0).
func closeSum(got, want, scale float64) bool {
	return math.Abs(got-want) <= 1e-9*max(math.Abs(want), scale)
}

// oracleStream is a stream of the oracle tests and the Delay it runs with.
type oracleStream struct {
	name  string
	spec  streamSpec
	delay time.Duration
}

// checkOracle runs every stream through Aggregate with each assigner and
// checks the results and the late records against naive's.
func checkOracle(t *testing.T, assigners []Assigner, streams []oracleStream, naive func(t *testing.T, w Assigner, delay time.Duration, recs []tev) ([]oracleOut, int)) {
	for _, st := range streams {
		for _, w := range assigners {
			t.Run(st.name+"/"+w.String(), func(t *testing.T) {
				recs := genStream(uint64(len(st.name)), st.spec)
				want, late := naive(t, w, st.delay, recs)
				checkAgainst(t, w, st.delay, recs, want, late)
			})
		}
	}
}

func checkAgainst(t *testing.T, w Assigner, delay time.Duration, recs []tev, want []oracleOut, late int) {
	t.Helper()
	op, err := Aggregate(w, tevKey, oracleAgg{}, &Options[tev]{Delay: delay})
	if err != nil {
		t.Fatal(err)
	}
	got, err := collectTev(op, recs)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("%v: got %d results, want %d", w, len(got), len(want))
	}
	for i, g := range got {
		x := want[i]
		if g.Start != x.span.Start || g.End != x.span.End || g.Key != x.key ||
			g.Value[0] != float64(x.sum) || g.Value[1] != float64(x.max) || !closeSum(g.Value[2], x.fsum, x.fabs) || g.Update {
			t.Fatalf("%v: result %d = %v %s %v, want %v %s sum %d max %d fsum %v", w, i,
				Span{g.Start, g.End}, g.Key, g.Value, x.span, x.key, x.sum, x.max, x.fsum)
		}
	}
	s := op.Stats()
	if s.Late != uint64(late) || s.Records != uint64(len(recs)) || s.Emitted != uint64(len(want)) || s.OpenWindows != 0 || s.Keys != 0 {
		t.Fatalf("%v: stats %+v, want late %d, records %d, emitted %d, nothing held", w, s, late, len(recs), len(want))
	}
}

func TestOracleAligned(t *testing.T) {
	n := sized(6000, 1500)
	assigners := []Assigner{
		Step(7 * time.Second), Step(time.Minute), Floor(Minute), Floor(Week), Months(1), Years(1),
		Hop(10*time.Second, time.Second), Hop(60*time.Second, time.Second), Hop(10*time.Second, 4*time.Second),
		Hop(7*time.Second, 3*time.Second), Hop(time.Minute, 20*time.Second),
	}
	checkOracle(t, assigners, []oracleStream{
		{"in order", streamSpec{n: n, keys: 20, start: -record.Time(time.Minute), step: 40 * time.Millisecond}, 0},
		{"sparse keys", streamSpec{n: n, keys: 2000, start: 0, step: 300 * time.Millisecond}, 0},
		{"shuffled within delay", streamSpec{n: n, keys: 20, start: -record.Time(time.Minute), step: 40 * time.Millisecond, jitter: 5 * time.Second}, 5 * time.Second},
		{"late beyond delay", streamSpec{n: n, keys: 20, start: 0, step: 40 * time.Millisecond, jitter: 20 * time.Second}, 5 * time.Second},
		{"gaps", streamSpec{n: n / 10, keys: 5, start: 0, step: 30 * time.Second}, 0},
		{"key churn", streamSpec{n: 2 * n, keys: 1 << 30, start: 0, step: 20 * time.Millisecond, jitter: 2 * time.Second}, 2 * time.Second},
		{"calendar scale", streamSpec{n: n / 10, keys: 5, start: record.Time(utc("1969-06-01 00:00:00")), step: 6 * time.Hour, jitter: 24 * time.Hour}, 24 * time.Hour},
	}, naiveAligned)
}

// naiveSequenced computes session or stagger windows after the fact: drop
// the records below the watermark at their arrival, sort the rest by time
// (stable), and cut each key's records into windows.
func naiveSequenced(_ *testing.T, w Assigner, delay time.Duration, recs []tev) (out []oracleOut, late int) {
	type idx struct {
		tev
		i int
	}
	var ok []idx
	maxSeen := record.MinTime
	for i, r := range recs {
		if r.T < subSat(maxSeen, int64(delay)) {
			late++
		} else {
			ok = append(ok, idx{r, i})
		}
		maxSeen = max(maxSeen, r.T)
	}
	slices.SortStableFunc(ok, func(a, b idx) int { return cmp.Compare(a.T, b.T) })
	open := map[string]*oracleOut{}
	last := map[string]record.Time{}
	seq := map[*oracleOut]int{}
	var all []*oracleOut
	for n, r := range ok {
		g := open[r.Key]
		if g != nil {
			end := g.span.Start + record.Time(w.size)
			if w.kind == kindSession {
				end = last[r.Key] + record.Time(w.size)
			}
			if r.T >= end {
				g.span.End = end
				g = nil
			}
		}
		if g == nil {
			g = &oracleOut{span: Span{Start: r.T}, key: r.Key, max: math.MinInt64}
			seq[g] = n
			open[r.Key] = g
			all = append(all, g)
		}
		last[r.Key] = r.T
		g.sum += r.V
		g.max = max(g.max, r.V)
		g.fsum += float64(r.V) / 7
		g.fabs += math.Abs(float64(r.V)) / 7
	}
	for k, g := range open {
		if w.kind == kindSession {
			g.span.End = last[k] + record.Time(w.size)
		} else {
			g.span.End = g.span.Start + record.Time(w.size)
		}
	}
	for _, g := range all {
		g.first = seq[g]
		out = append(out, *g)
	}
	slices.SortFunc(out, func(a, b oracleOut) int {
		return cmp.Or(cmp.Compare(a.span.End, b.span.End), cmp.Compare(a.span.Start, b.span.Start), cmp.Compare(a.first, b.first))
	})
	return out, late
}

func TestOracleSequenced(t *testing.T) {
	n := sized(6000, 1500)
	assigners := []Assigner{Session(time.Second), Session(10 * time.Second), Stagger(time.Second), Stagger(10 * time.Second)}
	checkOracle(t, assigners, []oracleStream{
		{"in order", streamSpec{n: n, keys: 20, start: -record.Time(time.Minute), step: 200 * time.Millisecond}, 0},
		// Many records exactly a gap apart, and equal times.
		{"whole seconds", streamSpec{n: n, keys: 5, start: 0, step: 500 * time.Millisecond, round: time.Second}, 0},
		{"shuffled within delay", streamSpec{n: n, keys: 20, start: 0, step: 200 * time.Millisecond, jitter: 5 * time.Second}, 5 * time.Second},
		{"late beyond delay", streamSpec{n: n, keys: 20, start: 0, step: 200 * time.Millisecond, jitter: 20 * time.Second}, 5 * time.Second},
	}, naiveSequenced)
}

// TestHopClosedWindowsStayClosed checks hopping windows against a model of
// the hopping windows' definition under explicit watermarks: a record joins only the
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
			op, err := Aggregate(Hop(tc.size, tc.slide),
				tevKey,
				tevSum{},
				&Options[tev]{Delay: tc.delay})
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
			emit := func(r Result[string, int64]) {
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
				r := tev{T: max(wm, 0) + record.Time(rng.IntN(20)-10)*s, Key: string(rune('a' + rng.IntN(3))), V: 1 + rng.Int64N(9)}
				trace = append(trace, fmt.Sprintf("push %d %s", int64(r.T/s), r.Key))
				if r.T > maxSeen {
					maxSeen = r.T
					wm = max(wm, r.T-record.Time(tc.delay))
				}
				last := r.T - record.Time(record.FloorMod(int64(r.T), int64(slide)))
				for st := last; st > r.T-size; st -= slide {
					if st+size > wm {
						want[win{st, st + size, r.Key}] += r.V
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
