package auction_test

import (
	"fmt"

	"github.com/rowtime/rowtime/examples/query/auction"
)

func ExampleQuery() {
	q, err := auction.New(nil)
	if err != nil {
		panic(err)
	}
	emit := func(line []byte) { fmt.Println(string(line)) }
	for _, r := range auction.Generate(1, 20) { // two blocks, 13 s apart
		if err := q.Push(r, emit); err != nil {
			panic(err)
		}
	}
	if err := q.Flush(emit); err != nil {
		panic(err)
	}
	// Output:
	// {"stream":"DESTINATION_SQL_STREAM","window_start":"2026-01-27T00:00:00Z","window_end":"2026-01-27T00:00:10Z","NUMBER_OF_DISTINCT_ITEMS":6}
	// {"stream":"SPEND_PER_BLOCK_STREAM","window_start":"2026-01-27T00:00:00Z","window_end":"2026-01-27T00:00:15Z","block":7000000,"spend":426}
	// {"stream":"SPEND_PER_BLOCK_STREAM","window_start":"2026-01-27T00:00:00Z","window_end":"2026-01-27T00:00:15Z","block":7000001,"spend":1098}
	// {"stream":"DESTINATION_SQL_STREAM","window_start":"2026-01-27T00:00:10Z","window_end":"2026-01-27T00:00:20Z","NUMBER_OF_DISTINCT_ITEMS":5}
}

func ExampleDecode() {
	r, err := auction.Decode([]byte(`{"Block":7000000,"Bidder":"0xa1","Amount":42,"EventTimestamp":"1769472000.5"}`))
	if err != nil {
		panic(err)
	}
	fmt.Println(r.Value.Block, r.Value.Bidder, r.Value.Amount, r.Time)
	_, err = auction.Decode([]byte(`{"Block":7000000,"Amount":42}`))
	fmt.Println(err)
	// Output:
	// 7000000 0xa1 42 2026-01-27T00:00:00.5Z
	// auction: cannot decode bid: field "EventTimestamp": decode: missing time field
}
