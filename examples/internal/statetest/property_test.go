package statetest

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/rowtime/rowtime/examples/query/auction"
	"github.com/rowtime/rowtime/examples/query/trending"
	"github.com/rowtime/rowtime/record"
	"github.com/rowtime/rowtime/window"
)

// TestTrendingPartialCutPoints checks the operator the consumer checkpoints
// per shard: for streams out of order within the allowed delay, with
// watermark advances on the way, run → snapshot → restore into a fresh
// operator → continue gives exactly the results of the uninterrupted run,
// at every cut point.
func TestTrendingPartialCutPoints(t *testing.T) {
	users, err := trending.LoadUsers(bytes.NewReader(trending.GenerateUsers(2)))
	if err != nil {
		t.Fatal(err)
	}
	const delay = 5 * time.Second
	n := 400
	if testing.Short() {
		n = 120
	}
	rng := rand.New(rand.NewPCG(9, 9))
	g := trending.NewGenerator(4)
	var events []trending.Event
	for i := range n {
		r := g.Next()
		// Spread the records over a few minutes, each up to the delay
		// early or late.
		r.Time = trending.Start + record.Time(i)*record.Time(time.Second) - record.Time(rng.Int64N(int64(delay)))
		r.Value.ArticleID = 1 + r.Value.ArticleID%7
		events = append(events, trending.Join(users, r))
	}
	newOp := func() *window.Agg[trending.Event, trending.Key, trending.State] {
		op, err := trending.Partial(&window.Options[trending.Event]{Delay: delay})
		if err != nil {
			t.Fatal(err)
		}
		return op
	}
	format := func(r window.Result[trending.Key, trending.State]) string {
		return fmt.Sprintf("%d %d %+v %d %d", r.Start, r.End, r.Key, r.Value.X, r.Value.Y)
	}
	run := func(cut int) []string {
		var out []string
		emit := func(r window.Result[trending.Key, trending.State]) { out = append(out, format(r)) }
		op := newOp()
		for i, e := range events {
			if i == cut {
				snap, err := op.AppendSnapshot(nil)
				if err != nil {
					t.Fatal(err)
				}
				op = newOp()
				if err := op.Restore(snap); err != nil {
					t.Fatalf("cut %d: %v", cut, err)
				}
			}
			if err := op.Push(e, emit); err != nil {
				t.Fatal(err)
			}
			if i%50 == 49 {
				if err := op.Advance(e.Time-record.Time(2*delay), emit); err != nil {
					t.Fatal(err)
				}
			}
		}
		if err := op.Flush(emit); err != nil {
			t.Fatal(err)
		}
		return out
	}
	want := run(-1)
	for cut := 0; cut <= len(events); cut += 1 + cut/40 {
		if got := run(cut); !slices.Equal(got, want) {
			t.Fatalf("cut at %d: %d results, want %d", cut, len(got), len(want))
		}
	}
}

// TestAuctionQueryCutPoints is the same property for the auction query
// that the Lambda function snapshots after every batch: both of its
// operators, spend per block and distinct bidders, restored together.
func TestAuctionQueryCutPoints(t *testing.T) {
	bids := auction.Generate(8, 300)
	run := func(cut int) []string {
		var out []string
		emit := func(b []byte) { out = append(out, string(b)) }
		q, err := auction.New(nil)
		if err != nil {
			t.Fatal(err)
		}
		for i, b := range bids {
			if i == cut {
				snap, err := q.AppendSnapshot(nil)
				if err != nil {
					t.Fatal(err)
				}
				if q, err = auction.New(nil); err != nil {
					t.Fatal(err)
				}
				if err := q.Restore(snap); err != nil {
					t.Fatalf("cut %d: %v", cut, err)
				}
			}
			if err := q.Push(b, emit); err != nil {
				t.Fatal(err)
			}
		}
		if err := q.Flush(emit); err != nil {
			t.Fatal(err)
		}
		return out
	}
	want := run(-1)
	for cut := 0; cut <= len(bids); cut += 7 {
		if got := run(cut); !slices.Equal(got, want) {
			t.Fatalf("cut at %d: %d results, want %d", cut, len(got), len(want))
		}
	}
}
