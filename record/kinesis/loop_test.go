package kinesis_test

import (
	"context"
	"fmt"
	"maps"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/rowtime/rowtime/aggregate"
	"github.com/rowtime/rowtime/record"
	"github.com/rowtime/rowtime/record/kinesis"
	"github.com/rowtime/rowtime/record/kinesis/kinesistest"
	"github.com/rowtime/rowtime/window"
)

type loopBid struct {
	Block int64 `json:"block"`
}

func newLoop(t *testing.T, shard string) *kinesis.Loop[loopBid, window.Result[int64, int64]] {
	dec, err := record.NewDecoder[loopBid]("ts", record.TimeMillis)
	if err != nil {
		t.Fatal(err)
	}
	op, err := window.Aggregate(window.Step(10*time.Second), func(r record.Of[loopBid]) int64 { return r.Value.Block },
		aggregate.Count[record.Of[loopBid]](), nil)
	if err != nil {
		t.Fatal(err)
	}
	l, err := kinesis.NewLoop[loopBid, window.Result[int64, int64]](shard, kinesis.NewJSON[loopBid](dec, nil), op,
		&kinesis.LoopOptions{Ledger: kinesis.LedgerOptions{Ordered: true}, IdleAfter: -1})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestLoopKinesalite reads a shard of kinesalite with GetRecords through a
// Loop, checkpointing in a FileStore, and restarts twice from the
// checkpoint (reading again the records taken after it, whose results
// were lost with the crash): every count must equal the naive one.
func TestLoopKinesalite(t *testing.T) {
	if testing.Short() {
		t.Skip("needs kinesalite; not in -short")
	}
	srv := kinesistest.StartKinesis(t)
	api := srv.Kinesis()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	stream := aws.String("loop")
	if _, err := api.CreateStream(ctx, &sdk.CreateStreamInput{StreamName: stream, ShardCount: aws.Int32(1)}); err != nil {
		t.Fatal(err)
	}
	want := map[[2]int64]int64{}
	ts := int64(1700000000000)
	put := func(data []byte) {
		if _, err := api.PutRecord(ctx, &sdk.PutRecordInput{StreamName: stream, Data: data, PartitionKey: aws.String("k")}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 120 {
		bid := func(j int) []byte {
			at := ts + int64(i*10+j)*100
			block := int64((i + j) % 3)
			want[[2]int64{(at / 10000) * 10000, block}]++
			return fmt.Appendf(nil, `{"ts":%d,"block":%d}`, at, block)
		}
		if i%10 == 0 { // a KPL aggregate of five
			var keys []string
			var data [][]byte
			for j := range 5 {
				keys, data = append(keys, "k"), append(data, bid(j))
			}
			put(kinesis.AppendAggregate(nil, keys, data))
			continue
		}
		put(bid(0))
	}
	shards, err := api.ListShards(ctx, &sdk.ListShardsInput{StreamName: stream})
	if err != nil {
		t.Fatal(err)
	}
	shard := aws.ToString(shards.Shards[0].ShardId)
	store := kinesis.FileStore{Dir: t.TempDir()}
	got := map[[2]int64]int64{}
	dead := func(d kinesis.DeadLetter) { t.Errorf("dead letter %+v", d) }

	var ver kinesis.Version
	for run := range 3 {
		l := newLoop(t, shard)
		if ver, err = l.Load(ctx, store, "loop/"+shard); err != nil {
			t.Fatal(err)
		}
		in := &sdk.GetShardIteratorInput{StreamName: stream, ShardId: aws.String(shard), ShardIteratorType: types.ShardIteratorTypeTrimHorizon}
		if at, ok := l.Resume(); ok {
			in.ShardIteratorType, in.StartingSequenceNumber = types.ShardIteratorTypeAtSequenceNumber, aws.String(at)
		}
		it, err := api.GetShardIterator(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		iter := it.ShardIterator
		pending := map[[2]int64]int64{} // results since the checkpoint
		emitRun := func(r window.Result[int64, int64]) { pending[[2]int64{r.Start.UnixMilli(), r.Key}] += r.Value }
		for batch := 0; ; batch++ {
			out, err := api.GetRecords(ctx, &sdk.GetRecordsInput{ShardIterator: iter, Limit: aws.Int32(7)})
			if err != nil {
				t.Fatal(err)
			}
			var recs []kinesis.Record
			for i := range out.Records {
				r, err := kinesis.FromSDK(shard, &out.Records[i])
				if err != nil {
					t.Fatal(err)
				}
				recs = append(recs, r)
			}
			behind := time.Duration(aws.ToInt64(out.MillisBehindLatest)) * time.Millisecond
			if err := l.Take(recs, behind, emitRun, dead); err != nil {
				t.Fatal(err)
			}
			iter = out.NextShardIterator
			if len(recs) == 0 {
				break
			}
			if batch%3 == 2 {
				// A checkpoint: the results so far become final.
				if ver, err = l.Save(ctx, store, "loop/"+shard, ver); err != nil {
					t.Fatal(err)
				}
				for k, v := range pending {
					got[k] += v
				}
				clear(pending)
			}
			if run < 2 && batch == 4+run*5 {
				break // a crash: what was taken since the checkpoint is lost
			}
		}
		if run == 2 {
			if err := l.Once().Flush(emitRun); err != nil {
				t.Fatal(err)
			}
			for k, v := range pending {
				got[k] += v
			}
		}
	}
	if !maps.Equal(got, want) {
		t.Fatalf("counts differ: %d windows, want %d\n got %v\nwant %v", len(got), len(want), got, want)
	}
}

func ExampleNewLoop() {
	dec, _ := record.NewDecoder[loopBid]("ts", record.TimeMillis)
	op, _ := window.Aggregate(window.Step(time.Minute), func(r record.Of[loopBid]) int64 { return r.Value.Block },
		aggregate.Count[record.Of[loopBid]](), nil)
	loop, _ := kinesis.NewLoop[loopBid, window.Result[int64, int64]]("shardId-000000000000",
		kinesis.NewJSON[loopBid](dec, nil), op, &kinesis.LoopOptions{Ledger: kinesis.LedgerOptions{Ordered: true}})
	seq := "49590338271490256608559692538361571095921575989136588898"
	r, _ := kinesis.FromSDK("shardId-000000000000", &types.Record{SequenceNumber: aws.String(seq),
		Data: []byte(`{"ts":1700000000000,"block":4}`), PartitionKey: aws.String("k")})
	emit := func(r window.Result[int64, int64]) { fmt.Println("block", r.Key, "count", r.Value) }
	dead := func(d kinesis.DeadLetter) { fmt.Println("dead:", d.Error) }
	_ = loop.Take([]kinesis.Record{r, r}, 0, emit, dead) // the second is a duplicate
	at, _ := loop.Resume()
	fmt.Println(at == seq)
	_ = loop.Once().Flush(emit)
	// Output:
	// true
	// block 4 count 1
}
