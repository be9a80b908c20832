package trending

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rowtime/rowtime/examples/internal/querytest"
)

// TestSnapshotContinue cuts a stream at several points: run, snapshot,
// restore into a fresh Query, continue; the output must be that of the
// uninterrupted run.
func TestSnapshotContinue(t *testing.T) {
	csv, recs := smallWorkload(8, 3000)
	users, err := LoadUsers(strings.NewReader(csv))
	if err != nil {
		t.Fatal(err)
	}
	for _, opts := range []*Options{nil, {TopK: 3, Delay: 30 * time.Second}} {
		q, _ := New(users, opts)
		want := querytest.Lines(t, q, recs, true)
		for _, cut := range []int{0, 1, 500, 1234, 2999, 3000} {
			t.Run(fmt.Sprintf("top=%v/cut=%d", opts != nil, cut), func(t *testing.T) {
				a, _ := New(users, opts)
				got := querytest.Lines(t, a, recs[:cut], false)
				snap, err := a.AppendSnapshot(nil)
				if err != nil {
					t.Fatal(err)
				}
				b, _ := New(users, opts)
				if err := b.Restore(snap); err != nil {
					t.Fatal(err)
				}
				got = append(got, querytest.Lines(t, b, recs[cut:], true)...)
				if !slices.Equal(got, want) {
					t.Errorf("%d lines, want %d", len(got), len(want))
				}
			})
		}
	}
}

func TestRestoreBad(t *testing.T) {
	_, recs := smallWorkload(8, 1000)
	q, _ := New(nil, &Options{TopK: 2})
	querytest.Lines(t, q, recs, false)
	good, err := q.AppendSnapshot(nil)
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := New(nil, nil)
	querytest.Lines(t, plain, recs, false)
	noTop, _ := plain.AppendSnapshot(nil)
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"version", append([]byte{7}, good[1:]...)},
		{"truncated", good[:len(good)-3]},
		{"without the top-K part", noTop},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fresh, _ := New(nil, &Options{TopK: 2})
			querytest.Lines(t, fresh, recs[:10], false)
			before, _ := fresh.AppendSnapshot(nil)
			if err := fresh.Restore(tc.data); !errors.Is(err, ErrSnapshot) {
				t.Fatalf("Restore: %v, want ErrSnapshot", err)
			}
			if after, _ := fresh.AppendSnapshot(nil); !bytes.Equal(before, after) {
				t.Fatal("a failed Restore changed the Query")
			}
		})
	}
}
