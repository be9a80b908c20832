package auction

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/rowtime/rowtime/examples/internal/querytest"
)

// TestSnapshotContinue cuts a stream at several points: run, snapshot,
// restore into a fresh Query, continue; the output must be that of the
// uninterrupted run.
func TestSnapshotContinue(t *testing.T) {
	recs := Generate(9, 1500)
	for _, opts := range []*Options{nil, {Delay: 20 * time.Second}} {
		q, err := New(opts)
		if err != nil {
			t.Fatal(err)
		}
		want := querytest.Lines(t, q, recs, true)
		for _, cut := range []int{0, 1, 9, 10, 11, 377, 1000, 1499, 1500} {
			t.Run(fmt.Sprintf("delay=%v/cut=%d", opts != nil, cut), func(t *testing.T) {
				a, _ := New(opts)
				got := querytest.Lines(t, a, recs[:cut], false)
				snap, err := a.AppendSnapshot([]byte("prefix"))
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.HasPrefix(snap, []byte("prefix")) {
					t.Fatal("AppendSnapshot did not append")
				}
				b, _ := New(opts)
				if err := b.Restore(snap[len("prefix"):]); err != nil {
					t.Fatal(err)
				}
				// StateBytes estimates memory, which a restore lays out anew.
				sa, sb := a.Stats(), b.Stats()
				sa.Spend.StateBytes, sa.Bidders.StateBytes = 0, 0
				sb.Spend.StateBytes, sb.Bidders.StateBytes = 0, 0
				if sa != sb {
					t.Errorf("stats after restore %+v, before %+v", sb, sa)
				}
				got = append(got, querytest.Lines(t, b, recs[cut:], true)...)
				if !slices.Equal(got, want) {
					t.Errorf("%d lines, want %d; first difference at %d", len(got), len(want), firstDiff(got, want))
				}
			})
		}
	}
}

func firstDiff(a, b []string) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// TestRestoreBad checks that a bad snapshot gives an error and leaves the
// Query as it was, and that a snapshot taken with another Delay, which
// decides only about records not yet seen, is not bad.
func TestRestoreBad(t *testing.T) {
	recs := Generate(4, 600)
	q, _ := New(nil)
	querytest.Lines(t, q, recs[:300], false)
	good, err := q.AppendSnapshot(nil)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := New(&Options{Delay: time.Minute})
	querytest.Lines(t, other, recs[:300], false)
	otherSnap, err := other.AppendSnapshot(nil)
	if err != nil {
		t.Fatal(err)
	}
	if fresh, _ := New(nil); fresh.Restore(otherSnap) != nil {
		t.Errorf("Restore of a snapshot taken with another Delay: %v", fresh.Restore(otherSnap))
	}
	flip := bytes.Clone(good)
	flip[len(flip)/2] ^= 0xff
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"version", append([]byte{99}, good[1:]...)},
		{"truncated", good[:len(good)-1]},
		{"half", good[:len(good)/2]},
		{"trailing bytes", append(bytes.Clone(good), 0)},
		{"flipped byte", flip},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fresh, _ := New(nil)
			querytest.Lines(t, fresh, recs[:300], false)
			before, _ := fresh.AppendSnapshot(nil)
			err := fresh.Restore(tc.data)
			if tc.name == "flipped byte" && err == nil {
				return // a flipped byte may still be a valid snapshot
			}
			if !errors.Is(err, ErrSnapshot) {
				t.Fatalf("Restore: %v, want ErrSnapshot", err)
			}
			after, _ := fresh.AppendSnapshot(nil)
			if !bytes.Equal(before, after) {
				t.Fatal("a failed Restore changed the Query")
			}
		})
	}
}

func FuzzRestore(f *testing.F) {
	recs := Generate(4, 200)
	q, _ := New(nil)
	querytest.Lines(f, q, recs[:150], false)
	snap, err := q.AppendSnapshot(nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(snap)
	f.Add(snap[:len(snap)/3])
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, data []byte) {
		q, _ := New(nil)
		before, _ := q.AppendSnapshot(nil)
		if err := q.Restore(data); err != nil {
			after, _ := q.AppendSnapshot(nil)
			if !bytes.Equal(before, after) {
				t.Fatal("a failed Restore changed the Query")
			}
			return
		}
		// A snapshot that restores keeps working.
		querytest.Lines(t, q, recs[150:], true)
	})
}
