package window

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rowtime/rowtime/record"
)

// rec is the record of the tests and benchmarks: a time, a key and a value.
type rec[K comparable, V any] struct {
	T   record.Time
	Key K
	V   V
}

func (r rec[K, V]) EventTime() record.Time { return r.T }

func recKey[K comparable, V any](r rec[K, V]) K { return r.Key }
func recV[K comparable, V any](r rec[K, V]) V   { return r.V }

// tev is the record of most tests: a string key and an integer value. Its
// shape is in the snapshots the golden scripts measure.
type tev = rec[string, int64]

func tevKey(e tev) string { return e.Key }

// weatherRows is the WEATHER stream of KDA's reference: the key is the city,
// the value the temperature.
func weatherRows() []tev {
	rows := []struct {
		t    string
		city string
		temp int64
	}{
		{"2018-11-01 01:00", "Denver", 29}, {"2018-11-01 01:00", "Anchorage", 2}, {"2018-11-01 06:00", "Miami", 65},
		{"2018-11-01 07:00", "Denver", 32}, {"2018-11-01 09:00", "Anchorage", 9}, {"2018-11-01 13:00", "Denver", 50},
		{"2018-11-01 17:00", "Anchorage", 10}, {"2018-11-01 18:00", "Miami", 71}, {"2018-11-01 19:00", "Denver", 43},
		{"2018-11-02 01:00", "Anchorage", 4}, {"2018-11-02 01:00", "Denver", 39}, {"2018-11-02 07:00", "Denver", 46},
		{"2018-11-02 09:00", "Anchorage", 3}, {"2018-11-02 13:00", "Denver", 56}, {"2018-11-02 17:00", "Anchorage", 2},
		{"2018-11-02 19:00", "Denver", 50}, {"2018-11-03 01:00", "Denver", 36}, {"2018-11-03 01:00", "Anchorage", 1},
	}
	out := make([]tev, len(rows))
	for i, r := range rows {
		out[i] = tev{utc(r.t + ":00"), r.city, r.temp}
	}
	return out
}

// snapshotter is what the operators have for snapshots.
type snapshotter interface {
	AppendSnapshot([]byte) ([]byte, error)
	Restore([]byte) error
}

// operator is what the operators of the package have in common.
type operator[In, Out any] interface {
	record.Operator[In, Out]
	snapshotter
	Stats() Stats
}

// step is one call of a test stream: a record pushed or, when advance is
// set, the watermark raised to wm.
type step[R any] struct {
	advance bool
	wm      record.Time
	r       R
}

// pushes is the stream that pushes recs.
func pushes[R any](recs []R) []step[R] {
	out := make([]step[R], len(recs))
	for i, r := range recs {
		out[i] = step[R]{r: r}
	}
	return out
}

// apply makes the call of s on op.
func apply[In, Out any](op record.Operator[In, Out], s step[In], emit func(Out)) error {
	if s.advance {
		return op.Advance(s.wm, emit)
	}
	return op.Push(s.r, emit)
}

// feed makes the calls of steps on op, up to the first error.
func feed[In, Out any](op record.Operator[In, Out], steps []step[In], emit func(Out)) error {
	for _, s := range steps {
		if err := apply(op, s, emit); err != nil {
			return err
		}
	}
	return nil
}

// mustFeed makes the calls of steps on op, discarding the results.
func mustFeed[In, Out any](t testing.TB, op record.Operator[In, Out], steps []step[In]) {
	t.Helper()
	if err := feed(op, steps, nil); err != nil {
		t.Fatal(err)
	}
}

// checkCuts runs steps through an operator from newOp uninterrupted, then
// again cut at each of cuts: there the operator is snapshotted and the
// snapshot restored into another one, which had state of its own, to go on.
// After the restore the stats and a new snapshot are those of the operator
// snapshotted; at the end the results, the stats and the snapshot are those
// of the uninterrupted run, and so are the results and stats after Flush.
// Results are compared as fmt prints them when emitted.
func checkCuts[In, Out any, O operator[In, Out]](t *testing.T, newOp func() O, steps []step[In], cuts []int) {
	t.Helper()
	run := func(op O, steps []step[In], out *[]string) {
		t.Helper()
		if err := feed(op, steps, func(o Out) { *out = append(*out, fmt.Sprint(o)) }); err != nil {
			t.Fatal(err)
		}
	}
	flush := func(op O, out *[]string) Stats {
		t.Helper()
		if err := op.Flush(func(o Out) { *out = append(*out, fmt.Sprint(o)) }); err != nil {
			t.Fatal(err)
		}
		return statsOf(op)
	}
	var want []string
	whole := newOp()
	run(whole, steps, &want)
	wantStats, wantSnap := statsOf(whole), snapshotOf(t, whole, nil)
	wantFlushed := flush(whole, &want)
	for _, cut := range cuts {
		var got []string
		a := newOp()
		run(a, steps[:cut], &got)
		snap := snapshotOf(t, a, []byte("prefix"))
		if !bytes.HasPrefix(snap, []byte("prefix")) {
			t.Fatal("AppendSnapshot did not append")
		}
		snap = snap[len("prefix"):]
		b := newOp()
		run(b, steps[:cut/2], new([]string)) // state that Restore replaces
		if err := b.Restore(snap); err != nil {
			t.Fatalf("cut %d: %v", cut, err)
		}
		if sa, sb := statsOf(a), statsOf(b); sa != sb {
			t.Fatalf("cut %d: stats %+v, restored %+v", cut, sa, sb)
		}
		if again := snapshotOf(t, b, nil); !bytes.Equal(again, snap) {
			t.Fatalf("cut %d: the restored operator snapshots differently", cut)
		}
		run(b, steps[cut:], &got)
		if st := statsOf(b); st != wantStats {
			t.Fatalf("cut %d: stats at the end %+v, want %+v", cut, st, wantStats)
		}
		if final := snapshotOf(t, b, nil); !bytes.Equal(final, wantSnap) {
			t.Fatalf("cut %d: the snapshot at the end differs from the uninterrupted run's", cut)
		}
		if st := flush(b, &got); st != wantFlushed {
			t.Fatalf("cut %d: stats after Flush %+v, want %+v", cut, st, wantFlushed)
		}
		if !slices.Equal(got, want) {
			for i := range min(len(got), len(want)) {
				if got[i] != want[i] {
					t.Fatalf("cut %d: result %d is %s, want %s", cut, i, got[i], want[i])
				}
			}
			t.Fatalf("cut %d: %d results, want %d", cut, len(got), len(want))
		}
	}
}

// restoreChecked restores data into op and returns the error of Restore,
// having checked that it wraps ErrSnapshot and left op as it was.
func restoreChecked(t *testing.T, op snapshotter, data []byte) error {
	t.Helper()
	before := snapshotOf(t, op, nil)
	err := op.Restore(data)
	if err != nil {
		if !errors.Is(err, ErrSnapshot) {
			t.Fatalf("Restore: %v does not wrap ErrSnapshot", err)
		}
		if after := snapshotOf(t, op, nil); !bytes.Equal(before, after) {
			t.Fatal("a failed Restore changed the operator")
		}
	}
	return err
}

// restored returns an operator from newOp restored from a snapshot of op,
// and the snapshot's size.
func restored[O snapshotter](t *testing.T, op O, newOp func() O) (O, int) {
	t.Helper()
	snap := snapshotOf(t, op, nil)
	op = newOp()
	if err := op.Restore(snap); err != nil {
		t.Fatal(err)
	}
	return op, len(snap)
}

// sized returns n, or short under go test -short.
func sized(n, short int) int {
	if testing.Short() {
		return short
	}
	return n
}

// must returns v, or panics with err.
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// statsOf is op's Stats but StateBytes, which counts capacities that a
// restored operator sizes tighter.
func statsOf(op interface{ Stats() Stats }) Stats {
	s := op.Stats()
	s.StateBytes = 0
	return s
}

// snapshotOf appends op's snapshot to dst.
func snapshotOf(t *testing.T, op snapshotter, dst []byte) []byte {
	t.Helper()
	snap, err := op.AppendSnapshot(dst)
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

// tevSum sums V exactly.
type tevSum struct{}

func (tevSum) Add(a *int64, r tev)    { *a += r.V }
func (tevSum) Merge(dst, src *int64)  { *dst += *src }
func (tevSum) Result(a *int64) int64  { return *a }
func (tevSum) Remove(a *int64, r tev) { *a -= r.V }

// tevMax keeps the largest V; the zero state is empty.
type tevMaxState struct {
	V   int64
	Set bool
}

type tevMax struct{}

func (tevMax) Add(a *tevMaxState, r tev) {
	if !a.Set || r.V > a.V {
		*a = tevMaxState{r.V, true}
	}
}

func (tevMax) Merge(dst, src *tevMaxState) {
	if src.Set && (!dst.Set || src.V > dst.V) {
		*dst = *src
	}
}

func (tevMax) Result(a *tevMaxState) int64 { return a.V }

// tevList lists the values in merge order. Its state holds a slice, so it
// also catches an operator that merges into a shallow copy it does not own.
type tevList struct{}

func (tevList) Add(a *[]int64, r tev)   { *a = append(*a, r.V) }
func (tevList) Merge(dst, src *[]int64) { *dst = append(*dst, *src...) }
func (tevList) Result(a *[]int64) string {
	var b strings.Builder
	for i, v := range *a {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprint(&b, v)
	}
	return b.String()
}

// countOf counts records. Unlike aggregate.Count it cannot subtract, so
// hopping windows merge their panes.
type countOf[R any] struct{}

func (countOf[R]) Add(a *int64, _ R)     { *a++ }
func (countOf[R]) Merge(d, s *int64)     { *d += *s }
func (countOf[R]) Result(a *int64) int64 { return *a }

// tevCounting is tevSum that counts its own calls.
type tevCounting struct{ calls *int }

func (c tevCounting) Add(a *int64, r tev)   { *c.calls++; *a += r.V }
func (c tevCounting) Merge(dst, src *int64) { *c.calls++; *dst += *src }
func (c tevCounting) Result(a *int64) int64 { return *a }

// collectTev runs op over recs, then flushes, and returns the results.
func collectTev[K comparable, V any](op *Agg[tev, K, V], recs []tev) ([]Result[K, V], error) {
	return record.Collect[tev, Result[K, V]](op, recs)
}

// fmtResults formats results compactly, times as durations since the epoch:
// "[0s,10s) a 1; [0s,10s) a 5 update".
func fmtResults[K, V any](rs []Result[K, V]) string {
	var b strings.Builder
	for i, r := range rs {
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "[%v,%v) %v %v", time.Duration(r.Start), time.Duration(r.End), r.Key, r.Value)
		if r.Update {
			b.WriteString(" update")
		}
	}
	return b.String()
}
