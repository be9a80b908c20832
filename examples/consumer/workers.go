package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/rowtime/rowtime/examples/query/trending"
	"github.com/rowtime/rowtime/record"
	rk "github.com/rowtime/rowtime/record/kinesis"
	"github.com/rowtime/rowtime/record/kinesis/group"
	"github.com/rowtime/rowtime/window"
)

// WorkerConfig configures the consumer as one worker of a group that
// shares the stream's shards (package record/kinesis/group).
type WorkerConfig struct {
	ID         string        // this worker's id, the same across its restarts
	Group      string        // the group's name; "" means the stream's
	LeaseTable string        // DynamoDB table of the leases
	StateTable string        // DynamoDB table of the shards' items
	OutDir     string        // results (one file per window) and dead letters
	Lease      time.Duration // lease duration; 0 means the library's 20 s
	// KeyedShards says the producer partitions by the article (the
	// partition key is a function of the article id): every record of a
	// (group, article) key is on one shard, so each shard writes its
	// results as final, without the merge (group.Config.KeyedShards).
	KeyedShards bool
}

type partial = window.Result[trending.Key, trending.State]

// runWorker runs the trending query as worker wc of a group over api and
// db until ctx ends.
func runWorker(ctx context.Context, api group.KinesisAPI, db *dynamodb.Client, cfg Config, wc WorkerConfig, log io.Writer) error {
	if err := group.CheckStateTable(ctx, db, wc.StateTable); err != nil {
		slog.New(slog.NewTextHandler(log, nil)).Error("the worker stops", "worker", wc.ID, "err", err, "exit_status", exitStatus(err))
		return err
	}
	counts := trending.CountsFunc()
	idle := cfg.IdleAfter
	if idle <= 0 {
		idle = 10 * time.Second
	}
	lease := wc.Lease
	gc := group.Config[trending.Action, partial]{
		Stream: cfg.Stream, Group: wc.Group, Worker: wc.ID,
		Kinesis: api, DynamoDB: db, LeaseTable: wc.LeaseTable,
		State:  rk.NewDynamoDBStore(db, wc.StateTable, nil),
		Format: rk.NewJSON[trending.Action](actionDecoder{}, nil),
		Query: func() (record.Operator[trending.Record, partial], error) {
			s := &shard{}
			op, err := trending.Partial(&window.Options[trending.Event]{
				Delay: cfg.Delay,
				Late:  func(_ trending.Event, err error) { s.late = errors.Join(s.late, err) },
			})
			if err != nil {
				return nil, err
			}
			p, ok := any(op).(partialOp)
			if !ok {
				return nil, fmt.Errorf("consumer: %T has no snapshot", op)
			}
			return &joinOp{s: s, users: cfg.Users, op: p}, nil
		},
		Loop:   rk.LoopOptions{Ledger: rk.LedgerOptions{Name: "trending"}, IdleAfter: idle, Delay: cfg.Delay},
		Window: func(r partial) (record.Time, string) { return r.End, keyString(r.Key) },
		Merge: func(a, b partial) partial {
			counts.Merge(&a.Value, &b.Value)
			return a
		},
		AppendLine: func(dst []byte, r partial) []byte {
			return trending.AppendLine(dst, window.Result[trending.Key, trending.Counts]{
				Start: r.Start, End: r.End, Key: r.Key, Value: counts.Result(&r.Value)})
		},
		KeyedShards:   wc.KeyedShards,
		Output:        rk.DirOutput{Dir: wc.OutDir},
		DeadLetters:   rk.DirOutput{Dir: wc.OutDir},
		LeaseDuration: lease, RenewInterval: lease / 4, AssignInterval: lease / 2,
		Poll: cfg.Poll, Limit: cfg.Limit,
		Log: slog.New(slog.NewTextHandler(log, nil)),
	}
	w, err := group.New(gc)
	if err != nil {
		return err
	}
	start := time.Now()
	err = w.Run(ctx)
	st := w.Stats()
	gc.Log.Info("stopped", "records", st.Records, "batches", st.Batches, "shards", st.Shards, "fenced", st.Fenced,
		"closed", st.Closed, "merged", st.Merged, "final", st.Final, "seconds", fmt.Sprintf("%.3f", time.Since(start).Seconds()))
	if err != nil {
		gc.Log.Error("the worker stops", "err", err, "exit_status", exitStatus(err))
	}
	return err
}

// keyString orders keys as compareKeys does: known groups first, by gender
// and segment, then by article.
func keyString(k trending.Key) string {
	known := "1"
	if k.Known {
		known = "0"
	}
	return fmt.Sprintf("%s%s\x00%016x%016x", known, k.Gender, uint64(k.Segment)^1<<63, uint64(k.Article)^1<<63)
}

// dynamoClient returns a DynamoDB client of region, at endpoint if set.
func dynamoClient(region, endpoint string) *dynamodb.Client {
	opts := dynamodb.Options{Region: region, Credentials: aws.CredentialsProviderFunc(envCredentials)}
	if endpoint != "" {
		opts.BaseEndpoint = aws.String(endpoint)
	}
	return dynamodb.New(opts)
}

// Stats reports the partial counts' statistics, their watermark among
// them, which the group's merge waits on.
func (j *joinOp) Stats() window.Stats { return j.op.Stats() }
