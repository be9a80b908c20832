package kinesis_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/rowtime/rowtime/aggregate"
	"github.com/rowtime/rowtime/record"
	"github.com/rowtime/rowtime/record/decode"
	"github.com/rowtime/rowtime/record/kinesis"
	"github.com/rowtime/rowtime/window"
)

type Bid struct {
	Block  int64 `json:"block"`
	Amount int64 `json:"amount"`
}

func event(seq, data string) *events.KinesisEventRecord {
	return &events.KinesisEventRecord{
		EventID: "shardId-000000000000:" + seq,
		Kinesis: events.KinesisRecord{SequenceNumber: seq, Data: []byte(data), PartitionKey: "pk"},
	}
}

func ExampleNewJSON() {
	dec, _ := decode.NewJSON[Bid]("ts", decode.Millis)
	format := kinesis.NewJSON[Bid](dec, nil)
	r, _ := kinesis.FromEvent(event("49590338271490256608559692538361571095921575989136588898",
		`{"ts":1700000000000,"block":1,"amount":5}
{"ts":1700000000500,"block":2,"amount":7}
{"block":3}`))
	for _, it := range format.AppendItems(nil, &r) {
		if it.Err != nil {
			fmt.Println(it.Pos.Sub, "dead letter:", errors.Is(it.Err, kinesis.ErrDecode))
			continue
		}
		fmt.Println(it.Pos.Sub, it.Rec.Time, it.Rec.Value)
	}
	// Output:
	// 0 2023-11-14T22:13:20Z {1 5}
	// 1 2023-11-14T22:13:20.5Z {2 7}
	// 2 dead letter: true
}

func ExampleDeaggregate() {
	agg := kinesis.AppendAggregate(nil, []string{"a", "b"}, [][]byte{[]byte("first"), []byte("second")})
	err := kinesis.Deaggregate(agg, func(u kinesis.UserRecord) {
		fmt.Println(u.Sub, u.PartitionKey, string(u.Data))
	})
	fmt.Println(err)
	// Output:
	// 0 a first
	// 1 b second
	// <nil>
}

func ExampleNewLogs() {
	at, _ := record.FromUnixMilli(1700000000000)
	data := kinesis.AppendLogsRecord(nil, "123456789012", "/aws/lambda/checkout", "stream-1", []record.Of[kinesis.LogEvent]{
		{Time: at, Value: kinesis.LogEvent{ID: "1", Message: "START"}},
		{Time: at + 1e6, Value: kinesis.LogEvent{ID: "2", Message: "END"}},
	})
	r, _ := kinesis.FromEvent(event("100", string(data)))
	for _, it := range kinesis.NewLogs(nil).AppendItems(nil, &r) {
		fmt.Println(it.Pos.Sub, it.Rec.Time, it.Rec.Value.LogGroup, it.Rec.Value.Message)
	}
	// Output:
	// 0 2023-11-14T22:13:20Z /aws/lambda/checkout START
	// 1 2023-11-14T22:13:20.001Z /aws/lambda/checkout END
}

func ExampleParseSeq() {
	a, _ := kinesis.ParseSeq("49590338271490256608559692538361571095921575989136588898")
	b, _ := kinesis.ParseSeq("49590338271490256608559692538361571095921575989136588899")
	_, err := kinesis.ParseSeq("4959x")
	fmt.Println(a.Less(b), a.Compare(a), err != nil)
	// Output: true 0 true
}

func ExampleNewLedger() {
	l := kinesis.NewLedger(nil)
	s := l.Shard("shardId-000000000000")
	// Batches {1, 3} and then {2, 3, 4}: 3 is a redelivery, 2 and 4 are new.
	for _, batch := range [][]uint64{{1, 3}, {2, 3, 4}} {
		for _, n := range batch {
			q, _ := kinesis.ParseSeq(fmt.Sprint(n))
			p := kinesis.Position{Seq: q}
			seen, err := s.Seen(p)
			if err == nil && !seen {
				s.Mark(p)
			}
			fmt.Print(n, ":", seen, " ")
		}
	}
	fmt.Println()
	// Output: 1:false 3:false 2:false 3:true 4:false
}

func ExampleNewOnce() {
	count, _ := window.Aggregate(window.Step(time.Minute), func(r record.Of[Bid]) int64 { return r.Value.Block },
		aggregate.Count[record.Of[Bid]](), nil)
	once, _ := kinesis.NewOnce[record.Of[Bid], window.Result[int64, int64]](count, &kinesis.LedgerOptions{Ordered: true})
	dec, _ := decode.NewJSON[Bid]("ts", decode.Millis)
	format := kinesis.NewJSON[Bid](dec, nil)
	emit := func(r window.Result[int64, int64]) { fmt.Println("block", r.Key, "count", r.Value) }

	batch := []*events.KinesisEventRecord{
		event("101", `{"ts":1700000000000,"block":1}`),
		event("102", `{"ts":1700000001000,"block":1}`),
	}
	shard := once.Shard("shardId-000000000000")
	for range 2 { // the batch, then its redelivery
		for _, ev := range batch {
			r, _ := kinesis.FromEvent(ev)
			for _, it := range format.AppendItems(nil, &r) {
				taken, err := once.Push(shard, it.Pos, it.Rec, emit)
				fmt.Println(r.SequenceNumber, "taken:", taken, err)
			}
		}
	}
	_ = once.Flush(emit)
	// Output:
	// 101 taken: true <nil>
	// 102 taken: true <nil>
	// 101 taken: false <nil>
	// 102 taken: false <nil>
	// block 1 count 2
}

func ExampleFileStore() {
	dir, _ := os.MkdirTemp("", "state")
	defer os.RemoveAll(dir)
	st := kinesis.FileStore{Dir: dir}
	ctx := context.Background()
	_, v, err := st.Load(ctx, "stream/shardId-000000000000")
	fmt.Println(v, errors.Is(err, kinesis.ErrNotFound))
	v, _ = st.Save(ctx, "stream/shardId-000000000000", []byte("state 1"), v)
	_, err = st.Save(ctx, "stream/shardId-000000000000", []byte("stale"), 0)
	fmt.Println(v, errors.Is(err, kinesis.ErrConflict))
	data, v, _ := st.Load(ctx, "stream/shardId-000000000000")
	fmt.Println(string(data), v)
	// Output:
	// 0 true
	// 1 true
	// state 1 1
}

func ExampleNewDynamoDBStore() {
	// With a client of a real table (partition key "key", type String,
	// Time to Live on kinesis.TTLAttribute):
	//
	//	client := dynamodb.NewFromConfig(cfg)
	//	store := kinesis.NewDynamoDBStore(client, "rowtime-state", nil)
	//
	// The store then works as ExampleFileStore shows.
	var store kinesis.Store = kinesis.NewDynamoDBStore(nil, "rowtime-state", &kinesis.DynamoDBOptions{Grace: time.Hour})
	fmt.Println(store != nil, kinesis.TTLAttribute)
	// Output: true ttl
}

func ExampleNewDeadLetter() {
	dec, _ := decode.NewJSON[Bid]("ts", decode.Millis)
	r, _ := kinesis.FromEvent(event("100", "{\"ts\":1700000000000,\"block\":1}\nnot json"))
	for _, it := range kinesis.NewJSON[Bid](dec, nil).AppendItems(nil, &r) {
		if it.Err != nil {
			os.Stdout.Write(kinesis.NewDeadLetter(&r, &it, it.Err).AppendJSON(nil))
		}
	}
	// Output:
	// {"shard":"shardId-000000000000","sequence_number":"100","index":1,"error":"kinesis: payload does not decode: decode: line 1: decode: malformed input: not a JSON object","data":"bm90IGpzb24="}
}

func ExampleNewHandler() {
	dir, _ := os.MkdirTemp("", "state")
	defer os.RemoveAll(dir)
	dec, _ := decode.NewJSON[Bid]("ts", decode.Millis)
	newQuery := func() (record.Operator[record.Of[Bid], window.Result[int64, int64]], error) {
		return window.Aggregate(window.Step(10*time.Second), func(b record.Of[Bid]) int64 { return b.Value.Block },
			aggregate.Sum(func(b record.Of[Bid]) int64 { return b.Value.Amount }), nil)
	}
	h, err := kinesis.NewHandler(kinesis.NewJSON[Bid](dec, nil), newQuery, &kinesis.HandlerOptions[window.Result[int64, int64]]{
		Store:     kinesis.FileStore{Dir: dir},
		Results:   &kinesis.WriterOutput{W: os.Stdout},
		NoMetrics: true,
		Ledger:    kinesis.LedgerOptions{Ordered: true, Name: "spend"},
		Encode: func(dst []byte, r window.Result[int64, int64]) ([]byte, error) {
			return fmt.Appendf(dst, `{"block":%d,"spend":%d}`, r.Key, r.Value), nil
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	batch := events.KinesisEvent{Records: []events.KinesisEventRecord{
		*event("101", `{"ts":1700000000000,"block":1,"amount":5}`),
		*event("102", `{"ts":1700000001000,"block":1,"amount":7}`),
		*event("103", `{"ts":1700000011000,"block":2,"amount":1}`),
	}}
	for range 2 { // the batch and its redelivery: the result comes once
		resp, _ := h.HandleStream(context.Background(), batch)
		fmt.Println("failures:", len(resp.BatchItemFailures))
	}
	// Output:
	// {"block":1,"spend":12}
	// failures: 0
	// failures: 0
}
