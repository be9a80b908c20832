package group_test

import (
	"context"
	"flag"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/rowtime/rowtime/record/kinesis"
	"github.com/rowtime/rowtime/record/kinesis/group"
)

var measure = flag.Bool("group.measure", false, "run the measurements: records per second per worker with 1, 2 and 3 workers, and the time a dead worker's shards take to move")

// fill puts n events into the stream in PutRecords calls of 500.
func fill(ctx context.Context, t *testing.T, api *sdk.Client, stream string, n int) {
	base := time.Now().Add(-time.Hour).UnixMilli()
	for i := 0; i < n; {
		var entries []types.PutRecordsRequestEntry
		for ; i < n && len(entries) < 500; i++ {
			entries = append(entries, types.PutRecordsRequestEntry{
				Data:         fmt.Appendf(nil, `{"ts":%d,"k":"key-%02d"}`, base+int64(i), i%50),
				PartitionKey: aws.String(fmt.Sprintf("pk-%d", i)),
			})
		}
		for len(entries) > 0 {
			out, err := api.PutRecords(ctx, &sdk.PutRecordsInput{StreamName: aws.String(stream), Records: entries})
			if err != nil {
				t.Fatal(err)
			}
			var again []types.PutRecordsRequestEntry
			for j, r := range out.Records {
				if r.ErrorCode != nil {
					again = append(again, entries[j])
				}
			}
			entries = again
		}
	}
}

// TestMeasure measures, on a four-shard kinesalite stream with the state
// in dynalite: how fast 1, 2 and 3 workers (in this process) read a
// backlog, and how long after a worker stops renewing its leases its
// shards are taken by the survivor, with the library's default lease
// timings and with 2-second leases. It runs only with -group.measure.
func TestMeasure(t *testing.T) {
	if !*measure {
		t.Skip("a measurement: run with -group.measure")
	}
	const events = 40000
	for _, n := range []int{1, 2, 3} {
		c := newCluster(t, 4)
		ctx := context.Background()
		fill(ctx, t, c.ks.Kinesis(), c.env.Stream, events)
		start := time.Now()
		var ws []*group.Worker[event, result]
		var stops []func() error
		for i := range n {
			w, stop := c.inProcess(fmt.Sprintf("m%d", i), c.ks.Kinesis(), c.db.DynamoDB(), kinesis.NewDynamoDBStore(c.db.DynamoDB(), c.env.State, nil))
			ws, stops = append(ws, w), append(stops, stop)
		}
		waitFor(t, "the backlog read", 5*time.Minute, func() bool {
			var sum uint64
			for _, w := range ws {
				sum += w.Stats().Records
			}
			return sum >= events
		})
		el := time.Since(start)
		var per []uint64
		for _, w := range ws {
			per = append(per, w.Stats().Records)
		}
		for _, s := range stops {
			_ = s()
		}
		t.Logf("MEASURE workers=%d events=%d seconds=%.2f records/s=%.0f records/s/worker=%.0f split=%v",
			n, events, el.Seconds(), events/el.Seconds(), events/el.Seconds()/float64(n), per)
	}
	for _, lease := range []time.Duration{-1, 2 * time.Second} {
		c := newCluster(t, 4)
		c.env.Lease = lease
		ctx, cancel := context.WithCancel(context.Background())
		stopProd := make(chan struct{})
		p := newProducer(5)
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.run(ctx, t, c.ks.Kinesis(), c.env.Stream, 10, 100*time.Millisecond, stopProd)
		}()
		st := func() kinesis.Store { return kinesis.NewDynamoDBStore(c.db.DynamoDB(), c.env.State, nil) }
		_, stopA := c.inProcess("a", c.ks.Kinesis(), c.db.DynamoDB(), st())
		_, _ = c.inProcess("b", c.ks.Kinesis(), c.db.DynamoDB(), st())
		owners := func() map[string]int {
			m := map[string]int{}
			for i := range 4 {
				h, _ := c.item(fmt.Sprintf("shardId-%012d", i))
				if o, ok := h["owner"].(string); ok {
					m[o]++
				}
			}
			return m
		}
		waitFor(t, "both workers to hold shards", 3*time.Minute, func() bool { o := owners(); return o["a"] > 0 && o["b"] > 0 })
		// Stop a without releasing its leases: a dead worker.
		_ = stopA()
		died := time.Now()
		waitFor(t, "b to hold every shard", 3*time.Minute, func() bool { return owners()["b"] == 4 })
		timing := "lease=2s renew=500ms assign=500ms"
		if lease < 0 {
			timing = "lease=20s renew=5s assign=10s (the library's defaults)"
		}
		t.Logf("MEASURE failover %s: every shard on the survivor %.2f s after the worker died", timing, time.Since(died).Seconds())
		close(stopProd)
		wg.Wait()
		cancel()
	}
}
