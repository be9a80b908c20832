package window_test

import (
	"fmt"
	"time"

	"github.com/rowtime/rowtime/record"
	"github.com/rowtime/rowtime/window"
)

// maxLen is an aggregate whose accumulator, an int, is the longest string
// seen: an operator built on it can add to the accumulator itself.
type maxLen struct{}

func (maxLen) Add(a *int, r record.Of[string]) { *a = max(*a, len(r.Value)) }
func (maxLen) Merge(dst, src *int)             { *dst = max(*dst, *src) }
func (maxLen) Result(a *int) int               { return *a }

// An operator built on a tumbling Agg takes the records that the lane
// allows itself, and pushes the others.
func ExampleLaneOf() {
	agg, err := window.Aggregate(window.Step(time.Minute), func(record.Of[string]) window.NoKey { return window.NoKey{} }, maxLen{}, nil)
	if err != nil {
		panic(err)
	}
	lane, ok := window.LaneOf[int](agg)
	fmt.Println("lane:", ok)
	emit := func(r window.Result[window.NoKey, int]) { fmt.Println(r.Start, r.Value) }
	fast := 0
	for i, s := range []string{"a", "abc", "ab", "abcd", "x"} {
		r := record.Of[string]{Time: record.Time(i) * record.Time(20*time.Second), Value: s}
		if a := lane.Take(r.Time, window.NoKey{}); a != nil {
			*a = max(*a, len(r.Value)) // what maxLen.Add does
			fast++
			continue
		}
		if err := agg.Push(r, emit); err != nil {
			panic(err)
		}
	}
	agg.Flush(emit)
	fmt.Println("records:", agg.Stats().Records, "through the lane:", fast)
	// Output:
	// lane: true
	// 1970-01-01T00:00:00Z 3
	// 1970-01-01T00:01:00Z 4
	// records: 5 through the lane: 3
}
