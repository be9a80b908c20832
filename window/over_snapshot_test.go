package window

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/rowtime/rowtime/aggregate"
	"github.com/rowtime/rowtime/record"
)

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
	n, extra := 1500, 5 // records, and cut points at random
	if testing.Short() {
		n, extra = 300, 1
	}
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
		t.Run(c.name+"/nokey", func(t *testing.T) { overCuts(overList{})(t, nil, opts, c.frames, events, cuts) })
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
	return record.AppendBinary(dst, *a)
}

func (c *overCodecSum) ReadState(a *overSumAcc, src []byte) (int, error) {
	c.read++
	return record.ReadBinary(src, a)
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
		if err := dst.Restore(data); err == nil {
			if err := dst.Restore(before); err != nil {
				t.Fatal(err)
			}
			return
		} else if !errors.Is(err, ErrSnapshot) {
			t.Fatalf("error %v does not wrap ErrSnapshot", err)
		}
		after, _ := dst.AppendSnapshot(nil)
		if !bytes.Equal(before, after) {
			t.Fatalf("a failed Restore changed the operator")
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
		before, _ := op.AppendSnapshot(nil)
		if err := op.Restore(data); err != nil {
			after, _ := op.AppendSnapshot(nil)
			if !bytes.Equal(before, after) {
				t.Fatal("a failed Restore changed the operator")
			}
			return
		}
		snap, err := op.AppendSnapshot(nil)
		if err != nil {
			t.Fatal(err)
		}
		op2 := mk()
		if err := op2.Restore(snap); err != nil {
			t.Fatalf("restoring a re-snapshot: %v", err)
		}
		again, _ := op2.AppendSnapshot(nil)
		if !bytes.Equal(again, snap) {
			t.Fatal("snapshot does not round-trip")
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
	x int64 // skipped by record.AppendBinary
}

func (r overHidden) EventTime() record.Time { return r.T }

type overHiddenCodec struct {
	overHidden
}

func (r overHiddenCodec) MarshalBinary() ([]byte, error) {
	return record.AppendBinary(nil, [2]int64{int64(r.T), r.x})
}

func (r *overHiddenCodec) UnmarshalBinary(b []byte) error {
	var v [2]int64
	if _, err := record.ReadBinary(b, &v); err != nil {
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
	op := must(NewOver[overHidden, struct{}](nil, count, nil, Rows(3)))
	op.Push(overHidden{T: 1, x: 5}, nil)
	if _, err := op.AppendSnapshot(nil); !errors.Is(err, record.ErrCodec) {
		t.Errorf("AppendSnapshot of a record with unexported fields: %v, want ErrCodec", err)
	}

	mk := func() *Over[overHiddenCodec, struct{}, int64] {
		return must(NewOver[overHiddenCodec, struct{}](nil, overHiddenSum{}, nil, Rows(1)))
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
	b.Push(overHiddenCodec{overHidden{T: 2, x: 7}}, func(r Row[overHiddenCodec, int64]) { got = r.Value })
	if got != 12 {
		t.Errorf("sum after restore = %d, want 12", got)
	}
	// An accumulator with unexported fields and no StateCodec.
	hs := must(NewOver[overRec, struct{}](nil, overHiddenAcc{}, nil, Rows(1)))
	hs.Push(overRec{T: 1, X: 3}, nil)
	if _, err := hs.AppendSnapshot(nil); !errors.Is(err, record.ErrCodec) {
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
