package group_test

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	sdk "github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/rowtime/rowtime/record/kinesis"
	"github.com/rowtime/rowtime/record/kinesis/group"
)

// gate holds requests while paused.
type gate struct {
	mu   sync.Mutex
	open chan struct{}
}

func newGate() *gate {
	g := &gate{open: make(chan struct{})}
	close(g.open)
	return g
}

func (g *gate) pause() {
	g.mu.Lock()
	g.open = make(chan struct{})
	g.mu.Unlock()
}

func (g *gate) resume() {
	g.mu.Lock()
	select {
	case <-g.open:
	default:
		close(g.open)
	}
	g.mu.Unlock()
}

func (g *gate) wait(ctx context.Context) error {
	g.mu.Lock()
	c := g.open
	g.mu.Unlock()
	select {
	case <-c:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

type gatedTransport struct{ g *gate }

func (t gatedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if err := t.g.wait(r.Context()); err != nil {
		return nil, err
	}
	return http.DefaultTransport.RoundTrip(r)
}

// gatedKinesis holds GetRecords while its gate is paused, and answers
// GetShardIterator at a sequence number with the error Kinesis gives for
// a trimmed one when trimmed is set, and GetRecords with an expired
// iterator when expired is.
type gatedKinesis struct {
	*sdk.Client
	g                *gate
	trimmed, expired bool
}

func (k gatedKinesis) GetRecords(ctx context.Context, in *sdk.GetRecordsInput, opt ...func(*sdk.Options)) (*sdk.GetRecordsOutput, error) {
	if err := k.g.wait(ctx); err != nil {
		return nil, err
	}
	if k.expired {
		return nil, &types.ExpiredIteratorException{Message: aws.String("Iterator expired. The iterator was created at time X while right now it is Y which is further in the future than the tolerated delay of 300000 milliseconds.")}
	}
	return k.Client.GetRecords(ctx, in, opt...)
}

func (k gatedKinesis) GetShardIterator(ctx context.Context, in *sdk.GetShardIteratorInput, opt ...func(*sdk.Options)) (*sdk.GetShardIteratorOutput, error) {
	if k.trimmed && in.ShardIteratorType == types.ShardIteratorTypeAtSequenceNumber {
		return nil, &types.InvalidArgumentException{Message: aws.String("StartingSequenceNumber " + aws.ToString(in.StartingSequenceNumber) +
			" used in GetShardIterator on shard " + aws.ToString(in.ShardId) + " is not in the range of sequence numbers of the shard (trimmed)")}
	}
	return k.Client.GetShardIterator(ctx, in, opt...)
}

// countingStore counts the saves of shard items that succeed and fail.
type countingStore struct {
	kinesis.Store
	saved, conflicts atomic.Int64
}

func (s *countingStore) Save(ctx context.Context, key string, data []byte, prev kinesis.Version) (kinesis.Version, error) {
	v, err := s.Store.Save(ctx, key, data, prev)
	if strings.HasPrefix(key, "shard/") {
		switch {
		case err == nil:
			s.saved.Add(1)
		case errors.Is(err, kinesis.ErrConflict):
			s.conflicts.Add(1)
		}
	}
	return v, err
}

// item reads the header of shard's item.
func (c *cluster) item(shard string) (map[string]any, kinesis.Version) {
	data, ver, err := kinesis.NewDynamoDBStore(c.db.DynamoDB(), c.env.State, nil).Load(context.Background(), "shard/"+c.env.Stream+"/"+c.env.Stream+"/"+shard)
	if err != nil {
		return nil, 0
	}
	n, k := binary.Uvarint(data)
	var h map[string]any
	_ = json.Unmarshal(data[k+int(n):], &h)
	return h, ver
}

func (c *cluster) inProcess(id string, api group.KinesisAPI, db *dynamodb.Client, st kinesis.Store) (*group.Worker[event, result], func() error) {
	c.t.Helper()
	e := c.env
	e.Worker = id
	cfg := testConfig(e, api, db, st)
	cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		cfg.Log = slog.Default()
	}
	w, err := group.New(cfg)
	if err != nil {
		c.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	var once sync.Once
	var err2 error
	stop := func() error {
		once.Do(func() { cancel(); err2 = <-done })
		return err2
	}
	c.t.Cleanup(func() { _ = stop() })
	return w, stop
}

func waitFor(t *testing.T, what string, d time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestFencedWorkerWritesNothing stalls a worker (its lease renewals and
// its reads), lets a second worker take its shard over (only the takeover:
// the new owner's reads are stalled too, so it has saved no batch), then
// lets the first go on: its save fails on the new epoch, it stops the
// shard, and nothing it does changes the item.
func TestFencedWorkerWritesNothing(t *testing.T) {
	c := newCluster(t, 1)
	ctx := context.Background()
	p := newProducer(7)
	api := c.ks.Kinesis()
	shard := "shardId-000000000000"

	leaseA, readA := newGate(), newGate()
	dbA := dynamoClient(c.db.Endpoint, func(o *dynamodb.Options) { o.HTTPClient = &http.Client{Transport: gatedTransport{leaseA}} })
	stA := &countingStore{Store: kinesis.NewDynamoDBStore(c.db.DynamoDB(), c.env.State, nil)}
	a, _ := c.inProcess("a", gatedKinesis{Client: api, g: readA}, dbA, stA)
	p.put(ctx, t, api, c.env.Stream, 50)
	waitFor(t, "a to take the shard and save a batch", 20*time.Second, func() bool { return stA.saved.Load() >= 2 })

	leaseA.pause()
	readA.pause()
	time.Sleep(300 * time.Millisecond) // a read in flight returns and is saved
	before := stA.saved.Load()

	readB := newGate()
	readB.pause()
	stB := &countingStore{Store: kinesis.NewDynamoDBStore(c.db.DynamoDB(), c.env.State, nil)}
	_, _ = c.inProcess("b", gatedKinesis{Client: api, g: readB}, c.db.DynamoDB(), stB)
	waitFor(t, "b to take the shard over", 20*time.Second, func() bool {
		h, _ := c.item(shard)
		return h["owner"] == "b"
	})
	h, ver := c.item(shard)
	if h["epoch"] != 2.0 || stB.saved.Load() != 1 {
		t.Fatalf("after the takeover: epoch %v, b saved %d items, want epoch 2 and 1 save", h["epoch"], stB.saved.Load())
	}

	p.put(ctx, t, api, c.env.Stream, 50)
	readA.resume()
	leaseA.resume()
	waitFor(t, "a to stop the shard", 20*time.Second, func() bool { return a.Stats().Fenced == 1 })
	if got := stA.saved.Load(); got != before {
		t.Errorf("a saved %d shard items after the takeover", got-before)
	}
	if stA.conflicts.Load() == 0 {
		t.Error("a's save did not fail on the new epoch")
	}
	h2, ver2 := c.item(shard)
	if ver2 != ver || h2["owner"] != "b" {
		t.Errorf("the item changed after the takeover: version %d → %d, owner %v", ver, ver2, h2["owner"])
	}

	// b reads on; the output equals the naive counts.
	readB.resume()
	c.await(p, 40*time.Second)
}
