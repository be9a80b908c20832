package window_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rowtime/rowtime/aggregate"
	"github.com/rowtime/rowtime/record"
	"github.com/rowtime/rowtime/window"
)

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
			emit := func(r window.Row[legacyRec, int64]) { *out = append(*out, fmt.Sprint(r.Record, r.Values)) }
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
