package distinct_test

import (
	"fmt"
	"log"
	"time"

	"github.com/rowtime/rowtime/distinct"
	"github.com/rowtime/rowtime/record"
	"github.com/rowtime/rowtime/window"
)

func ExampleSketch() {
	var s distinct.Sketch // the zero Sketch: exact up to 10,000 items, then HyperLogLog p14
	for _, bidder := range []string{"alice", "bob", "alice", "carol", "bob"} {
		s.InsertHash(distinct.Hash(bidder))
	}
	fmt.Println(s.Estimate(), s.Exact())
	// Output: 3 true
}

func ExampleNew() {
	s, err := distinct.New(&distinct.Options{Precision: 12, Threshold: 100})
	if err != nil {
		log.Fatal(err)
	}
	for i := range 150 {
		s.InsertHash(distinct.Hash(i % 120)) // 120 distinct integers
	}
	// Past the threshold the count is a HyperLogLog estimate.
	fmt.Println(s.Exact(), s.Estimate())

	_, err = distinct.New(&distinct.Options{Precision: 20})
	fmt.Println(err)
	// Output:
	// false 117
	// distinct: invalid parameter: precision 20 outside [4, 18]
}

// Partial sketches from shards merge into the count of the union.
func ExampleSketch_Merge() {
	var shard1, shard2 distinct.Sketch
	for i := range 8000 {
		shard1.InsertHash(distinct.Hash(i))
	}
	for i := 6000; i < 12000; i++ {
		shard2.InsertHash(distinct.Hash(i))
	}
	var total distinct.Sketch
	if err := total.Merge(&shard1); err != nil {
		log.Fatal(err)
	}
	if err := total.Merge(&shard2); err != nil {
		log.Fatal(err)
	}
	fmt.Println(shard1.Estimate(), shard2.Estimate(), total.Exact())
	// Output: 8000 6000 false
}

// A sketch survives a round trip through its binary encoding, for a
// checkpoint between invocations.
func ExampleSketch_AppendBinary() {
	var s distinct.Sketch
	for _, page := range []string{"/", "/about", "/"} {
		s.InsertHash(distinct.Hash(page))
	}
	data, err := s.AppendBinary(nil)
	if err != nil {
		log.Fatal(err)
	}
	var restored distinct.Sketch
	if err := restored.UnmarshalBinary(data); err != nil {
		log.Fatal(err)
	}
	fmt.Println(restored.Estimate(), len(data))
	// Output: 2 22
}

func ExampleCount() {
	type bid struct{ Bidder string }
	f, err := distinct.Count(func(b bid) string { return b.Bidder }, nil)
	if err != nil {
		log.Fatal(err)
	}
	var a distinct.Sketch // the accumulator; zero is the empty count
	for _, b := range []bid{{"alice"}, {"bob"}, {"alice"}} {
		f.Add(&a, b)
	}
	fmt.Println(f.Result(&a))
	// Output: 2
}

type bidEvent struct {
	At      record.Time
	Auction string
	Bidder  string
}

func (b bidEvent) EventTime() record.Time { return b.At }

func bidsAt(secs ...int) []bidEvent {
	bidders := []string{"ann", "bob", "ann", "cy", "bob", "dee"}
	auctions := []string{"a1", "a2", "a1", "a1", "a2", "a2"}
	var out []bidEvent
	for i, s := range secs {
		out = append(out, bidEvent{
			At:      record.Time(time.Date(2024, 5, 1, 12, 0, s, 0, time.UTC).UnixNano()),
			Auction: auctions[i%len(auctions)], Bidder: bidders[i%len(bidders)],
		})
	}
	return out
}

// Distinct bidders every 10 seconds, KDA's
// COUNT_DISTINCT_ITEMS_TUMBLING(CURSOR(SELECT STREAM * FROM bids), 'Bidder', 10).
func ExampleCountItems() {
	op, err := distinct.CountItems(window.Step(10*time.Second), func(b bidEvent) string { return b.Bidder }, nil)
	if err != nil {
		log.Fatal(err)
	}
	results, err := record.Collect(op, bidsAt(1, 2, 4, 7, 12, 15))
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range results {
		b, _ := r.AppendJSON(nil)
		fmt.Println(string(b))
	}
	// Output:
	// {"window_start":"2024-05-01T12:00:00Z","window_end":"2024-05-01T12:00:10Z","NUMBER_OF_DISTINCT_ITEMS":3}
	// {"window_start":"2024-05-01T12:00:10Z","window_end":"2024-05-01T12:00:20Z","NUMBER_OF_DISTINCT_ITEMS":2}
}

// Distinct bidders per auction: one result per (auction, window), keys in
// order of first appearance in the window.
func ExampleCountItemsByKey() {
	op, err := distinct.CountItemsByKey(window.Step(10*time.Second),
		func(b bidEvent) string { return b.Auction },
		func(b bidEvent) string { return b.Bidder }, nil)
	if err != nil {
		log.Fatal(err)
	}
	results, err := record.Collect(op, bidsAt(1, 2, 4, 7, 8, 9))
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range results {
		b, _ := r.AppendJSON(nil)
		fmt.Println(string(b), r.Exact)
	}
	// Output:
	// {"window_start":"2024-05-01T12:00:00Z","window_end":"2024-05-01T12:00:10Z","key":"a1","NUMBER_OF_DISTINCT_ITEMS":2} true
	// {"window_start":"2024-05-01T12:00:00Z","window_end":"2024-05-01T12:00:10Z","key":"a2","NUMBER_OF_DISTINCT_ITEMS":2} true
}

// An operator's state crosses invocations (a Lambda handler's batches) as a
// snapshot.
func ExampleCounter_AppendSnapshot() {
	newOp := func() *distinct.Counter[bidEvent, distinct.NoKey, string] {
		op, err := distinct.CountItems(window.Step(10*time.Second), func(b bidEvent) string { return b.Bidder }, nil)
		if err != nil {
			log.Fatal(err)
		}
		return op
	}
	show := func(r distinct.Result[distinct.NoKey]) { fmt.Println(r.NumberOfDistinctItems) }
	bids := bidsAt(1, 2, 4, 7, 12)

	first := newOp() // first invocation
	for _, b := range bids[:2] {
		if err := first.Push(b, show); err != nil {
			log.Fatal(err)
		}
	}
	state, err := first.AppendSnapshot(nil)
	if err != nil {
		log.Fatal(err)
	}

	second := newOp() // next invocation
	if err := second.Restore(state); err != nil {
		log.Fatal(err)
	}
	for _, b := range bids[2:] {
		if err := second.Push(b, show); err != nil {
			log.Fatal(err)
		}
	}
	// Output: 3
}
