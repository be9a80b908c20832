package group

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	sdk "github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/harlow/kinesis-consumer/group/consumergroup"
	"github.com/harlow/kinesis-consumer/group/consumergroup/ddb"

	"github.com/rowtime/rowtime/record"
	"github.com/rowtime/rowtime/record/kinesis"
)

// KinesisAPI is the part of the Kinesis client a Worker uses;
// *kinesis.Client of the SDK implements it.
type KinesisAPI interface {
	ListShards(ctx context.Context, in *sdk.ListShardsInput, optFns ...func(*sdk.Options)) (*sdk.ListShardsOutput, error)
	GetShardIterator(ctx context.Context, in *sdk.GetShardIteratorInput, optFns ...func(*sdk.Options)) (*sdk.GetShardIteratorOutput, error)
	GetRecords(ctx context.Context, in *sdk.GetRecordsInput, optFns ...func(*sdk.Options)) (*sdk.GetRecordsOutput, error)
}

// Errors of a Worker.
var (
	// ErrFenced reports that another worker took a shard over: the
	// shard's item was saved by its new owner since this worker read
	// it. The worker stops that shard and writes nothing more for it.
	ErrFenced = errors.New("group: the shard was taken over by another worker")
	// ErrTrimmed reports a checkpoint older than the stream's trim
	// horizon: the records after it are gone from the stream.
	ErrTrimmed = errors.New("group: the checkpoint is past the stream's trim horizon")
	// ErrTable reports a lease or state table that is missing or has
	// another key schema.
	ErrTable = errors.New("group: unusable table")
)

// Config configures a Worker. Stream, Worker, Kinesis, DynamoDB,
// LeaseTable, State, Format, Query, Window, Merge and Output are required.
type Config[T, Out any] struct {
	// Stream is the stream's name.
	Stream string
	// Group names the consumer group: its leases and state items. Zero
	// means Stream. Two queries over one stream are two groups.
	Group string
	// Worker is this worker's id, unique among the group's workers and
	// the same across its restarts.
	Worker string

	Kinesis  KinesisAPI
	DynamoDB *dynamodb.Client
	// LeaseTable is the DynamoDB table of the leases (see
	// CreateLeaseTable for its schema).
	LeaseTable string
	// State keeps each shard's item: its query state, checkpoint,
	// owner epoch and unmerged partials, and the merge's progress. A
	// kinesis.DynamoDBStore for several machines.
	State kinesis.Store

	// Format decodes payloads.
	Format kinesis.Format[T]
	// Query returns a new query for a shard: an operator that snapshots
	// and emits each (window, key) once, when the watermark passes the
	// window's end (no allowed lateness).
	Query func() (record.Operator[record.Of[T], Out], error)
	// Loop configures each shard's kinesis.Loop (Ledger.Ordered is set
	// for it: the worker reads each shard in order).
	Loop kinesis.LoopOptions

	// Window returns a result's identity: its window's end and its key,
	// as a string that orders the keys of one window.
	Window func(Out) (end record.Time, key string)
	// Merge merges the partial results of one (window, key) from two
	// shards.
	Merge func(a, b Out) Out
	// KeyedShards says that the query's key decides the shard: the
	// producer's partition key is a function of the query's key (the key
	// itself, or a part of it), so every record of a key is on one shard
	// and a shard's result of a (window, key) is the final one. The
	// shards then write their results themselves, without the merge:
	// after the save that accounts for them, one Output write per shard
	// and window, named by the window's end and the shard, one line per
	// key in key order (rewritten identically by the next owner after a
	// kill). Only the windows open across a resharding, which a parent and
	// its children share, still go through the merge, so Merge is needed
	// all the same (see the package docs). If the producer's partition
	// key is not such a function, the output has one line per shard for a
	// (window, key) instead of one: leave KeyedShards off.
	KeyedShards bool
	// AppendLine appends the output line of a merged result (without its
	// newline); nil means encoding/json.
	AppendLine func(dst []byte, r Out) []byte
	// Output receives the merged results, one write per window named by
	// the group and its end, with one JSON line per key in key order (and
	// with KeyedShards each shard's final results, one write per window
	// named by the group, its end and the shard): an Output that keeps one
	// object per name holds each result once.
	Output kinesis.Output
	// DeadLetters receives records that cannot be processed, one write
	// per shard and batch. Nil means they are logged.
	DeadLetters kinesis.Output

	// LeaseDuration, RenewInterval and AssignInterval go to the lease
	// library; zero means 20 s, 5 s and 10 s (its defaults). A dead
	// worker's shards move on after about LeaseDuration + AssignInterval.
	LeaseDuration, RenewInterval, AssignInterval time.Duration
	// Poll is the pause between reads of a shard; zero means 250 ms.
	Poll time.Duration
	// Limit is the most records of one read; zero means 10,000.
	Limit int32
	// MergeEvery is how often the worker looks for windows to merge;
	// zero means 1 s.
	MergeEvery time.Duration
	// Log receives the worker's events; nil means slog.Default().
	Log *slog.Logger
}

// A Worker is one of the processes that share a stream's shards.
type Worker[T, Out any] struct {
	cfg   Config[T, Out]
	repo  *ddb.Repository
	group *consumergroup.Group
	log   *slog.Logger

	mu      sync.Mutex
	through record.Time // the merge's progress as last read
	stats   Stats
}

// Stats counts what a worker did.
type Stats struct {
	Records  uint64 // Kinesis records read
	Batches  uint64 // items saved
	Fenced   uint64 // shards stopped because another worker took them
	Shards   uint64 // shards taken
	Merged   uint64 // windows merged and written by this worker
	Final    uint64 // windows of a shard written without a merge (KeyedShards)
	Closed   uint64 // shards read to their ends
	Handoffs uint64 // shards given up to a rebalance
}

// New returns a worker of cfg.
func New[T, Out any](cfg Config[T, Out]) (*Worker[T, Out], error) {
	switch {
	case cfg.Stream == "":
		return nil, errors.New("group: no stream")
	case cfg.Worker == "":
		return nil, errors.New("group: no worker id")
	case cfg.Kinesis == nil, cfg.DynamoDB == nil:
		return nil, errors.New("group: a Kinesis and a DynamoDB client are needed")
	case cfg.LeaseTable == "":
		return nil, errors.New("group: no lease table")
	case cfg.State == nil:
		return nil, errors.New("group: no state store")
	case cfg.Format == nil, cfg.Query == nil:
		return nil, errors.New("group: no format or query")
	case cfg.Window == nil, cfg.Merge == nil, cfg.Output == nil:
		return nil, errors.New("group: Window, Merge and Output are needed")
	case strings.ContainsAny(cfg.Worker, "#/"):
		return nil, fmt.Errorf("group: worker id %q: '#' and '/' are reserved", cfg.Worker)
	}
	cfg.Group = cmp.Or(cfg.Group, cfg.Stream)
	cfg.Poll = cmp.Or(cfg.Poll, 250*time.Millisecond)
	cfg.Limit = cmp.Or(cfg.Limit, 10000)
	cfg.MergeEvery = cmp.Or(cfg.MergeEvery, time.Second)
	cfg.Loop.Ledger.Ordered = true
	w := &Worker[T, Out]{cfg: cfg, log: cfg.Log, through: record.MinTime}
	if w.log == nil {
		w.log = slog.Default()
	}
	w.log = w.log.With("worker", cfg.Worker)
	repo, err := ddb.New(ddb.Config{Client: cfg.DynamoDB, TableName: cfg.LeaseTable})
	if err != nil {
		return nil, err
	}
	w.repo = repo
	g, err := consumergroup.New(consumergroup.Config{
		GroupName: cfg.Group, StreamName: cfg.Stream, WorkerID: cfg.Worker,
		KinesisClient: cfg.Kinesis, Repository: repo,
		// The checkpoint is in the shard's item; the library's store is
		// bypassed (its default no-op store stays).
		LeaseDuration: cfg.LeaseDuration, RenewInterval: cfg.RenewInterval, AssignInterval: cfg.AssignInterval,
	})
	if err != nil {
		return nil, err
	}
	w.group = g
	return w, nil
}

// Stats returns what the worker did so far.
func (w *Worker[T, Out]) Stats() Stats {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.stats
}

func (w *Worker[T, Out]) count(f func(*Stats)) {
	w.mu.Lock()
	f(&w.stats)
	w.mu.Unlock()
}

// namespace is the lease library's partition key of the group's items.
func (w *Worker[T, Out]) namespace() string { return w.cfg.Group + "#" + w.cfg.Stream }

// stateKey is the key of a shard's item in the state store.
func (w *Worker[T, Out]) stateKey(shard string) string {
	return "shard/" + w.cfg.Group + "/" + w.cfg.Stream + "/" + shard
}

// Run takes part in the group until ctx ends (nil) or a shard fails in a
// way no other worker could fix either (an unusable table or item, a
// trimmed checkpoint): the error says what to do.
func (w *Worker[T, Out]) Run(ctx context.Context) error {
	if err := CheckLeaseTable(ctx, w.cfg.DynamoDB, w.cfg.LeaseTable); err != nil {
		return err
	}
	if err := w.releaseOwn(ctx); err != nil {
		return err
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	shards := make(chan types.Shard)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		if err := w.group.Start(ctx, shards); err != nil && ctx.Err() == nil {
			cancel(fmt.Errorf("group: leases in table %s: %w", w.cfg.LeaseTable, err))
		}
	}()
	go func() {
		defer wg.Done()
		w.mergeLoop(ctx, cancel)
	}()
	for {
		select {
		case <-ctx.Done():
			wg.Wait()
			if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
				return err
			}
			return nil
		case s := <-shards:
			wg.Add(1)
			go func() {
				defer wg.Done()
				w.shard(ctx, cancel, s)
			}()
		}
	}
}

// releaseOwn releases the leases the table says this worker holds: a
// restarted worker (same id) whose leases have not expired would
// otherwise renew them forever without reading them, since the library
// hands a shard to the process only when it claims one.
func (w *Worker[T, Out]) releaseOwn(ctx context.Context) error {
	leases, err := w.repo.ListLeases(ctx, w.namespace())
	if err != nil {
		return fmt.Errorf("group: listing leases in table %s: %w", w.cfg.LeaseTable, err)
	}
	for _, l := range leases {
		if l.Owner == w.cfg.Worker && !l.Completed {
			if err := w.repo.ReleaseLease(ctx, w.namespace(), l.ShardID, w.cfg.Worker); err != nil {
				return fmt.Errorf("group: releasing lease of %s: %w", l.ShardID, err)
			}
			w.log.Info("released a lease held before a restart", "shard", l.ShardID)
		}
	}
	return nil
}

// CreateLeaseTable creates the lease table the library expects: partition
// key "namespace", sort key "shard_id", both strings, on-demand capacity.
// Turn on Time to Live on the attribute "ttl" for the worker heartbeats.
func CreateLeaseTable(ctx context.Context, api *dynamodb.Client, table string) error {
	_, err := api.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName: aws.String(table),
		AttributeDefinitions: []ddbtypes.AttributeDefinition{
			{AttributeName: aws.String("namespace"), AttributeType: ddbtypes.ScalarAttributeTypeS},
			{AttributeName: aws.String("shard_id"), AttributeType: ddbtypes.ScalarAttributeTypeS},
		},
		KeySchema: []ddbtypes.KeySchemaElement{
			{AttributeName: aws.String("namespace"), KeyType: ddbtypes.KeyTypeHash},
			{AttributeName: aws.String("shard_id"), KeyType: ddbtypes.KeyTypeRange},
		},
		BillingMode: ddbtypes.BillingModePayPerRequest,
	})
	return err
}

// CheckLeaseTable checks that table exists with the lease table's key
// schema (see CreateLeaseTable).
func CheckLeaseTable(ctx context.Context, api *dynamodb.Client, table string) error {
	return checkTable(ctx, api, table, "lease", []string{"namespace", "shard_id"},
		"create it with partition key namespace (S) and sort key shard_id (S)")
}

// CheckStateTable checks that table exists with the key schema of a
// kinesis.DynamoDBStore: partition key "key" of type String only.
func CheckStateTable(ctx context.Context, api *dynamodb.Client, table string) error {
	return checkTable(ctx, api, table, "state", []string{"key"}, "create it with partition key key (S) and no sort key")
}

func checkTable(ctx context.Context, api *dynamodb.Client, table, what string, keys []string, fix string) error {
	out, err := api.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)})
	var nf *ddbtypes.ResourceNotFoundException
	if errors.As(err, &nf) {
		return fmt.Errorf("%w: the %s table %s does not exist: %s", ErrTable, what, table, fix)
	}
	if err != nil {
		// Not ErrTable: the table may be fine and DynamoDB out of reach.
		return fmt.Errorf("group: describing the %s table %s: %w", what, table, err)
	}
	types := map[string]ddbtypes.ScalarAttributeType{}
	for _, a := range out.Table.AttributeDefinitions {
		types[aws.ToString(a.AttributeName)] = a.AttributeType
	}
	var got []string
	for _, k := range out.Table.KeySchema {
		got = append(got, fmt.Sprintf("%s (%s, %s)", aws.ToString(k.AttributeName), k.KeyType, types[aws.ToString(k.AttributeName)]))
	}
	ok := len(out.Table.KeySchema) == len(keys)
	for i, k := range out.Table.KeySchema {
		if !ok || aws.ToString(k.AttributeName) != keys[i] || types[keys[i]] != ddbtypes.ScalarAttributeTypeS {
			ok = false
			break
		}
	}
	if !ok {
		return fmt.Errorf("%w: the %s table %s has key %s: %s (or name another table)", ErrTable, what, table, strings.Join(got, ", "), fix)
	}
	return nil
}
