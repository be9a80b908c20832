package window

import (
	"cmp"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rowtime/rowtime/record"
	"github.com/rowtime/rowtime/record/codec"
)

// kdaJoinInput is KDA's orders (left) and shipments (right), in arrival
// order; IDs number the rows in that order.
func kdaJoinInput() []Either[jrow, jrow] {
	at := func(s int) record.Time { return record.Time(10*time.Hour + time.Duration(s)*time.Second) }
	o := func(s int, id string, n int64) Either[jrow, jrow] {
		return FromLeft[jrow, jrow](jrow{T: at(s), Key: id, ID: n})
	}
	sh := func(s int, id string, n int64) Either[jrow, jrow] {
		return FromRight[jrow, jrow](jrow{T: at(s), Key: id, ID: n})
	}
	return []Either[jrow, jrow]{
		o(0, "101", 1), sh(0, "100", 2), o(20, "102", 3), o(30, "103", 4),
		o(40, "104", 5), sh(45, "104", 6), o(45, "100", 7), sh(50, "105", 8),
	}
}

// TestJoinKDAVectors checks KDA's three join vectors exactly, results and
// the Push that emits each, with one arrival clock (KDA's ROWTIME).
func TestJoinKDAVectors(t *testing.T) {
	at := func(s int) record.Time { return record.Time(10*time.Hour + time.Duration(s)*time.Second) }
	type emitted struct {
		step int // index of the Push that emitted it, 8 for Flush
		r    record.Of[jout]
	}
	m := func(step, s int, l, r int64, lt, rt int) emitted {
		o := jout{L: l, R: r}
		if l != 0 {
			o.LT = at(lt)
		}
		if r != 0 {
			o.RT = at(rt)
		}
		return emitted{step, record.Of[jout]{Time: at(s), Value: o}}
	}
	cases := []struct {
		name string
		typ  JoinType
		win  JoinWindow
		want []emitted
	}{
		{"inner, window on orders", Inner, LeftWindow(Range(time.Minute)), []emitted{m(5, 45, 5, 6, 40, 45)}},
		{"inner, windows on both", Inner, BothWindows(Range(time.Minute), Range(time.Minute)),
			[]emitted{m(5, 45, 5, 6, 40, 45), m(6, 45, 7, 2, 45, 0)}},
		{"right, window on orders", RightOuter, LeftWindow(Range(time.Minute)),
			[]emitted{m(1, 0, 0, 2, 0, 0), m(5, 45, 5, 6, 40, 45), m(7, 50, 0, 8, 0, 50)}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			op, err := NewJoin(c.typ, c.win, jrowKey, jrowKey, jresult, &JoinOptions[jrow, jrow]{OneClock: true})
			if err != nil {
				t.Fatal(err)
			}
			var got []emitted
			step := 0
			emit := func(r record.Of[jout]) { got = append(got, emitted{step, r}) }
			for i, in := range kdaJoinInput() {
				step = i
				if err := op.Push(in, emit); err != nil {
					t.Fatal(err)
				}
			}
			step = 8
			if err := op.Flush(emit); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("got  %v\nwant %v", got, c.want)
			}
		})
	}
}

// joinForm is one window configuration of the oracle tests.
type joinForm struct {
	name string
	w    JoinWindow
}

func joinForms() []joinForm {
	s := time.Second
	return []joinForm{
		{"left range", LeftWindow(Range(5 * s))},
		{"right range", RightWindow(Range(4 * s))},
		{"both range", BothWindows(Range(5*s), Range(3*s))},
		{"both range 0", BothWindows(Range(0), Range(0))},
		{"left rows", LeftWindow(Rows(2))},
		{"right rows", RightWindow(Rows(0))},
		{"both rows", BothWindows(Rows(1), Rows(3))},
		{"rows and range", BothWindows(Rows(2), Range(4*s))},
		{"range and rows", BothWindows(Range(6*s), Rows(1))},
		{"interval", Interval(-3*s, 5*s)},
		{"interval zero", Interval(0, 0)},
		{"interval ahead", Interval(2*s, 6*s)},
		{"interval behind", Interval(-6*s, -2*s)},
		{"interval from zero", Interval(0, 4*s)},
	}
}

var joinTypes = []JoinType{Inner, LeftOuter, RightOuter, FullOuter}

// joinStep is one call in a test stream: a push, or an advance.
type joinStep = step[Either[jrow, jrow]]

// randomJoinStream returns n rows, out of order by up to delay, never late
// for either watermark mode, with advances that make no row late.
func randomJoinStream(rng *rand.Rand, n, keys int, delay time.Duration) []joinStep {
	var rows []Either[jrow, jrow]
	base := record.Time(time.Minute)
	for i := range n {
		base += record.Time(rng.IntN(1500)) * record.Time(time.Millisecond)
		t := base
		if delay > 0 {
			t -= record.Time(rng.Int64N(int64(delay) + 1))
		}
		t = t.Truncate(500 * time.Millisecond) // equal times happen
		r := jrow{T: t, Key: fmt.Sprint("k", rng.IntN(keys)), ID: int64(i + 1)}
		if rng.IntN(2) == 0 {
			rows = append(rows, FromLeft[jrow, jrow](r))
		} else {
			rows = append(rows, FromRight[jrow, jrow](r))
		}
	}
	var steps []joinStep
	for i, in := range rows {
		steps = append(steps, joinStep{r: in})
		if rng.IntN(8) == 0 {
			// The smallest time still to come, minus what the shared clock
			// allows: no later row is below it.
			lo := record.MaxTime
			for _, r := range rows[i+1:] {
				lo = min(lo, r.EventTime())
			}
			if lo != record.MaxTime {
				steps = append(steps, joinStep{advance: true, wm: lo})
			}
		}
	}
	return steps
}

// jrowIntKey is jrowKey as an integer: "k7" is 7.
func jrowIntKey(r jrow) int64 {
	n, err := strconv.ParseInt(strings.TrimPrefix(r.Key, "k"), 10, 64)
	if err != nil {
		panic(err)
	}
	return n
}

func runJoin[K comparable](t *testing.T, op *Join[jrow, jrow, K, jout], steps []joinStep) []record.Of[jout] {
	t.Helper()
	var got []record.Of[jout]
	emit := func(r record.Of[jout]) { got = append(got, r) }
	if err := feed(op, steps, emit); err != nil {
		t.Fatal(err)
	}
	if err := op.Flush(emit); err != nil {
		t.Fatal(err)
	}
	if st := op.Stats(); st.Late != 0 {
		t.Fatalf("%d late rows in a stream meant to have none", st.Late)
	}
	return got
}

// joinOracle computes the join of rows from the definition: every pair
// checked, unmatched rows and their times computed from the window.
func joinOracle(typ JoinType, w JoinWindow, steps []joinStep) []record.Of[jout] {
	var rows []Either[jrow, jrow]
	for _, s := range steps {
		if !s.advance {
			rows = append(rows, s.r)
		}
	}
	// Processing order: time, then arrival.
	slices.SortStableFunc(rows, func(a, b Either[jrow, jrow]) int { return cmp.Compare(a.EventTime(), b.EventTime()) })
	row := func(e Either[jrow, jrow]) jrow {
		if e.IsRight {
			return e.Right
		}
		return e.Left
	}
	holdOf := func(right bool) joinHold {
		if right {
			return w.right
		}
		return w.left
	}
	// between counts the rows of e's side and key processed after i and
	// before j.
	between := func(i, j int) int {
		n := 0
		for k := i + 1; k < j; k++ {
			if rows[k].IsRight == rows[i].IsRight && row(rows[k]).Key == row(rows[i]).Key {
				n++
			}
		}
		return n
	}
	var out []record.Of[jout]
	matched := make([]bool, len(rows))
	for j := range rows {
		for i := range j {
			if rows[i].IsRight == rows[j].IsRight || row(rows[i]).Key != row(rows[j]).Key {
				continue
			}
			h := holdOf(rows[i].IsRight)
			ti, tj := int64(rows[i].EventTime()), int64(rows[j].EventTime())
			ok := false
			switch h.kind {
			case joinRange:
				ok = tj-h.back <= ti && ti <= tj-h.front
			case joinRows:
				ok = int64(between(i, j)) <= h.n
			}
			if !ok {
				continue
			}
			matched[i], matched[j] = true, true
			var o jout
			if rows[i].IsRight {
				o = jresult(&rows[j].Left, &rows[i].Right)
			} else {
				o = jresult(&rows[i].Left, &rows[j].Right)
			}
			out = append(out, record.Of[jout]{Time: rows[j].EventTime(), Value: o})
		}
	}
	var atEnd []int
	for i, e := range rows {
		if matched[i] || !typ.preserves(b2i(e.IsRight)) {
			continue
		}
		h := holdOf(e.IsRight)
		r := row(e)
		var o jout
		if e.IsRight {
			o = jresult(nil, &r)
		} else {
			o = jresult(&r, nil)
		}
		switch h.kind {
		case joinNone:
			out = append(out, record.Of[jout]{Time: r.T, Value: o})
		case joinRange:
			out = append(out, record.Of[jout]{Time: r.T + record.Time(h.back), Value: o})
		case joinRows:
			evicted := false
			for k := i + 1; k < len(rows); k++ {
				if rows[k].IsRight == e.IsRight && row(rows[k]).Key == r.Key && int64(between(i, k)) == h.n {
					out = append(out, record.Of[jout]{Time: rows[k].EventTime(), Value: o})
					evicted = true
					break
				}
			}
			if !evicted {
				atEnd = append(atEnd, i)
			}
		}
	}
	end := record.MinTime
	for _, r := range out {
		end = max(end, r.Time)
	}
	for _, e := range rows {
		end = max(end, e.EventTime())
	}
	for _, i := range atEnd {
		r := row(rows[i])
		o := jresult(&r, nil)
		if rows[i].IsRight {
			o = jresult(nil, &r)
		}
		out = append(out, record.Of[jout]{Time: end, Value: o})
	}
	return out
}

func sortJoined(rs []record.Of[jout]) []record.Of[jout] {
	rs = slices.Clone(rs)
	slices.SortFunc(rs, func(a, b record.Of[jout]) int {
		return cmp.Or(cmp.Compare(a.Time, b.Time), cmp.Compare(a.Value.L, b.Value.L), cmp.Compare(a.Value.R, b.Value.R))
	})
	return rs
}

func checkAscending(t *testing.T, rs []record.Of[jout]) {
	t.Helper()
	for i := 1; i < len(rs); i++ {
		if rs[i].Time < rs[i-1].Time {
			t.Fatalf("result %d at %v after one at %v", i, rs[i].Time, rs[i-1].Time)
		}
	}
}

// TestJoinOracle checks every join type and window form against the
// brute-force join over random streams, in order and out of order within
// Delay, with a watermark per input and with one clock.
func TestJoinOracle(t *testing.T) {
	for _, f := range joinForms() {
		for _, typ := range joinTypes {
			for _, delay := range []time.Duration{0, 3 * time.Second} {
				for _, one := range []bool{false, true} {
					name := fmt.Sprintf("%s/%v/delay=%v/oneclock=%v", f.name, typ, delay, one)
					t.Run(name, func(t *testing.T) {
						for seed := range uint64(4) {
							rng := rand.New(rand.NewPCG(seed, 19))
							steps := randomJoinStream(rng, 150, 1+int(seed)*3, delay)
							opts := &JoinOptions[jrow, jrow]{Delay: delay, OneClock: one}
							op, err := NewJoin(typ, f.w, jrowKey, jrowKey, jresult, opts)
							if err != nil {
								t.Fatal(err)
							}
							// The same keys as integers, which the key table
							// keeps apart from other keys (see keyIndex).
							iop, err := NewJoin(typ, f.w, jrowIntKey, jrowIntKey, jresult, opts)
							if err != nil {
								t.Fatal(err)
							}
							want := sortJoined(joinOracle(typ, f.w, steps))
							for _, got := range [][]record.Of[jout]{runJoin(t, op, steps), runJoin(t, iop, steps)} {
								checkAscending(t, got)
								if g := sortJoined(got); !slices.Equal(g, want) {
									t.Fatalf("seed %d: %d results, oracle %d\n%s", seed, len(got), len(want), diffJoined(g, want))
								}
							}
							for _, st := range []Stats{op.Stats(), iop.Stats()} {
								if st.OpenWindows != 0 || st.Keys != 0 {
									t.Fatalf("after Flush: %+v", st)
								}
							}
						}
					})
				}
			}
		}
	}
}

func diffJoined(got, want []record.Of[jout]) string {
	var b strings.Builder
	for i := 0; i < max(len(got), len(want)); i++ {
		var g, w string
		if i < len(got) {
			g = fmt.Sprint(got[i])
		}
		if i < len(want) {
			w = fmt.Sprint(want[i])
		}
		if g != w {
			fmt.Fprintf(&b, "%d: got %s, want %s\n", i, g, w)
			if b.Len() > 2000 {
				break
			}
		}
	}
	return b.String()
}

// TestJoinSnapshotEveryCut snapshots the join after every call of a
// random stream, restores it into another join and goes on: see checkCuts.
func TestJoinSnapshotEveryCut(t *testing.T) {
	for _, f := range joinForms() {
		t.Run(f.name, func(t *testing.T) {
			steps := randomJoinStream(rand.New(rand.NewPCG(7, 7)), 40, 3, 2*time.Second)
			cuts := make([]int, len(steps)+1)
			for i := range cuts {
				cuts[i] = i
			}
			checkCuts(t, func() *jop {
				op, err := NewJoin(FullOuter, f.w, jrowKey, jrowKey, jresult, &JoinOptions[jrow, jrow]{Delay: 2 * time.Second})
				if err != nil {
					t.Fatal(err)
				}
				return op
			}, steps, cuts)
		})
	}
}

func TestJoinRestoreErrors(t *testing.T) {
	op, _ := NewJoin(LeftOuter, LeftWindow(Range(time.Minute)), jrowKey, jrowKey, jresult, nil)
	for _, in := range kdaJoinInput()[:5] {
		if err := op.Push(in, nil); err != nil {
			t.Fatal(err)
		}
	}
	snap, err := op.AppendSnapshot(nil)
	if err != nil {
		t.Fatal(err)
	}
	before, _ := op.AppendSnapshot(nil)

	other := []struct {
		name string
		typ  JoinType
		w    JoinWindow
		want string
	}{
		{"type", Inner, LeftWindow(Range(time.Minute)), "type is LEFT OUTER in the snapshot, INNER here"},
		{"window", LeftOuter, LeftWindow(Range(time.Second)), "left window is RANGE INTERVAL '1m0s' PRECEDING in the snapshot, RANGE INTERVAL '1s' PRECEDING here"},
		{"interval", LeftOuter, Interval(0, time.Minute), "lower is 0s here, absent in the snapshot"},
	}
	for _, c := range other {
		t.Run(c.name, func(t *testing.T) {
			o, _ := NewJoin(c.typ, c.w, jrowKey, jrowKey, jresult, nil)
			err := o.Restore(snap)
			if !errors.Is(err, ErrSnapshot) || !errors.Is(err, record.ErrSnapshot) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want an ErrSnapshot naming %q", err, c.want)
			}
		})
	}
	t.Run("other key type", func(t *testing.T) {
		o, _ := NewJoin(LeftOuter, LeftWindow(Range(time.Minute)), func(r jrow) int64 { return r.ID }, func(r jrow) int64 { return r.ID },
			jresult, nil)
		if err := o.Restore(snap); !errors.Is(err, ErrSnapshot) || !strings.Contains(err.Error(), "key is string in the snapshot, int64 here") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("delay may change", func(t *testing.T) {
		o, _ := NewJoin(LeftOuter, LeftWindow(Range(time.Minute)), jrowKey, jrowKey, jresult,
			&JoinOptions[jrow, jrow]{Delay: time.Hour, MaxRows: 1, OneClock: true})
		if err := o.Restore(snap); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("corrupt", func(t *testing.T) {
		for i := range snap {
			bad := slices.Clone(snap)
			bad[i] ^= 0x10
			if err := op.Restore(bad); !errors.Is(err, ErrSnapshot) {
				t.Fatalf("byte %d flipped: %v", i, err)
			}
		}
		for n := range len(snap) {
			if err := op.Restore(snap[:n]); !errors.Is(err, ErrSnapshot) {
				t.Fatalf("cut at %d: %v", n, err)
			}
		}
		after, _ := op.AppendSnapshot(nil)
		if string(after) != string(before) {
			t.Fatal("a failed Restore changed the join")
		}
	})
	t.Run("unencodable rows", func(t *testing.T) {
		type hidden struct {
			jrow
			secret int
		}
		key := func(h hidden) string { return h.Key }
		o, _ := NewJoin(Inner, LeftWindow(Rows(1)), key, key, func(*hidden, *hidden) int { return 0 }, nil)
		if _, err := o.AppendSnapshot(nil); !errors.Is(err, codec.ErrCodec) {
			t.Fatalf("got %v, want ErrCodec before any row is held", err)
		}
	})
}

func TestJoinInvalid(t *testing.T) {
	k := jrowKey
	cases := []struct {
		name string
		typ  JoinType
		w    JoinWindow
		o    *JoinOptions[jrow, jrow]
		nilF bool
	}{
		{"no window", Inner, JoinWindow{}, nil, false},
		{"negative rows", Inner, LeftWindow(Rows(-1)), nil, false},
		{"negative range", Inner, BothWindows(Range(time.Second), Range(-time.Second)), nil, false},
		{"interval reversed", Inner, Interval(time.Second, 0), nil, false},
		{"bad type", JoinType(9), LeftWindow(Rows(1)), nil, false},
		{"negative delay", Inner, LeftWindow(Rows(1)), &JoinOptions[jrow, jrow]{Delay: -1}, false},
		{"negative limit", Inner, LeftWindow(Rows(1)), &JoinOptions[jrow, jrow]{MaxRows: -1}, false},
		{"nil result", Inner, LeftWindow(Rows(1)), nil, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := jresult
			if c.nilF {
				f = nil
			}
			if _, err := NewJoin(c.typ, c.w, k, k, f, c.o); !errors.Is(err, ErrInvalid) {
				t.Fatalf("got %v, want ErrInvalid", err)
			}
		})
	}
}

func TestJoinStrings(t *testing.T) {
	for _, c := range []struct {
		got, want string
	}{
		{LeftWindow(Range(time.Minute)).String(), "left RANGE INTERVAL '1m0s' PRECEDING, right none"},
		{BothWindows(Rows(3), Range(0)).String(), "left ROWS 3 PRECEDING, right RANGE INTERVAL '0s' PRECEDING"},
		{Interval(-time.Second, 2*time.Second).String(), "interval [-1s, 2s]"},
		{FullOuter.String(), "FULL OUTER"},
		{JoinType(7).String(), "JoinType(7)"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

// TestJoinRefusals checks that a refused row leaves the join exactly as
// it was: its snapshot does not change.
func TestJoinRefusals(t *testing.T) {
	op, _ := NewJoin(LeftOuter, BothWindows(Range(10*time.Second), Range(10*time.Second)), jrowKey, jrowKey, jresult,
		&JoinOptions[jrow, jrow]{MaxKeys: 2, MaxRows: 4, RefuseLate: true, Delay: time.Second})
	at := func(s int) record.Time { return record.Time(time.Duration(s) * time.Second) }
	for i, r := range []jrow{{at(10), "a", 1}, {at(11), "b", 2}, {at(12), "a", 3}} {
		if err := op.Push(Either[jrow, jrow]{Left: r, IsRight: i == 1, Right: r}, nil); err != nil {
			t.Fatal(err)
		}
	}
	before, _ := op.AppendSnapshot(nil)
	for _, c := range []struct {
		name string
		in   Either[jrow, jrow]
		want error
	}{
		{"late", FromLeft[jrow, jrow](jrow{at(5), "a", 4}), ErrLate},
		{"keys", FromRight[jrow, jrow](jrow{at(13), "c", 5}), ErrLimit},
	} {
		err := op.Push(c.in, func(record.Of[jout]) { t.Fatal("emitted") })
		if !errors.Is(err, c.want) || !errors.Is(err, record.ErrRefused) || !record.IsRefused(err) {
			t.Fatalf("%s: got %v", c.name, err)
		}
		if after, _ := op.AppendSnapshot(nil); string(after) != string(before) {
			t.Fatalf("%s: the refusal changed the join", c.name)
		}
	}
	if err := op.PushRight(jrow{at(13), "a", 6}, nil); err != nil {
		t.Fatal(err)
	}
	if err := op.PushLeft(jrow{at(14), "a", 7}, nil); !errors.Is(err, ErrLimit) || !record.IsRefused(err) {
		t.Fatalf("rows: got %v", err)
	}
	if err := op.Flush(nil); err != nil {
		t.Fatal(err)
	}
	for _, err := range []error{op.PushLeft(jrow{at(20), "a", 8}, nil), op.Advance(at(30), nil)} {
		if !errors.Is(err, record.ErrFlushed) || record.IsRefused(err) {
			t.Fatalf("after Flush: %v", err)
		}
	}
}

// TestJoinExpiresIdleKeys checks that the watermark drops the rows of keys
// that never recur and emits their unmatched rows, without new input for
// them.
func TestJoinExpiresIdleKeys(t *testing.T) {
	op, _ := NewJoin(LeftOuter, LeftWindow(Range(time.Minute)), jrowKey, jrowKey, jresult, &JoinOptions[jrow, jrow]{OneClock: true})
	var got []record.Of[jout]
	emit := func(r record.Of[jout]) { got = append(got, r) }
	for i := range 1000 {
		r := jrow{T: record.Time(i) * record.Time(time.Second), Key: fmt.Sprint(i), ID: int64(i + 1)}
		if err := op.PushLeft(r, emit); err != nil {
			t.Fatal(err)
		}
	}
	st := op.Stats()
	if st.Keys != 61 || st.OpenWindows != 61 {
		t.Fatalf("keys %d, rows %d held, want 61 (those of the last minute)", st.Keys, st.OpenWindows)
	}
	if len(got) != 1000-61 || got[0].Time != record.Time(time.Minute) || got[0].Value.L != 1 {
		t.Fatalf("%d unmatched rows emitted, first %v", len(got), got[0])
	}
	if err := op.Advance(record.Time(2000*time.Second), emit); err != nil {
		t.Fatal(err)
	}
	if st := op.Stats(); st.Keys != 0 || len(got) != 1000 {
		t.Fatalf("after Advance: %d keys, %d emitted", st.Keys, len(got))
	}
}

// TestJoinThen composes a join with a windowed aggregate: the matches per
// 10-second tumbling window.
func TestJoinThen(t *testing.T) {
	op, _ := NewJoin(Inner, BothWindows(Range(time.Minute), Range(time.Minute)), jrowKey, jrowKey, jresult,
		&JoinOptions[jrow, jrow]{OneClock: true})
	count := countOf[record.Of[jout]]{}
	agg, err := Aggregate(Step(10*time.Second), func(record.Of[jout]) struct{} { return struct{}{} }, count, nil)
	if err != nil {
		t.Fatal(err)
	}
	q := record.Then[Either[jrow, jrow]](op, agg)
	var got []Result[struct{}, int64]
	emit := func(r Result[struct{}, int64]) { got = append(got, r) }
	for _, in := range kdaJoinInput() {
		if err := q.Push(in, emit); err != nil {
			t.Fatal(err)
		}
	}
	if err := q.Flush(emit); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Value != 2 || got[0].Start != record.Time(10*time.Hour+40*time.Second) {
		t.Fatalf("got %v", got)
	}
}

func TestJoinAllocs(t *testing.T) {
	for _, typ := range []JoinType{Inner, LeftOuter} {
		op, _ := NewJoin(typ, BothWindows(Range(time.Minute), Range(time.Minute)),
			tickKey, tickKey, benchResult, nil)
		g := newJoinBenchGen(time.Minute)
		for range 100_000 {
			g.push(op)
		}
		if n := testing.AllocsPerRun(10_000, func() { g.push(op) }); n != 0 {
			t.Errorf("%v: %v allocations per row", typ, n)
		}
	}
}

func FuzzJoinRestore(f *testing.F) {
	newOp := func() *jop {
		op, _ := NewJoin(FullOuter, BothWindows(Rows(2), Range(5*time.Second)), jrowKey, jrowKey, jresult,
			&JoinOptions[jrow, jrow]{Delay: 2 * time.Second})
		return op
	}
	rng := rand.New(rand.NewPCG(1, 2))
	steps := randomJoinStream(rng, 30, 3, 2*time.Second)
	op := newOp()
	for i, s := range steps {
		_ = apply(op, s, nil)
		if i%6 == 0 {
			snap, _ := op.AppendSnapshot(nil)
			f.Add(snap, false)
			body, _ := record.OpenSnapshot(snap, op.descriptor())
			f.Add(slices.Clone(body), true)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, wrap bool) {
		op := newOp()
		if wrap { // the body alone, in a valid envelope
			data = record.EndSnapshot(append(record.BeginSnapshot(nil, op.descriptor()), data...), 0)
		}
		if !restoreFuzzed(t, op, newOp, data) {
			return
		}
		// It must go on working.
		var last record.Time = record.MinTime
		emit := func(r record.Of[jout]) {
			if r.Time < last {
				t.Fatalf("result at %v after %v", r.Time, last)
			}
			last = r.Time
		}
		wm := op.Stats().Watermark
		for i := range 5 {
			_ = op.Push(FromRight[jrow, jrow](jrow{T: max(wm, 0) + record.Time(i), Key: "k1", ID: 99}), emit)
		}
		_ = op.Flush(emit)
	})
}
