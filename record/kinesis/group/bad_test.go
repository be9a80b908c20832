package group_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/rowtime/rowtime/aggregate"
	"github.com/rowtime/rowtime/record"
	"github.com/rowtime/rowtime/record/decode"
	"github.com/rowtime/rowtime/record/kinesis"
	"github.com/rowtime/rowtime/record/kinesis/group"
	"github.com/rowtime/rowtime/window"
)

func runErr(t *testing.T, c *cluster, e env, api group.KinesisAPI) error {
	t.Helper()
	cfg := testConfig(e, api, c.db.DynamoDB(), kinesis.NewDynamoDBStore(c.db.DynamoDB(), e.State, nil))
	w, err := group.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err = w.Run(ctx)
	if err == nil {
		t.Fatal("Run ended without an error")
	}
	return err
}

// TestBadTables: a lease table or a state table that is missing or has
// another key schema is a clear error, saying what to do.
func TestBadTables(t *testing.T) {
	c := newCluster(t, 1)
	ctx := context.Background()
	db := c.db.DynamoDB()
	e := c.env
	e.Worker, e.Leases = "w", "missing"
	err := runErr(t, c, e, c.ks.Kinesis())
	if !errors.Is(err, group.ErrTable) || !strings.Contains(err.Error(), "does not exist") || !strings.Contains(err.Error(), "create it with") {
		t.Errorf("missing lease table: %v", err)
	}
	// The state table's schema is not a lease table's.
	e.Leases = e.State
	err = runErr(t, c, e, c.ks.Kinesis())
	if !errors.Is(err, group.ErrTable) || !strings.Contains(err.Error(), "has key key (HASH, S)") {
		t.Errorf("lease table of another schema: %v", err)
	}
	if err := group.CheckStateTable(ctx, db, "nope"); !errors.Is(err, group.ErrTable) || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("missing state table: %v", err)
	}
	if err := group.CheckStateTable(ctx, db, c.env.Leases); !errors.Is(err, group.ErrTable) || !strings.Contains(err.Error(), "namespace (HASH, S), shard_id (RANGE, S)") {
		t.Errorf("state table of another schema: %v", err)
	}
	if _, err := db.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String("numeric"),
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("key"), AttributeType: types.ScalarAttributeTypeN}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("key"), KeyType: types.KeyTypeHash}},
		BillingMode:          types.BillingModePayPerRequest,
	}); err != nil {
		t.Fatal(err)
	}
	if err := group.CheckStateTable(ctx, db, "numeric"); !errors.Is(err, group.ErrTable) || !strings.Contains(err.Error(), "key (HASH, N)") {
		t.Errorf("state table with a numeric key: %v", err)
	}
	if err := group.CheckStateTable(ctx, db, c.env.State); err != nil {
		t.Errorf("the right state table: %v", err)
	}
}

// TestStateOfAnotherQuery: a shard item saved by another query (another
// window size) stops the worker with the store's unusable-state error.
func TestStateOfAnotherQuery(t *testing.T) {
	c := newCluster(t, 1)
	ctx := context.Background()
	dec, _ := decode.NewJSON[event]("ts", decode.Millis)
	op, err := window.Aggregate(window.Step(3*time.Second), func(r record.Of[event]) string { return r.Value.Key },
		aggregate.Count[record.Of[event]](), nil)
	if err != nil {
		t.Fatal(err)
	}
	other, err := kinesis.NewLoop[event, result]("shardId-000000000000", kinesis.NewJSON[event](dec, nil), op, nil)
	if err != nil {
		t.Fatal(err)
	}
	st := kinesis.NewDynamoDBStore(c.db.DynamoDB(), c.env.State, nil)
	if _, err := other.Save(ctx, st, "shard/events/events/shardId-000000000000", 0); err != nil {
		t.Fatal(err)
	}
	e := c.env
	e.Worker = "w"
	err = runErr(t, c, e, c.ks.Kinesis())
	if !errors.Is(err, kinesis.ErrState) || !strings.Contains(err.Error(), "another query") {
		t.Errorf("state of another query: %v", err)
	}
}

// TestCheckpointTrimmed: a checkpoint older than the stream's trim horizon
// (Kinesis's answers injected: kinesalite keeps 24 hours), refused by
// GetShardIterator or expiring the iterator at once, stops the worker with
// ErrTrimmed, saying what to do.
func TestCheckpointTrimmed(t *testing.T) {
	c := newCluster(t, 1)
	ctx := context.Background()
	p := newProducer(3)
	api := c.ks.Kinesis()
	p.put(ctx, t, api, c.env.Stream, 20)
	st := &countingStore{Store: kinesis.NewDynamoDBStore(c.db.DynamoDB(), c.env.State, nil)}
	_, stop := c.inProcess("w", api, c.db.DynamoDB(), st)
	waitFor(t, "a checkpoint", 20*time.Second, func() bool { return st.saved.Load() >= 2 })
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	e := c.env
	e.Worker = "w"
	err := runErr(t, c, e, gatedKinesis{Client: api, g: newGate(), trimmed: true})
	if !errors.Is(err, group.ErrTrimmed) || !strings.Contains(err.Error(), "delete the item") {
		t.Errorf("trimmed checkpoint: %v", err)
	}
	// Kinesis may hand out the iterator and expire it at once instead.
	err = runErr(t, c, e, gatedKinesis{Client: api, g: newGate(), expired: true})
	if !errors.Is(err, group.ErrTrimmed) || !strings.Contains(err.Error(), "delete the item") || !strings.Contains(err.Error(), "Iterator expired") {
		t.Errorf("iterator at the checkpoint expired at once: %v", err)
	}
}
