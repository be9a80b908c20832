package main

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"math/big"
	"math/rand/v2"
	"regexp"
	"slices"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/rowtime/rowtime/examples/query/trending"
	rk "github.com/rowtime/rowtime/record/kinesis"
)

var measure = flag.Bool("measure", false, "run TestMeasure: records per second per worker with 1, 2 and 3 consumer processes, and the time a dead worker's shards take to move")

// backlog puts recs on the stream with random explicit hash keys (spread
// over the shards) and returns the last sequence number of each shard.
func (e *groupEnv) backlog(recs []trending.Record, seed uint64) map[string]string {
	rng := rand.New(rand.NewPCG(seed, 3))
	last := map[string]string{}
	for from := 0; from < len(recs); from += 500 {
		var entries []types.PutRecordsRequestEntry
		for _, r := range recs[from:min(from+500, len(recs))] {
			h := new(big.Int).Lsh(new(big.Int).SetUint64(rng.Uint64()), 64)
			h.Or(h, new(big.Int).SetUint64(rng.Uint64()))
			entries = append(entries, types.PutRecordsRequestEntry{Data: trending.AppendJSON(nil, r),
				PartitionKey: aws.String(strconv.FormatInt(r.Value.UserID, 10)), ExplicitHashKey: aws.String(h.String())})
		}
		out, err := e.api.PutRecords(context.Background(), &kinesis.PutRecordsInput{StreamName: aws.String(e.stream), Records: entries})
		if err != nil || aws.ToInt32(out.FailedRecordCount) != 0 {
			e.t.Fatalf("PutRecords: %v", err)
		}
		for _, r := range out.Records {
			last[aws.ToString(r.ShardId)] = aws.ToString(r.SequenceNumber)
		}
	}
	return last
}

// header reads the group's header in shard's item.
func (e *groupEnv) header(shard string) map[string]any {
	data, _, err := rk.NewDynamoDBStore(e.db.DynamoDB(), "state", nil).Load(context.Background(), "shard/actions/actions/"+shard)
	if err != nil {
		return nil
	}
	n, k := binary.Uvarint(data)
	if k <= 0 || uint64(len(data)-k) < n {
		return nil
	}
	var h map[string]any
	_ = json.Unmarshal(data[k+int(n):], &h)
	return h
}

// TestMeasure measures the consumer as a group of worker processes on a
// four-shard kinesalite stream, the state in dynalite, with the trending
// query: how fast 1, 2 and 3 workers read a backlog (until every shard's
// checkpoint is its last record), and how long after a worker's SIGKILL
// its shards have a new owner, with the lease library's default timings
// and with -lease 2s. It runs only with -measure:
//
//	go test ./examples/consumer -run TestMeasure -measure -v
func TestMeasure(t *testing.T) {
	if !*measure {
		t.Skip("a measurement: run with -measure")
	}
	const n = 40000
	stats := regexp.MustCompile(`msg=stopped .*records=(\d+)`)
	for _, workers := range []int{1, 2, 3} {
		e := newGroupEnv(t, 4, newWorkload(uint64(workers), n, 10*time.Millisecond))
		last := e.backlog(e.w.recs, uint64(workers))
		start := time.Now()
		var ids []string
		for i := range workers {
			id := fmt.Sprintf("m%d", i)
			ids = append(ids, id)
			e.start(id, "-limit", "10000", "-idle", "60s")
		}
		deadline := time.Now().Add(5 * time.Minute)
		for done := false; !done; {
			done = true
			for shard, seq := range last {
				cp, err := trendingCheckpoint(e, shard, "shard/actions/actions/"+shard)
				if err != nil || cp != seq {
					done = false
					break
				}
			}
			if time.Now().After(deadline) {
				for shard, seq := range last {
					cp, err := trendingCheckpoint(e, shard, "shard/actions/actions/"+shard)
					t.Logf("%s: checkpoint %s (%v), last record %s", shard, cp, err, seq)
				}
				t.Fatal("the backlog was not read in 5 minutes")
			}
			if !done {
				time.Sleep(100 * time.Millisecond)
			}
		}
		el := time.Since(start)
		var split []string
		for _, id := range ids {
			p := e.proc(id)
			p.Kill(syscall.SIGTERM)
			m := stats.FindStringSubmatch(p.Output())
			if m == nil {
				t.Fatalf("worker %s logged no stats:\n%s", id, p.Output())
			}
			split = append(split, m[1])
		}
		t.Logf("MEASURE workers=%d records=%d seconds=%.2f records/s=%.0f records/s/worker=%.0f split=%v",
			workers, n, el.Seconds(), n/el.Seconds(), n/el.Seconds()/float64(workers), split)
	}

	for _, lease := range []string{"", "2s"} {
		e := newGroupEnv(t, 4, newWorkload(9, 200000, 10*time.Millisecond))
		p := e.produce(9, 10, 100*time.Millisecond, false)
		start := func(id string) {
			args := e.args(id, "-idle", "60s")
			if lease == "" {
				// The library's defaults: lease 20 s, renew 5 s, assign 10 s.
				i := slices.Index(args, "-lease")
				args = slices.Delete(args, i, i+2)
			}
			e.startArgs(id, args)
		}
		start("a")
		start("b")
		owners := func() map[string]int {
			m := map[string]int{}
			for i := range 4 {
				if o, ok := e.header(fmt.Sprintf("shardId-%012d", i))["owner"].(string); ok {
					m[o]++
				}
			}
			return m
		}
		deadline := time.Now().Add(3 * time.Minute)
		for o := owners(); o["a"] == 0 || o["b"] == 0; o = owners() {
			if time.Now().After(deadline) {
				t.Fatalf("the two workers did not both hold shards in 3 minutes: %v", o)
			}
			time.Sleep(100 * time.Millisecond)
		}
		held := owners()["a"]
		e.proc("a").Kill(syscall.SIGKILL)
		died := time.Now()
		for owners()["b"] != 4 {
			if time.Now().After(died.Add(3 * time.Minute)) {
				t.Fatalf("b did not take a's shards in 3 minutes: %v", owners())
			}
			time.Sleep(50 * time.Millisecond)
		}
		moved := time.Since(died)
		p.end()
		timing := "-lease 2s (renew 0.5 s, assign 1 s)"
		if lease == "" {
			timing = "the library's defaults (lease 20 s, renew 5 s, assign 10 s)"
		}
		t.Logf("MEASURE failover %s: the killed worker's %d shards owned by the survivor %.2f s after the SIGKILL", timing, held, moved.Seconds())
	}
}
