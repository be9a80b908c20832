package group_test

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"maps"
	"math/big"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/rowtime/rowtime/record/kinesis"
	"github.com/rowtime/rowtime/record/kinesis/group"
	"github.com/rowtime/rowtime/record/kinesis/kinesistest"
)

// cluster is a kinesalite stream and a dynalite with the two tables; the
// tests run workers in this process on it (the tests of examples/consumer
// run them as processes).
type cluster struct {
	t      *testing.T
	ks, db *kinesistest.Server
	env    env
}

func newCluster(t *testing.T, shards int) *cluster {
	t.Helper()
	if testing.Short() {
		t.Skip("starts kinesalite and dynalite; not in -short")
	}
	c := &cluster{t: t, ks: kinesistest.StartKinesis(t), db: kinesistest.StartDynamoDB(t)}
	dir := t.TempDir()
	c.env = env{Kinesis: c.ks.Endpoint, DynamoDB: c.db.Endpoint, Stream: "events", Leases: "leases", State: "state",
		Out: filepath.Join(dir, "out"), Dead: filepath.Join(dir, "dead"), Lease: 2 * time.Second}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := c.ks.Kinesis().CreateStream(ctx, &sdk.CreateStreamInput{StreamName: aws.String(c.env.Stream), ShardCount: aws.Int32(int32(shards))}); err != nil {
		t.Fatal(err)
	}
	c.waitActive(ctx)
	if err := group.CreateLeaseTable(ctx, c.db.DynamoDB(), c.env.Leases); err != nil {
		t.Fatal(err)
	}
	kinesistest.StateTable(t, c.db, c.env.State)
	return c
}

func (c *cluster) waitActive(ctx context.Context) {
	for {
		out, err := c.ks.Kinesis().DescribeStreamSummary(ctx, &sdk.DescribeStreamSummaryInput{StreamName: aws.String(c.env.Stream)})
		if err != nil {
			c.t.Fatal(err)
		}
		if out.StreamDescriptionSummary.StreamStatus == types.StreamStatusActive {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// producer puts events with random partition keys (so a key's events are
// on every shard: the merge is needed), or with the key as partition key
// (keyed: a key's events on one shard), and wall-clock times, and counts
// them naively.
type producer struct {
	keyed bool
	mu    sync.Mutex
	want  map[[2]int64]int64 // (window end, key index) → count
	keys  []string
	rng   *rand.Rand
	total int
}

func newProducer(seed uint64) *producer {
	p := &producer{want: map[[2]int64]int64{}, rng: rand.New(rand.NewPCG(seed, seed))}
	for i := range 12 {
		p.keys = append(p.keys, fmt.Sprintf("key-%02d", i))
	}
	return p
}

// put puts one PutRecords batch of n events.
func (p *producer) put(ctx context.Context, t *testing.T, api *sdk.Client, stream string, n int) {
	p.mu.Lock()
	now := time.Now().UnixMilli()
	entries := make([]types.PutRecordsRequestEntry, n)
	counted := make([][2]int64, n)
	for i := range entries {
		k := p.rng.IntN(len(p.keys))
		at := now - int64(p.rng.IntN(1000)) // up to 1 s out of order
		pk := fmt.Sprintf("pk-%d", p.rng.Uint64())
		if p.keyed {
			pk = p.keys[k]
		}
		entries[i] = types.PutRecordsRequestEntry{
			Data:         fmt.Appendf(nil, `{"ts":%d,"k":%q}`, at, p.keys[k]),
			PartitionKey: aws.String(pk),
		}
		w := testWindow.Milliseconds()
		counted[i] = [2]int64{(at/w + 1) * w, int64(k)}
	}
	p.mu.Unlock()
	for len(entries) > 0 {
		out, err := api.PutRecords(ctx, &sdk.PutRecordsInput{StreamName: aws.String(stream), Records: entries})
		if err != nil {
			if ctx.Err() == nil {
				t.Errorf("PutRecords: %v", err)
			}
			return
		}
		var again []types.PutRecordsRequestEntry
		var againC [][2]int64
		p.mu.Lock()
		for i, r := range out.Records {
			if r.ErrorCode != nil {
				again, againC = append(again, entries[i]), append(againC, counted[i])
				continue
			}
			p.want[counted[i]]++
			p.total++
		}
		p.mu.Unlock()
		entries, counted = again, againC
	}
}

// run puts batches of n every gap until stop.
func (p *producer) run(ctx context.Context, t *testing.T, api *sdk.Client, stream string, n int, gap time.Duration, stop <-chan struct{}) {
	tick := time.NewTicker(gap)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
			p.put(ctx, t, api, stream, n)
		}
	}
}

// output reads the merged output: every window file, every line; a
// (window, key) twice is an error.
func readOutput(dir string) (map[[2]int64]int64, error) {
	got := map[[2]int64]int64{}
	seen := map[string]bool{}
	files, _ := filepath.Glob(filepath.Join(dir, "*.jsonl"))
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			return nil, err
		}
		sc := bufio.NewScanner(fh)
		for sc.Scan() {
			var r result
			if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
				fh.Close()
				return nil, fmt.Errorf("%s: %w", f, err)
			}
			id := [2]int64{int64(r.End) / 1e6, 0}
			k := fmt.Sprint(id[0], r.Key)
			if seen[k] {
				fh.Close()
				return nil, fmt.Errorf("%s: (window %v, key %s) twice", f, r.End, r.Key)
			}
			seen[k] = true
			var idx int
			fmt.Sscanf(r.Key, "key-%d", &idx)
			id[1] = int64(idx)
			got[id] = r.Value
		}
		fh.Close()
	}
	return got, nil
}

// await waits until the output holds every window the producer put
// events into, then compares it with the naive counts.
func (c *cluster) await(p *producer, timeout time.Duration) {
	c.t.Helper()
	p.mu.Lock()
	want := maps.Clone(p.want)
	p.mu.Unlock()
	ends := map[int64]bool{}
	for k := range want {
		ends[k[0]] = true
	}
	// Until the output holds every (window, key): with KeyedShards a
	// window's lines come from several shards, at their own times.
	deadline := time.Now().Add(timeout)
	var got map[[2]int64]int64
	for {
		var err error
		got, err = readOutput(c.env.Out)
		if err != nil {
			c.t.Fatal(err)
		}
		if maps.Equal(got, want) || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	// Sorted by (window end, key).
	ids := slices.Collect(maps.Keys(want))
	for k := range got {
		if _, ok := want[k]; !ok {
			ids = append(ids, k)
		}
	}
	slices.SortFunc(ids, func(a, b [2]int64) int {
		if a[0] != b[0] {
			return int(a[0] - b[0])
		}
		return int(a[1] - b[1])
	})
	bad := 0
	for _, id := range ids {
		if got[id] != want[id] {
			if bad < 20 {
				c.t.Errorf("window ending %v, key-%02d: merged %d, naive %d", time.UnixMilli(id[0]).UTC().Format("15:04:05.000"), id[1], got[id], want[id])
			}
			bad++
		}
	}
	if bad > 0 {
		c.dump()
		c.t.Fatalf("%d of %d (window, key) differ from the naive group-by over %d events", bad, len(ids), p.total)
	}
	c.t.Logf("%d events, %d (window, key) results, %d windows: merged output equals the naive group-by", p.total, len(ids), len(ends))
}

func hashRange(t *testing.T, s types.Shard) (lo, hi *big.Int) {
	lo, ok1 := new(big.Int).SetString(aws.ToString(s.HashKeyRange.StartingHashKey), 10)
	hi, ok2 := new(big.Int).SetString(aws.ToString(s.HashKeyRange.EndingHashKey), 10)
	if !ok1 || !ok2 {
		t.Fatalf("shard %s: hash range %v", aws.ToString(s.ShardId), s.HashKeyRange)
	}
	return lo, hi
}

// dump logs each shard's item header, for a failure's diagnosis.
func (c *cluster) dump() {
	ctx := context.Background()
	out, err := c.ks.Kinesis().ListShards(ctx, &sdk.ListShardsInput{StreamName: aws.String(c.env.Stream)})
	if err != nil {
		c.t.Log(err)
		return
	}
	st := kinesis.NewDynamoDBStore(c.db.DynamoDB(), c.env.State, nil)
	for _, s := range out.Shards {
		data, ver, err := st.Load(ctx, "shard/"+c.env.Stream+"/"+c.env.Stream+"/"+aws.ToString(s.ShardId))
		if err != nil {
			c.t.Logf("%s: %v", aws.ToString(s.ShardId), err)
			continue
		}
		n, k := binary.Uvarint(data)
		var h map[string]any
		_ = json.Unmarshal(data[k+int(n):], &h)
		if ps, ok := h["partials"].([]any); ok {
			h["partials"] = len(ps)
		}
		c.t.Logf("%s (parents %s %s) version %d: %v", aws.ToString(s.ShardId), aws.ToString(s.ParentShardId), aws.ToString(s.AdjacentParentShardId), ver, h)
	}
}
