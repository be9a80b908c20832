package decode_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/rowtime/rowtime/record"
	"github.com/rowtime/rowtime/record/decode"
)

type Trade struct {
	Ticker string  `json:"ticker"`
	Price  float64 `json:"price"`
	Qty    int     `json:"qty"`
}

func ExampleNewJSON() {
	dec, err := decode.NewJSON[Trade]("ts", decode.RFC3339)
	if err != nil {
		panic(err)
	}
	payload := []byte(`{"ticker":"AMZN","price":178.5,"qty":2,"ts":"2024-02-29T12:00:00Z"}
{"ticker":"ASD","price":3,"qty":"many","ts":"2024-02-29T12:00:01Z"}
{"ticker":"MMB","price":1.25,"qty":4,"ts":"2024-02-29T12:00:02.5Z"}`)
	recs, err := dec.Append(nil, payload, 0)
	for _, r := range recs {
		fmt.Println(r.Time, r.Value.Ticker, r.Value.Qty)
	}
	fmt.Println(err)
	// Output:
	// 2024-02-29T12:00:00Z AMZN 2
	// 2024-02-29T12:00:02.5Z MMB 4
	// decode: line 2 field "qty": decode: value does not fit the record type: cannot unmarshal string into Go value of type int
}

func ExampleNewJSON_nested() {
	// An EventBridge event: the time is nested, in KDA's own text.
	type Change struct {
		Source string `json:"source"`
		Detail struct {
			Instance string `json:"instance-id"`
			State    string `json:"state"`
		} `json:"detail"`
	}
	dec, err := decode.NewJSON[Change]("/detail/eventTime", decode.ISO8601)
	if err != nil {
		panic(err)
	}
	recs, err := dec.Append(nil, []byte(`{"source":"aws.ec2","detail":{"instance-id":"i-1","state":"running","eventTime":"2018-08-01 20:17:20.797"}}`), 0)
	fmt.Println(recs[0].Time, recs[0].Value.Detail.Instance, recs[0].Value.Detail.State, err)
	// Output: 2018-08-01T20:17:20.797Z i-1 running <nil>
}

func ExampleJSON_AppendBatch() {
	// KDA's ROWTIME: stamp each record with its Kinesis arrival time.
	dec, _ := decode.NewJSON[Trade]("", decode.Arrival)
	arrived, _ := record.ParseRFC3339("2024-02-29T12:00:00Z")
	batch := []decode.Payload{
		{Data: []byte(`{"ticker":"AMZN","qty":1}`), Arrival: arrived},
		{Data: []byte(`{"ticker":`), Arrival: arrived + record.Time(time.Second)},
		{Data: []byte(`{"ticker":"MMB","qty":3}`), Arrival: arrived + record.Time(2*time.Second)},
	}
	recs, err := dec.AppendBatch(nil, batch)
	for _, r := range recs {
		fmt.Println(r.Time, r.Value.Ticker)
	}
	var errs decode.Errors
	if errors.As(err, &errs) {
		for _, e := range errs {
			fmt.Println(e.Record, e.Line, errors.Is(e, decode.ErrSyntax))
		}
	}
	// Output:
	// 2024-02-29T12:00:00Z AMZN
	// 2024-02-29T12:00:02Z MMB
	// 1 1 true
}

func ExampleNewCSV() {
	// KDA's schema mapping of CSV records: columns by position, the time
	// in KDA's text.
	dec, err := decode.NewCSV[Trade]("ts", decode.ISO8601, &decode.CSVOptions{Columns: []string{"ts", "ticker", "price", "qty"}})
	if err != nil {
		panic(err)
	}
	payload := []byte("2018-08-01 20:17:20.797,AMZN,178.5,2\n2018-08-01 20:17:21,ASD,3,many\n")
	recs, err := dec.Append(nil, payload, 0)
	for _, r := range recs {
		fmt.Println(r.Time, r.Value.Ticker, r.Value.Price, r.Value.Qty)
	}
	fmt.Println(err)
	// Output:
	// 2018-08-01T20:17:20.797Z AMZN 178.5 2
	// decode: line 2 field "qty": decode: value does not fit the record type: "many" is not an integer of type int
}

func ExampleLayout() {
	dec, _ := decode.NewJSON[Trade]("when", decode.Layout("02/01/2006 15:04"))
	recs, err := dec.Append(nil, []byte(`{"ticker":"AMZN","when":"29/02/2024 12:30"}`), 0)
	fmt.Println(recs[0].Time, err)
	// Output: 2024-02-29T12:30:00Z <nil>
}
