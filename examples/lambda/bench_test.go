package main

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/rowtime/rowtime/examples/query/auction"
	"github.com/rowtime/rowtime/record"
	"github.com/rowtime/rowtime/record/kinesis"
	"github.com/rowtime/rowtime/record/kinesis/kinesistest"
)

// BenchmarkHandler runs the function's handler end to end over batches of
// auction bids (decode, bookkeeping, both queries, the state saved, the
// results written), per record, with the file store and with the DynamoDB
// store on dynalite, in batches of 100 (Lambda's default) and 1000;
// part=decode is the JSON decoding of the same records alone, the share
// of the whole that is decoding.
func BenchmarkHandler(b *testing.B) {
	batch := 100
	bids := auction.Generate(1, 10000)
	seq, gen := 0, 0
	span := bids[len(bids)-1].Time - bids[0].Time + 1e9
	events := func() []events.KinesisEventRecord {
		recs := make([]events.KinesisEventRecord, 0, len(bids))
		gen++
		for _, bid := range bids {
			bid.Time += record.Time(gen) * span // later bids each time
			seq++
			s := fmt.Sprintf("49%054d", seq)
			recs = append(recs, eventRecord("shardId-000000000000", s, auction.AppendJSON(nil, bid)))
		}
		return recs
	}
	run := func(b *testing.B, env ...string) {
		getenv := envOf(append(env, "ROWTIME_OUTPUT_DIR="+b.TempDir(), "ROWTIME_DEADLETTER_DIR="+b.TempDir(), "ROWTIME_NO_METRICS=1")...)
		h, err := fromEnv(getenv)
		if err != nil {
			b.Fatal(err)
		}
		recs := events()
		ctx := context.Background()
		i := 0
		b.ReportAllocs()
		for b.Loop() {
			if i == len(recs) {
				b.StopTimer()
				recs, i = events(), 0
				b.StartTimer()
			}
			handleBatch(b, h, ctx, recs[i:i+batch])
			i += batch
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch), "ns/record")
	}
	for _, batch = range []int{100, 1000} {
		b.Run(fmt.Sprintf("store=file/batch=%d", batch), func(b *testing.B) { run(b, "ROWTIME_STATE_DIR="+b.TempDir()) })
		b.Run(fmt.Sprintf("store=dynamodb/batch=%d", batch), func(b *testing.B) {
			db := kinesistest.StartDynamoDB(b)
			table := kinesistest.StateTable(b, db, "bench")
			run(b, "ROWTIME_DYNAMODB_TABLE="+table, "ROWTIME_DYNAMODB_ENDPOINT="+db.Endpoint,
				"AWS_REGION=us-east-1", "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test")
		})
	}
	batch = 100
	b.Run("part=decode", func(b *testing.B) {
		format := kinesis.NewJSON[auction.Bid](bidDecoder{}, nil)
		recs := make([]kinesis.Record, 0, batch)
		for _, ev := range events()[:batch] {
			r, err := kinesis.FromEvent(&ev)
			if err != nil {
				b.Fatal(err)
			}
			recs = append(recs, r)
		}
		var items []kinesis.Item[auction.Bid]
		b.ReportAllocs()
		for b.Loop() {
			items = decodeBatch(format, items, recs)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch), "ns/record")
	})
}

func handleBatch(b *testing.B, h *kinesis.Handler[auction.Bid, []byte], ctx context.Context, recs []events.KinesisEventRecord) {
	resp, err := h.HandleStream(ctx, events.KinesisEvent{Records: recs})
	if err != nil || len(resp.BatchItemFailures) != 0 {
		b.Fatalf("%v, %d failures", err, len(resp.BatchItemFailures))
	}
}

func decodeBatch(f *kinesis.JSON[auction.Bid], items []kinesis.Item[auction.Bid], recs []kinesis.Record) []kinesis.Item[auction.Bid] {
	for i := range recs {
		items = f.AppendItems(items[:0], &recs[i])
	}
	return items
}

func eventRecord(shard, seq string, data []byte) events.KinesisEventRecord {
	return events.KinesisEventRecord{
		EventID: shard + ":" + seq, EventSource: "aws:kinesis", EventSourceArn: testARN, AwsRegion: "us-east-1",
		Kinesis: events.KinesisRecord{SequenceNumber: seq, Data: data, PartitionKey: "auction"},
	}
}

// envOf returns a getenv over the "NAME=value" pairs.
func envOf(pairs ...string) func(string) string {
	m := map[string]string{}
	for _, p := range pairs {
		for i := range len(p) {
			if p[i] == '=' {
				m[p[:i]] = p[i+1:]
				break
			}
		}
	}
	return func(k string) string { return m[k] }
}
