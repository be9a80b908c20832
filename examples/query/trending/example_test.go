package trending_test

import (
	"fmt"
	"strings"

	"github.com/rowtime/rowtime/examples/query/trending"
	"github.com/rowtime/rowtime/window"
)

func ExampleQuery() {
	users, err := trending.LoadUsers(strings.NewReader("101,female,1\n102,male,2\n"))
	if err != nil {
		panic(err)
	}
	q, err := trending.New(users, &trending.Options{TopK: 1})
	if err != nil {
		panic(err)
	}
	emit := func(line []byte) { fmt.Println(string(line)) }
	for _, payload := range []string{
		`{"article_id":7,"user_id":101,"action":"impression","timestamp":1769472000000}`,
		`{"article_id":7,"user_id":101,"action":"click","timestamp":1769472001000}`,
		`{"article_id":8,"user_id":102,"action":"click","timestamp":1769472002000}`,
		`{"article_id":7,"user_id":999,"action":"click","timestamp":1769472003000}`,
	} {
		r, err := trending.Decode([]byte(payload))
		if err != nil {
			panic(err)
		}
		if err := q.Push(r, emit); err != nil {
			panic(err)
		}
	}
	if err := q.Flush(emit); err != nil {
		panic(err)
	}
	// Output:
	// {"window_start":"2026-01-27T00:00:00Z","window_end":"2026-01-27T00:01:00Z","gender":"female","segment_id":1,"article_id":7,"impression":1,"click":1}
	// {"window_start":"2026-01-27T00:00:00Z","window_end":"2026-01-27T00:01:00Z","gender":"male","segment_id":2,"article_id":8,"impression":0,"click":1}
	// {"window_start":"2026-01-27T00:00:00Z","window_end":"2026-01-27T00:01:00Z","gender":null,"segment_id":null,"article_id":7,"impression":0,"click":1}
	// {"stream":"TOP_K","window_start":"2026-01-27T00:00:00Z","window_end":"2026-01-27T00:01:00Z","ITEM":7,"ITEM_COUNT":2}
}

// ExamplePartial runs one Partial operator per shard and merges their
// partial states into the result of one operator over both shards.
func ExamplePartial() {
	users, err := trending.LoadUsers(strings.NewReader("101,female,1\n"))
	if err != nil {
		panic(err)
	}
	shards := [][]trending.Record{
		{{Time: 1e9, Value: trending.Action{ArticleID: 7, UserID: 101, Action: trending.Click}}},
		{{Time: 2e9, Value: trending.Action{ArticleID: 7, UserID: 101, Action: trending.Impression}},
			{Time: 3e9, Value: trending.Action{ArticleID: 7, UserID: 101, Action: trending.Click}}},
	}
	f := trending.CountsFunc()
	var merged trending.State
	for _, recs := range shards {
		op, err := trending.Partial(nil)
		if err != nil {
			panic(err)
		}
		emit := func(r window.Result[trending.Key, trending.State]) { f.Merge(&merged, &r.Value) }
		for _, r := range recs {
			if err := op.Push(trending.Join(users, r), emit); err != nil {
				panic(err)
			}
		}
		if err := op.Flush(emit); err != nil {
			panic(err)
		}
	}
	c := f.Result(&merged)
	fmt.Println("impressions", c.First, "clicks", c.Second)
	// Output:
	// impressions 1 clicks 2
}
