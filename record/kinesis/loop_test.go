package kinesis_test

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/rowtime/rowtime/aggregate"
	"github.com/rowtime/rowtime/record"
	"github.com/rowtime/rowtime/record/decode"
	"github.com/rowtime/rowtime/record/kinesis"
	"github.com/rowtime/rowtime/record/kinesis/kinesistest"
	"github.com/rowtime/rowtime/window"
)

type loopBid struct {
	Block int64 `json:"block"`
}

func newLoop(t *testing.T, shard string) *kinesis.Loop[loopBid, window.Result[int64, int64]] {
	dec, err := decode.NewJSON[loopBid]("ts", decode.Millis)
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
	dec, _ := decode.NewJSON[loopBid]("ts", decode.Millis)
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

func sdkRecord(t *testing.T, seq int, data string) kinesis.Record {
	t.Helper()
	r, err := kinesis.FromSDK("s", &types.Record{SequenceNumber: aws.String(fmt.Sprintf("4959%052d", seq)), Data: []byte(data), PartitionKey: aws.String("k")})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// failing fails downstream (after moving its state) on block 13.
type failing struct {
	*window.Agg[record.Of[loopBid], int64, int64]
}

func (f failing) Push(r record.Of[loopBid], emit func(window.Result[int64, int64])) error {
	err := f.Agg.Push(r, emit)
	if err == nil && r.Value.Block == 13 {
		return fmt.Errorf("downstream failed")
	}
	return err
}

func TestLoopGuardsIdleAndReplay(t *testing.T) {
	dec, _ := decode.NewJSON[loopBid]("ts", decode.Millis)
	clock := time.UnixMilli(1700000000000).Add(30 * time.Second)
	newOp := func() failing {
		op, err := window.Aggregate(window.Step(10*time.Second), func(r record.Of[loopBid]) int64 { return r.Value.Block },
			aggregate.Count[record.Of[loopBid]](), nil)
		if err != nil {
			t.Fatal(err)
		}
		return failing{op}
	}
	newL := func() *kinesis.Loop[loopBid, window.Result[int64, int64]] {
		l, err := kinesis.NewLoop[loopBid, window.Result[int64, int64]]("s", kinesis.NewJSON[loopBid](dec, nil), newOp(),
			&kinesis.LoopOptions{Ledger: kinesis.LedgerOptions{Ordered: true}, IdleAfter: 5 * time.Second,
				Now: func() time.Time { return clock }})
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	var got []string
	emit := func(r window.Result[int64, int64]) { got = append(got, fmt.Sprintf("%d:%d", r.Key, r.Value)) }
	var dead []string
	deadFn := func(d kinesis.DeadLetter) { dead = append(dead, d.Error) }
	store := kinesis.FileStore{Dir: t.TempDir()}
	ctx := context.Background()

	// A new loop whose first read is empty waits IdleAfter from its start.
	fresh := newL()
	if err := fresh.Take(nil, 0, emit, deadFn); err != nil {
		t.Fatal(err)
	}
	if ok, _ := fresh.Idle(clock.Add(time.Second), emit); ok {
		t.Fatal("a new loop advanced by the clock before IdleAfter")
	}
	if ok, _ := fresh.Idle(clock.Add(6*time.Second), emit); !ok {
		t.Fatal("a new, caught-up loop did not advance by the clock after IdleAfter")
	}

	l := newL()
	recs := []kinesis.Record{
		sdkRecord(t, 1, `{"ts":1700000000000,"block":1}`),
		sdkRecord(t, 2, `{"ts":1800000000000,"block":1}`), // years ahead of the clock
		sdkRecord(t, 3, `{"ts":1700000001000,"block":1}`),
	}
	if err := l.Take(recs, 0, emit, deadFn); err != nil {
		t.Fatal(err)
	}
	if len(dead) != 1 || !strings.Contains(dead[0], "ahead of the clock") {
		t.Fatalf("dead letters %v", dead)
	}
	ver, err := l.Save(ctx, store, "k", 0)
	if err != nil {
		t.Fatal(err)
	}
	// A record failing downstream: restored and replayed, it fails again,
	// and goes to the dead letters; the rest of the batch is taken once.
	bad := []kinesis.Record{sdkRecord(t, 4, `{"ts":1700000002000,"block":13}`), sdkRecord(t, 5, `{"ts":1700000003000,"block":1}`)}
	if err := l.Take(bad, 0, emit, deadFn); err != nil {
		t.Fatal(err)
	}
	if len(dead) != 2 || !strings.Contains(dead[1], "failed again on replay") {
		t.Fatalf("dead letters %v", dead)
	}
	if _, err = l.Save(ctx, store, "k", ver); err != nil {
		t.Fatal(err)
	}
	// Caught up and quiet: after IdleAfter the clock closes the window.
	if err := l.Take(nil, 0, emit, deadFn); err != nil {
		t.Fatal(err)
	}
	if ok, _ := l.Idle(clock.Add(time.Second), emit); ok || len(got) != 0 {
		t.Fatalf("advanced before IdleAfter: %v", got)
	}
	if ok, err := l.Idle(clock.Add(6*time.Second), emit); !ok || err != nil || fmt.Sprint(got) != "[1:3]" {
		t.Fatalf("Idle: %v %v, results %v", ok, err, got)
	}
	// Behind the tip (a backfill): never by the clock.
	if err := l.Take(nil, time.Minute, emit, deadFn); err != nil {
		t.Fatal(err)
	}
	if ok, _ := l.Idle(clock.Add(time.Hour), emit); ok {
		t.Fatal("a shard behind advanced by the clock")
	}
}
