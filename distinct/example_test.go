package distinct_test

import (
	"fmt"
	"log"

	"github.com/rowtime/rowtime/distinct"
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
