package window_test

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/rowtime/rowtime/aggregate"
	"github.com/rowtime/rowtime/distinct"
	"github.com/rowtime/rowtime/record"
	"github.com/rowtime/rowtime/record/codec"
	"github.com/rowtime/rowtime/window"
)

var contractAssigners = []window.Assigner{
	window.Step(10 * time.Second),
	window.Hop(10*time.Second, 5*time.Second),
	window.Session(5 * time.Second),
	window.Stagger(10 * time.Second),
}

func legacyKey(r legacyRec) string { return r.Key }

var legacySum = aggregate.Sum(func(r legacyRec) int64 { return r.V })

func newSum(t testing.TB, w window.Assigner, o *window.Options[legacyRec]) *window.Agg[legacyRec, string, int64] {
	t.Helper()
	op, err := window.Aggregate(w, legacyKey, legacySum, o)
	if err != nil {
		t.Fatal(err)
	}
	return op
}

func pushAll(t testing.TB, op *window.Agg[legacyRec, string, int64], in []legacyRec) {
	t.Helper()
	for _, r := range in {
		if err := op.Push(r, nil); err != nil {
			t.Fatal(err)
		}
	}
}

// TestRestoreMismatch restores snapshots into operators that store other
// state: each is an error naming both sides, and changes nothing.
func TestRestoreMismatch(t *testing.T) {
	in := legacyStream()[:100]
	src := newSum(t, window.Step(10*time.Second), nil)
	pushAll(t, src, in)
	snap, err := src.AppendSnapshot(nil)
	if err != nil {
		t.Fatal(err)
	}
	count, _ := window.Aggregate(window.Step(10*time.Second), legacyKey, aggregate.Count[legacyRec](), nil)
	intKey, _ := window.Aggregate(window.Step(10*time.Second), func(r legacyRec) int64 { return r.V },
		aggregate.Count[legacyRec](), nil)
	uintKey, _ := window.Aggregate(window.Step(10*time.Second), func(r legacyRec) uint64 { return uint64(r.V) },
		aggregate.Count[legacyRec](), nil)
	if err := intKey.Push(legacyRec{T: 1, V: -3}, nil); err != nil {
		t.Fatal(err)
	}
	intSnap, _ := intKey.AppendSnapshot(nil)
	over, _ := window.NewOver(legacyKey, legacySum, nil, window.Rows(2))
	for _, tc := range []struct {
		name       string
		op         snapshotter
		data       []byte
		both       [2]string // words of the two sides the error names
		constraint string
	}{
		{"Sum into Count", count, snap, [2]string{"Sum[int64]", "Count"}, "aggregate"},
		{"other step", newSum(t, window.Step(20*time.Second), nil), snap, [2]string{"STEP 10s", "STEP 20s"}, "assigner"},
		{"step into hop", newSum(t, window.Hop(10*time.Second, 5*time.Second), nil), snap, [2]string{"STEP 10s", "HOP 10s/5s"}, "assigner"},
		{"int64 key into uint64 key", uintKey, intSnap, [2]string{"int64", "uint64"}, "key"},
		{"Agg into Over", over, snap, [2]string{"window.Agg", "window.Over"}, ""},
		{"other schema", newSum(t, window.Step(10*time.Second), &window.Options[legacyRec]{Schema: "v2"}), snap, [2]string{"v2", "absent"}, "schema"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before, _ := tc.op.AppendSnapshot(nil)
			err := tc.op.Restore(tc.data)
			if !errors.Is(err, record.ErrSnapshot) || !errors.Is(err, window.ErrSnapshot) {
				t.Fatalf("Restore: %v, want record.ErrSnapshot", err)
			}
			for _, w := range tc.both {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not name %q", err, w)
				}
			}
			if !strings.Contains(err.Error(), tc.constraint) {
				t.Errorf("error %q does not name %q", err, tc.constraint)
			}
			if after, _ := tc.op.AppendSnapshot(nil); !bytes.Equal(before, after) {
				t.Error("a failed Restore changed the operator")
			}
		})
	}
}

// TestRestoreOtherSettings restores into operators with another Delay,
// Lateness and limits: the state is read, the watermark stays, the new
// settings apply to the records that come next.
func TestRestoreOtherSettings(t *testing.T) {
	in := legacyStream()
	for _, w := range contractAssigners {
		t.Run(w.String(), func(t *testing.T) {
			src := newSum(t, w, &window.Options[legacyRec]{Delay: 2 * time.Second, Lateness: 30 * time.Second})
			pushAll(t, src, in[:100])
			snap, err := src.AppendSnapshot(nil)
			if err != nil {
				t.Fatal(err)
			}
			st := src.Stats()

			// Delay 0: the watermark does not move back, nor jump ahead.
			dst := newSum(t, w, nil)
			if err := dst.Restore(snap); err != nil {
				t.Fatalf("Restore with another Delay and Lateness: %v", err)
			}
			if got := dst.Stats().Watermark; got != st.Watermark {
				t.Errorf("watermark %v after restore, want %v", got, st.Watermark)
			}
			if got := dst.Stats(); got.OpenWindows > st.OpenWindows || got.Records != st.Records {
				t.Errorf("stats %+v after restore with no lateness, from %+v", got, st)
			}
			// With Delay 0 the next record raises the watermark to its time.
			next := in[100]
			next.T = max(next.T, st.Watermark+record.Time(3*time.Second))
			if err := dst.Push(next, nil); err != nil {
				t.Fatal(err)
			}
			if got := dst.Stats().Watermark; got < st.Watermark {
				t.Errorf("watermark moved back to %v from %v", got, st.Watermark)
			}

			// A longer Delay: a record below what the old Delay allowed
			// does not move the watermark back.
			long := newSum(t, w, &window.Options[legacyRec]{Delay: time.Hour, Lateness: 30 * time.Second})
			if err := long.Restore(snap); err != nil {
				t.Fatal(err)
			}
			if err := long.Push(legacyRec{T: st.Watermark + 1, Key: "k1", V: 1}, nil); err != nil {
				t.Fatal(err)
			}
			if got := long.Stats().Watermark; got != st.Watermark {
				t.Errorf("watermark %v, want %v", got, st.Watermark)
			}

			// Limits below what is held: nothing is dropped, new keys are
			// refused, held keys go on.
			tight := newSum(t, w, &window.Options[legacyRec]{Delay: 2 * time.Second, Lateness: 30 * time.Second, MaxKeys: 1, MaxWindows: 1})
			if err := tight.Restore(snap); err != nil {
				t.Fatal(err)
			}
			if got := tight.Stats(); got.Keys != st.Keys || got.OpenWindows != st.OpenWindows {
				t.Fatalf("stats %+v after restore under tight limits, want those of %+v", got, st)
			}
			before, _ := tight.AppendSnapshot(nil)
			err = tight.Push(legacyRec{T: st.Watermark + 1, Key: "new", V: 1}, nil)
			if !errors.Is(err, window.ErrLimit) || !record.IsRefused(err) {
				t.Fatalf("Push of a new key over the limit: %v, want a refusal wrapping ErrLimit", err)
			}
			if after, _ := tight.AppendSnapshot(nil); !bytes.Equal(before, after) {
				t.Error("a refused record changed the operator")
			}
		})
	}
}

// TestRestoreShorterLateness restores into an operator with a shorter
// Lateness: the held windows it no longer covers go at once, without being
// emitted again, and a late record for one of them is late.
func TestRestoreShorterLateness(t *testing.T) {
	in := legacyStream()[:100]
	for _, w := range contractAssigners {
		t.Run(w.String(), func(t *testing.T) {
			src := newSum(t, w, &window.Options[legacyRec]{Lateness: time.Hour})
			pushAll(t, src, in)
			snap, _ := src.AppendSnapshot(nil)
			ref := newSum(t, w, nil)
			pushAll(t, ref, in)
			dst := newSum(t, w, nil)
			if err := dst.Restore(snap); err != nil {
				t.Fatal(err)
			}
			got, want := dst.Stats(), ref.Stats()
			if got.OpenWindows != want.OpenWindows || got.Keys != want.Keys {
				t.Errorf("after restore without lateness: %d windows, %d keys; an operator that never had lateness holds %d, %d",
					got.OpenWindows, got.Keys, want.OpenWindows, want.Keys)
			}
			var emitted int
			late := legacyRec{T: in[0].T, Key: in[0].Key, V: 1}
			if err := dst.Push(late, func(window.Result[string, int64]) { emitted++ }); err != nil {
				t.Fatal(err)
			}
			if emitted != 0 || dst.Stats().Late != got.Late+1 {
				t.Errorf("a record of a dropped window: %d results, late %d (was %d)", emitted, dst.Stats().Late, got.Late)
			}
		})
	}
}

// TestSnapshotBitFlips flips every bit of snapshots, one at a time: the
// checksum catches each.
func TestSnapshotBitFlips(t *testing.T) {
	in := legacyStream()[:60]
	for _, w := range contractAssigners {
		op := newSum(t, w, &window.Options[legacyRec]{Delay: time.Second, Lateness: 3 * time.Second})
		pushAll(t, op, in)
		snap, err := op.AppendSnapshot(nil)
		if err != nil {
			t.Fatal(err)
		}
		dst := newSum(t, w, &window.Options[legacyRec]{Delay: time.Second, Lateness: 3 * time.Second})
		undetected := 0
		for i := range 8 * len(snap) {
			bad := bytes.Clone(snap)
			bad[i/8] ^= 1 << (i % 8)
			if err := dst.Restore(bad); err == nil {
				undetected++
			} else if !errors.Is(err, record.ErrSnapshot) {
				t.Fatalf("%v: flip %d: %v, want record.ErrSnapshot", w, i, err)
			}
		}
		if undetected != 0 {
			t.Errorf("%v: %d of %d single-bit flips restored without error", w, undetected, 8*len(snap))
		}
	}
}

type hiddenKey struct {
	Name  string
	count int
}

type hiddenRec struct {
	T     record.Time
	Key   string
	inner int
}

func (r hiddenRec) EventTime() record.Time { return r.T }

// TestSnapshotRefusesTypes checks the one codec rule: a stored type that
// cannot round-trip is refused by the first AppendSnapshot, before any
// state is written, whether or not a value is held, never at construction.
func TestSnapshotRefusesTypes(t *testing.T) {
	t.Run("key", func(t *testing.T) {
		op, err := window.Aggregate(window.Step(time.Second), func(r legacyRec) hiddenKey { return hiddenKey{r.Key, 1} },
			aggregate.Count[legacyRec](), nil)
		if err != nil {
			t.Fatalf("construction: %v", err)
		}
		if _, err := op.AppendSnapshot(nil); !errors.Is(err, codec.ErrCodec) {
			t.Fatalf("AppendSnapshot of an empty operator: %v, want codec.ErrCodec", err)
		}
		if err := op.Push(legacyRec{T: 1, Key: "a"}, nil); err != nil {
			t.Fatal(err)
		}
		dst := []byte("head")
		out, err := op.AppendSnapshot(dst)
		if !errors.Is(err, codec.ErrCodec) || string(out) != "head" {
			t.Fatalf("AppendSnapshot: %q, %v; want dst unchanged and codec.ErrCodec", out, err)
		}
	})
	t.Run("buffered record", func(t *testing.T) {
		op, err := window.Aggregate(window.Session(time.Second), func(r hiddenRec) string { return r.Key },
			aggregate.Count[hiddenRec](), &window.Options[hiddenRec]{Delay: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := op.AppendSnapshot(nil); !errors.Is(err, codec.ErrCodec) {
			t.Fatalf("AppendSnapshot: %v, want codec.ErrCodec", err)
		}
		// Tumbling windows store no record: the same type is fine there.
		tum, _ := window.Aggregate(window.Step(time.Second), func(r hiddenRec) string { return r.Key },
			aggregate.Count[hiddenRec](), nil)
		if err := tum.Push(hiddenRec{T: 1, Key: "a", inner: 3}, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := tum.AppendSnapshot(nil); err != nil {
			t.Fatalf("AppendSnapshot of windows that hold no record: %v", err)
		}
	})
	t.Run("Over row", func(t *testing.T) {
		op, err := window.NewOver(func(r hiddenRec) string { return r.Key }, aggregate.Count[hiddenRec](), nil, window.Rows(1))
		if err != nil {
			t.Fatalf("construction: %v", err)
		}
		if err := op.Push(hiddenRec{T: 1, Key: "a"}, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := op.AppendSnapshot(nil); !errors.Is(err, codec.ErrCodec) {
			t.Fatalf("AppendSnapshot: %v, want codec.ErrCodec", err)
		}
	})
}

// TestFlushEndsInput: after Flush, Push and Advance are errors, not late
// records, and not refusals.
func TestFlushEndsInput(t *testing.T) {
	check := func(t *testing.T, push func() error, advance func() error, flush func() error, late func() uint64) {
		t.Helper()
		if err := flush(); err != nil {
			t.Fatal(err)
		}
		n := late()
		for name, f := range map[string]func() error{"Push": push, "Advance": advance} {
			err := f()
			if !errors.Is(err, record.ErrFlushed) || record.IsRefused(err) {
				t.Errorf("%s after Flush: %v, want record.ErrFlushed", name, err)
			}
		}
		if late() != n {
			t.Error("a record after Flush was counted late")
		}
		if err := flush(); err != nil {
			t.Errorf("a second Flush: %v", err)
		}
	}
	for _, w := range contractAssigners {
		t.Run(w.String(), func(t *testing.T) {
			op := newSum(t, w, nil)
			pushAll(t, op, legacyStream()[:20])
			check(t, func() error { return op.Push(legacyRec{T: record.MaxTime - record.Time(time.Hour), Key: "x"}, nil) },
				func() error { return op.Advance(record.MaxTime, nil) }, func() error { return op.Flush(nil) },
				func() uint64 { return op.Stats().Late })
			// A snapshot after Flush restores a flushed operator.
			snap, err := op.AppendSnapshot(nil)
			if err != nil {
				t.Fatal(err)
			}
			dst := newSum(t, w, nil)
			if err := dst.Restore(snap); err != nil {
				t.Fatal(err)
			}
			if err := dst.Push(legacyRec{T: 1, Key: "x"}, nil); !errors.Is(err, record.ErrFlushed) {
				t.Errorf("Push into a restored flushed operator: %v, want record.ErrFlushed", err)
			}
		})
	}
	t.Run("Over", func(t *testing.T) {
		op, _ := window.NewOver(legacyKey, legacySum, nil, window.Rows(1))
		check(t, func() error { return op.Push(legacyRec{T: 50, Key: "x"}, nil) },
			func() error { return op.Advance(100, nil) }, func() error { return op.Flush(nil) },
			func() uint64 { return op.Stats().Late })
	})
	t.Run("TopK", func(t *testing.T) {
		op, _ := window.TopKItems(window.Step(time.Second), 2, legacyKey, nil)
		check(t, func() error { return op.Push(legacyRec{T: 50, Key: "x"}, nil) },
			func() error { return op.Advance(100, nil) }, func() error { return op.Flush(nil) },
			func() uint64 { return op.Stats().Late })
	})
}

// TestRefusalsChangeNothing: every refusal wraps record.ErrRefused and
// leaves the operator as it was.
func TestRefusalsChangeNothing(t *testing.T) {
	for _, w := range contractAssigners {
		t.Run(w.String(), func(t *testing.T) {
			op, err := window.Aggregate(w, func(r legacyRec) float64 {
				if r.Key == "nan" {
					return math.NaN()
				}
				return float64(len(r.Key))
			}, legacySum, &window.Options[legacyRec]{Delay: time.Second, MaxKeys: 2})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range []legacyRec{{T: 1, Key: "a"}, {T: 2, Key: "bb"}} {
				if err := op.Push(r, nil); err != nil {
					t.Fatal(err)
				}
			}
			for _, tc := range []struct {
				r    legacyRec
				want error
			}{
				{legacyRec{T: 3, Key: "ccc"}, window.ErrLimit},
				{legacyRec{T: 3, Key: "nan"}, window.ErrKey},
				{legacyRec{T: record.MaxTime, Key: "a"}, window.ErrOverflow},
			} {
				before, _ := op.AppendSnapshot(nil)
				st := op.Stats()
				err := op.Push(tc.r, nil)
				if !errors.Is(err, tc.want) || !record.IsRefused(err) || !errors.Is(err, record.ErrRefused) {
					t.Errorf("Push(%+v): %v, want a refusal wrapping %v", tc.r, err, tc.want)
				}
				if after, _ := op.AppendSnapshot(nil); !bytes.Equal(before, after) || op.Stats() != st {
					t.Errorf("Push(%+v) refused, but changed the operator", tc.r)
				}
			}
		})
	}
}

// TestNaNKeysReleased: NaN keys are refused, so no key that the map cannot
// find again is held, and after Flush no key is held at all.
func TestNaNKeysReleased(t *testing.T) {
	key := func(r legacyRec) float64 {
		if r.V%2 == 0 {
			return math.NaN()
		}
		return float64(r.V)
	}
	for _, w := range contractAssigners {
		t.Run(w.String(), func(t *testing.T) {
			op, err := window.Aggregate(w, key, legacySum, &window.Options[legacyRec]{Delay: time.Second})
			if err != nil {
				t.Fatal(err)
			}
			refused := 0
			for _, r := range legacyStream() {
				if err := op.Push(r, nil); errors.Is(err, window.ErrKey) {
					refused++
				} else if err != nil {
					t.Fatal(err)
				}
			}
			if refused == 0 {
				t.Fatal("no NaN key refused")
			}
			if k := op.Stats().Keys; k > 7 {
				t.Errorf("%d keys held; there are 7 non-NaN values", k)
			}
			if err := op.Flush(nil); err != nil {
				t.Fatal(err)
			}
			if st := op.Stats(); st.Keys != 0 || st.OpenWindows != 0 {
				t.Errorf("after Flush: %d keys, %d windows held", st.Keys, st.OpenWindows)
			}
		})
	}
	t.Run("Over", func(t *testing.T) {
		op, _ := window.NewOver(key, legacySum, nil, window.Range(time.Second))
		for _, r := range legacyStream()[:20] {
			if err := op.Push(r, nil); err != nil && !errors.Is(err, window.ErrKey) {
				t.Fatal(err)
			}
		}
		if k := op.Stats().Keys; k > 7 {
			t.Errorf("%d partitions held", k)
		}
	})
}

// TestNilEmit: a nil emit discards results, for every operator and call.
func TestNilEmit(t *testing.T) {
	in := legacyStream()
	for _, w := range contractAssigners {
		op := newSum(t, w, &window.Options[legacyRec]{Lateness: 10 * time.Second})
		pushAll(t, op, in[:150])
		if err := op.Advance(in[150].T, nil); err != nil {
			t.Fatal(err)
		}
		pushAll(t, op, in[150:])
		if err := op.Flush(nil); err != nil {
			t.Fatal(err)
		}
		if op.Stats().Emitted == 0 {
			t.Errorf("%v: nothing emitted", w)
		}
	}
	top, _ := window.TopKItems(window.Step(time.Second), 2, legacyKey, nil)
	for _, r := range in {
		if err := top.Push(r, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := top.Flush(nil); err != nil || top.Stats().Emitted == 0 {
		t.Errorf("TopK: %v, %d emitted", err, top.Stats().Emitted)
	}
}

type legacyRec struct {
	T   record.Time
	Key string
	V   int64
}

func (r legacyRec) EventTime() record.Time { return r.T }

// legacyStream is the input of the snapshots in testdata/legacy: 200
// records over 5 keys, slightly out of order.
func legacyStream() []legacyRec {
	out := make([]legacyRec, 200)
	for i := range out {
		out[i] = legacyRec{
			T:   record.Time(i)*record.Time(700*time.Millisecond) - record.Time((i*7919)%3)*record.Time(400*time.Millisecond),
			Key: fmt.Sprintf("k%d", i%5),
			V:   int64(i % 13),
		}
	}
	return out
}

type snapshotter interface {
	AppendSnapshot([]byte) ([]byte, error)
	Restore([]byte) error
}

// legacyCase builds an operator like the one that wrote a snapshot in
// testdata/legacy (by the release before the snapshot envelope), and runs
// records through it, collecting its output as strings.
type legacyCase struct {
	file string
	// build returns a fresh operator, a push and a flush that append what
	// they emit to out.
	build func(out *[]string) (op snapshotter, push func(legacyRec) error, flush func() error)
}

func legacyCases(t *testing.T) []legacyCase {
	key := func(r legacyRec) string { return r.Key }
	sum := aggregate.Sum(func(r legacyRec) int64 { return r.V })
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	agg := func(file string, w window.Assigner) legacyCase {
		return legacyCase{file, func(out *[]string) (snapshotter, func(legacyRec) error, func() error) {
			op, err := window.Aggregate(w, key, sum, &window.Options[legacyRec]{Delay: time.Second, Lateness: 3 * time.Second})
			must(err)
			emit := func(r window.Result[string, int64]) { *out = append(*out, fmt.Sprint(r)) }
			return op, func(r legacyRec) error { return op.Push(r, emit) }, func() error { return op.Flush(emit) }
		}}
	}
	return []legacyCase{
		agg("agg_step.snap", window.Step(10*time.Second)),
		agg("agg_hop.snap", window.Hop(10*time.Second, 5*time.Second)),
		agg("agg_session.snap", window.Session(5*time.Second)),
		{"over.snap", func(out *[]string) (snapshotter, func(legacyRec) error, func() error) {
			op, err := window.NewOver(key, sum, &window.Options[legacyRec]{Delay: time.Second}, window.Rows(2), window.Range(5*time.Second))
			must(err)
			emit := func(r window.OverRow[legacyRec, int64]) { *out = append(*out, fmt.Sprint(r.Record, r.Values)) }
			return op, func(r legacyRec) error { return op.Push(r, emit) }, func() error { return op.Flush(emit) }
		}},
		{"topk.snap", func(out *[]string) (snapshotter, func(legacyRec) error, func() error) {
			op, err := window.TopKItems(window.Step(10*time.Second), 2, func(r legacyRec) int64 { return r.V % 4 },
				&window.TopKOptions[legacyRec]{Options: window.Options[legacyRec]{Delay: time.Second}})
			must(err)
			emit := func(r window.TopKItem[window.NoKey, int64]) { *out = append(*out, fmt.Sprint(r)) }
			return op, func(r legacyRec) error { return op.Push(r, emit) }, func() error { return op.Flush(emit) }
		}},
	}
}

// TestLegacySnapshots restores snapshots written by the release before the
// snapshot envelope (no descriptor, no checksum) and checks that the
// operator goes on as one that never stopped: upgrading does not lose
// state.
func TestLegacySnapshots(t *testing.T) {
	in := legacyStream()
	for _, c := range legacyCases(t) {
		t.Run(c.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", "legacy", c.file))
			if err != nil {
				t.Fatal(err)
			}
			// The output after the cut, from an uninterrupted run.
			var want, got, before []string
			_, push, flush := c.build(&want)
			for _, r := range in {
				if err := push(r); err != nil {
					t.Fatal(err)
				}
			}
			if err := flush(); err != nil {
				t.Fatal(err)
			}
			_, push, _ = c.build(&before)
			for _, r := range in[:100] {
				if err := push(r); err != nil {
					t.Fatal(err)
				}
			}
			want = want[len(before):]

			op, push, flush := c.build(&got)
			if err := op.Restore(data); err != nil {
				t.Fatalf("Restore of a legacy snapshot: %v", err)
			}
			for _, r := range in[100:] {
				if err := push(r); err != nil {
					t.Fatal(err)
				}
			}
			if err := flush(); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("output after restoring a legacy snapshot (-uninterrupted +restored):\n%s", diff)
			}
			// A new snapshot is in the envelope, and restores.
			snap, err := op.AppendSnapshot(nil)
			if err != nil {
				t.Fatal(err)
			}
			if record.IsLegacySnapshot(snap) {
				t.Error("a new snapshot is in the legacy format")
			}
			if err := op.Restore(snap); err != nil {
				t.Error(err)
			}
		})
	}
	t.Run("other assigner", func(t *testing.T) {
		data, err := os.ReadFile(filepath.Join("testdata", "legacy", "agg_step.snap"))
		if err != nil {
			t.Fatal(err)
		}
		op, _ := window.Aggregate(window.Step(20*time.Second), func(r legacyRec) string { return r.Key },
			aggregate.Sum(func(r legacyRec) int64 { return r.V }), nil)
		if err := op.Restore(data); !errors.Is(err, record.ErrSnapshot) {
			t.Fatalf("Restore into another assigner: %v, want record.ErrSnapshot", err)
		}
	})
}

// TestWatermarkAfterFlush checks that every windowed operator reports the
// same watermark after Flush, record.MaxTime (Flush is the end of input:
// Advance(record.MaxTime) for windows, the release of everything held for
// OVER windows and joins), and the pushed time before it.
func TestWatermarkAfterFlush(t *testing.T) {
	type ev struct {
		T record.Time
		K string
	}
	cnt := aggregate.Count[record.Of[ev]]()
	okey := func(o record.Of[ev]) string { return o.Value.K }
	type op interface {
		push(record.Of[ev]) error
		flush() error
		watermark() record.Time
	}
	mk := func(push func(record.Of[ev]) error, flush func() error, wm func() record.Time) op {
		return flushProbe[record.Of[ev]]{push, flush, wm}
	}
	var ops []struct {
		name string
		op   op
	}
	add := func(name string, o op, err error) {
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		ops = append(ops, struct {
			name string
			op   op
		}{name, o})
	}
	for _, w := range []window.Assigner{window.Step(time.Second), window.Hop(2*time.Second, time.Second), window.Session(time.Second)} {
		a, err := window.Aggregate(w, okey, cnt, nil)
		add("Aggregate "+w.String(), mk(func(r record.Of[ev]) error { return a.Push(r, nil) }, func() error { return a.Flush(nil) }, func() record.Time { return a.Stats().Watermark }), err)
	}
	o, err := window.NewOver(okey, cnt, nil, window.Rows(2))
	add("Over", mk(func(r record.Of[ev]) error { return o.Push(r, nil) }, func() error { return o.Flush(nil) }, func() record.Time { return o.Stats().Watermark }), err)
	tk, err := window.TopKItems(window.Step(time.Second), 2, okey, nil)
	add("TopKItems", mk(func(r record.Of[ev]) error { return tk.Push(r, nil) }, func() error { return tk.Flush(nil) }, func() record.Time { return tk.Stats().Watermark }), err)
	d, err := distinct.CountItems(window.Step(time.Second), okey, nil)
	add("CountItems", mk(func(r record.Of[ev]) error { return d.Push(r, nil) }, func() error { return d.Flush(nil) }, func() record.Time { return d.Stats().Watermark }), err)
	j, err := window.NewJoin(window.LeftOuter, window.LeftWindow(window.Range(time.Second)), okey, okey,
		func(l, r *record.Of[ev]) int { return 1 }, nil)
	add("Join", mk(func(r record.Of[ev]) error {
		if err := j.PushLeft(r, nil); err != nil {
			return err
		}
		return j.PushRight(r, nil)
	}, func() error { return j.Flush(nil) }, func() record.Time { return j.Stats().Watermark }), err)
	for _, c := range ops {
		if err := c.op.push(record.At(5*record.Time(time.Second), ev{K: "a"})); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got := c.op.watermark(); got != 5*record.Time(time.Second) {
			t.Errorf("%s: watermark %v before Flush, want 5s", c.name, got)
		}
		if err := c.op.flush(); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got := c.op.watermark(); got != record.MaxTime {
			t.Errorf("%s: watermark %v after Flush, want record.MaxTime", c.name, got)
		}
	}
}

type flushProbe[R any] struct {
	p  func(R) error
	f  func() error
	wm func() record.Time
}

func (p flushProbe[R]) push(r R) error         { return p.p(r) }
func (p flushProbe[R]) flush() error           { return p.f() }
func (p flushProbe[R]) watermark() record.Time { return p.wm() }
