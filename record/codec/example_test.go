package codec_test

import (
	"fmt"

	"github.com/rowtime/rowtime/record"
	"github.com/rowtime/rowtime/record/codec"
)

func ExampleAppend() {
	type state struct {
		Key   string
		Count int64
		Last  record.Time
	}
	buf, _ := codec.Append(nil, state{"AMZN", 3, 1_700_000_000_000_000_000})
	buf, _ = codec.Append(buf, []float64{1.5, 2})
	var s state
	var f []float64
	n, _ := codec.Read(buf, &s)
	m, _ := codec.Read(buf[n:], &f)
	fmt.Println(s.Key, s.Count, s.Last, f, n+m == len(buf))
	// Output: AMZN 3 2023-11-14T22:13:20Z [1.5 2] true
}

func ExampleCheck() {
	type good struct{ Sum float64 }
	type bad struct{ Next func() }
	fmt.Println(codec.Check[good]())
	fmt.Println(codec.Check[bad]())
	// Output:
	// <nil>
	// field Next: record: snapshot: cannot encode func(): func values have no encoding
}
