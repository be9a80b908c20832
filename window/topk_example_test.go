package window_test

import (
	"fmt"
	"log"
	"time"

	"github.com/rowtime/rowtime/record"
	"github.com/rowtime/rowtime/window"
)

type pageView struct {
	At      record.Time
	Section string
	Article string
}

func (v pageView) EventTime() record.Time { return v.At }

// The most-read articles per minute, KDA's
// TOP_K_ITEMS_TUMBLING(CURSOR(SELECT STREAM * FROM views), 'Article', 2, 60).
func ExampleTopKItems() {
	minute := func(m, s int) record.Time {
		return record.Time(time.Date(2024, 5, 1, 12, m, s, 0, time.UTC).UnixNano())
	}
	views := []pageView{
		{minute(0, 1), "news", "/a"}, {minute(0, 5), "news", "/b"}, {minute(0, 9), "sport", "/b"},
		{minute(0, 30), "news", "/c"}, {minute(0, 41), "news", "/b"}, {minute(1, 2), "news", "/c"},
	}
	op, err := window.TopKItems(window.Step(time.Minute), 2, func(v pageView) string { return v.Article }, nil)
	if err != nil {
		log.Fatal(err)
	}
	rows, err := record.Collect(op, views)
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range rows {
		b, _ := r.AppendJSON(nil)
		fmt.Println(string(b))
	}
	// Output:
	// {"window_start":"2024-05-01T12:00:00Z","window_end":"2024-05-01T12:01:00Z","ITEM":"/b","ITEM_COUNT":3}
	// {"window_start":"2024-05-01T12:00:00Z","window_end":"2024-05-01T12:01:00Z","ITEM":"/a","ITEM_COUNT":1}
	// {"window_start":"2024-05-01T12:01:00Z","window_end":"2024-05-01T12:02:00Z","ITEM":"/c","ITEM_COUNT":1}
}

// Per key: the top article of each section per minute.
func ExampleTopKItemsByKey() {
	at := func(s int) record.Time { return record.Time(int64(s) * int64(time.Second)) }
	views := []pageView{
		{at(1), "news", "/a"}, {at(2), "sport", "/x"}, {at(3), "news", "/b"},
		{at(4), "news", "/b"}, {at(5), "sport", "/y"}, {at(6), "sport", "/y"},
	}
	op, err := window.TopKItemsByKey(window.Step(time.Minute),
		func(v pageView) string { return v.Section }, 1,
		func(v pageView) string { return v.Article }, nil)
	if err != nil {
		log.Fatal(err)
	}
	emit := func(r window.TopKItem[string, string]) { fmt.Println(r.Key, r.Rank, r.Item, r.ItemCount, r.Error) }
	for _, v := range views {
		if err := op.Push(v, emit); err != nil {
			log.Fatal(err)
		}
	}
	if err := op.Flush(emit); err != nil { // the end of the input closes the last minute
		log.Fatal(err)
	}
	// Output:
	// news 1 /b 2 0
	// sport 1 /y 2 0
}
