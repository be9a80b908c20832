package group_test

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"path/filepath"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/rowtime/rowtime/record/kinesis"
	"github.com/rowtime/rowtime/record/kinesis/group"
)

// runKeyed runs two KeyedShards workers on a four-shard stream whose
// producer partitions by the query's key, calls during (if not nil) while
// the producer runs, and checks the output against the naive group-by.
func runKeyed(t *testing.T, seed uint64, during func(ctx context.Context, c *cluster)) (*cluster, []*group.Worker[event, result]) {
	c := newCluster(t, 4)
	c.env.Keyed = true
	st := func() kinesis.Store { return kinesis.NewDynamoDBStore(c.db.DynamoDB(), c.env.State, nil) }
	a, _ := c.inProcess("a", c.ks.Kinesis(), c.db.DynamoDB(), st())
	b, _ := c.inProcess("b", c.ks.Kinesis(), c.db.DynamoDB(), st())
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	p := newProducer(seed)
	p.keyed = true
	stop, done := make(chan struct{}), make(chan struct{})
	go func() { defer close(done); p.run(ctx, t, c.ks.Kinesis(), c.env.Stream, 20, 50*time.Millisecond, stop) }()
	time.Sleep(3 * time.Second)
	if during != nil {
		during(ctx, c)
	}
	time.Sleep(3 * time.Second)
	close(stop)
	<-done
	c.await(p, 40*time.Second)
	return c, []*group.Worker[event, result]{a, b}
}

// perShard matches the name of a shard's own window file.
var perShard = regexp.MustCompile(`^events-\d{20}-shardId-\d+\.jsonl$`)

// TestKeyedShards: when the producer's partition key is the query's key,
// KeyedShards workers write each shard's results as final, with no merge:
// the output equals the naive group-by, every window file is a shard's
// own, and neither a merge item nor a partial result is ever saved.
func TestKeyedShards(t *testing.T) {
	c, ws := runKeyed(t, 21, nil)
	files, _ := filepath.Glob(filepath.Join(c.env.Out, "*.jsonl"))
	if len(files) == 0 {
		t.Fatal("no output")
	}
	for _, f := range files {
		if !perShard.MatchString(filepath.Base(f)) {
			t.Errorf("output file %s is not a shard's own window", filepath.Base(f))
		}
	}
	var final uint64
	for _, w := range ws {
		st := w.Stats()
		final += st.Final
		if st.Merged != 0 {
			t.Errorf("a worker merged %d windows", st.Merged)
		}
	}
	if final == 0 {
		t.Error("no window written by a shard")
	}
	st := kinesis.NewDynamoDBStore(c.db.DynamoDB(), c.env.State, nil)
	if _, _, err := st.Load(context.Background(), "merge/events/events"); !errors.Is(err, kinesis.ErrNotFound) {
		t.Errorf("a merge item was saved: %v", err)
	}
	for i := range 4 {
		h, _ := c.item(shardID(i))
		if h == nil {
			t.Fatalf("%s has no item", shardID(i))
		}
		if ps, ok := h["partials"]; ok {
			t.Errorf("%s holds partial results: %v", shardID(i), ps)
		}
	}
}

func shardID(i int) string { return fmt.Sprintf("shardId-%012d", i) }

// TestKeyedShardsReshard: a split and a merge of shards while KeyedShards
// workers run. The windows open across each resharding have results from
// a parent and a child: they go through the merge, the others are written
// by their shards; the output still equals the naive group-by, each
// (window, key) once.
func TestKeyedShardsReshard(t *testing.T) {
	c, _ := runKeyed(t, 2121, func(ctx context.Context, c *cluster) { reshard(ctx, t, c) })
	files, _ := filepath.Glob(filepath.Join(c.env.Out, "*.jsonl"))
	var merged int
	for _, f := range files {
		if !perShard.MatchString(filepath.Base(f)) {
			merged++
		}
	}
	t.Logf("%d window files, %d of them merged", len(files), merged)
}

// reshard splits the first shard in two, waits, and merges the split's
// upper child with the next shard up.
func reshard(ctx context.Context, t *testing.T, c *cluster) {
	api := c.ks.Kinesis()
	shards := func() []types.Shard {
		out, err := api.ListShards(ctx, &sdk.ListShardsInput{StreamName: aws.String(c.env.Stream)})
		if err != nil {
			t.Fatal(err)
		}
		return out.Shards
	}
	s0 := shards()[0]
	lo, hi := hashRange(t, s0)
	mid := new(big.Int).Rsh(new(big.Int).Add(lo, hi), 1).String()
	if _, err := api.SplitShard(ctx, &sdk.SplitShardInput{StreamName: aws.String(c.env.Stream), ShardToSplit: s0.ShardId,
		NewStartingHashKey: aws.String(mid)}); err != nil {
		t.Fatal(err)
	}
	c.waitActive(ctx)
	time.Sleep(3 * time.Second)
	var open []types.Shard
	for _, s := range shards() {
		if s.SequenceNumberRange.EndingSequenceNumber == nil {
			open = append(open, s)
		}
	}
	slices.SortFunc(open, func(a, b types.Shard) int {
		x, _ := hashRange(t, a)
		y, _ := hashRange(t, b)
		return x.Cmp(y)
	})
	if _, err := api.MergeShards(ctx, &sdk.MergeShardsInput{StreamName: aws.String(c.env.Stream),
		ShardToMerge: open[1].ShardId, AdjacentShardToMerge: open[2].ShardId}); err != nil {
		t.Fatal(err)
	}
	c.waitActive(ctx)
}
