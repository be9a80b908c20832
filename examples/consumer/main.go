package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/rowtime/rowtime/examples/query/trending"
	rk "github.com/rowtime/rowtime/record/kinesis"
	"github.com/rowtime/rowtime/record/kinesis/group"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(exitStatus(err))
	}
}

// Exit statuses: exitFix says that starting again will not help until an
// operator has done what the error says (a missing table or one of another
// schema, state or a checkpoint of another query, a checkpoint past the trim
// horizon); exitError is any other error.
const (
	exitError = 1
	exitFix   = 3
)

func exitStatus(err error) int {
	for _, e := range []error{group.ErrTable, group.ErrTrimmed, rk.ErrState, ErrCheckpoint, ErrTrimmed} {
		if errors.Is(err, e) {
			return exitFix
		}
	}
	return exitError
}

func run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("consumer", flag.ContinueOnError)
	var (
		cfg      Config
		endpoint = fs.String("endpoint", "", "Kinesis endpoint URL (default: the region's AWS endpoint)")
		region   = fs.String("region", os.Getenv("AWS_REGION"), "AWS region (default $AWS_REGION)")
		users    = fs.String("users", "", "users table, CSV of user_id,gender,segment_id without header (default: empty, every user unknown)")
		limit    = fs.Int("limit", 1000, "most records per GetRecords")
		wc       WorkerConfig
		dynamo   = fs.String("dynamodb-endpoint", "", "DynamoDB endpoint URL for -worker (default: the region's AWS endpoint)")
	)
	fs.StringVar(&wc.ID, "worker", "", "run as this worker of a group sharing the stream's shards (needs -leases, -state, -out-dir)")
	fs.StringVar(&wc.Group, "group", "", "the group's name, for -worker (default: the stream's)")
	fs.StringVar(&wc.LeaseTable, "leases", "", "DynamoDB lease table, for -worker")
	fs.StringVar(&wc.StateTable, "state", "", "DynamoDB state table, for -worker")
	fs.StringVar(&wc.OutDir, "out-dir", "", "directory of the results (a file per window) and dead letters, for -worker")
	fs.DurationVar(&wc.Lease, "lease", 0, "lease duration, for -worker (default 20s)")
	fs.BoolVar(&wc.KeyedShards, "keyed-shards", false, "for -worker: the producer's partition key is the article_id (or a function of the article), so each shard's results are final and written without a merge")
	fs.StringVar(&cfg.Stream, "stream", "", "Kinesis stream to read (required)")
	fs.DurationVar(&cfg.Delay, "delay", 0, "allowed out-of-orderness of event time")
	fs.DurationVar(&cfg.IdleAfter, "idle", 10*time.Second, "advance a caught-up shard's watermark after this long without records")
	fs.DurationVar(&cfg.Poll, "poll", time.Second, "wait after an empty GetRecords")
	fs.StringVar(&cfg.Checkpoint, "checkpoint", "", "checkpoint file (default: none, read from the oldest record)")
	fs.DurationVar(&cfg.CheckpointEvery, "checkpoint-every", 5*time.Second, "time between checkpoints (0: after every batch)")
	fs.StringVar(&cfg.Out, "out", "", "results file, JSON lines (default stdout)")
	fs.StringVar(&cfg.Dead, "dead", "", "dead-letter file, JSON lines (default stderr)")
	fs.BoolVar(&cfg.Drain, "drain", false, "exit once every shard is caught up and idle, after flushing every window")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if cfg.Stream == "" {
		return errors.New("consumer: -stream is required")
	}
	if *region == "" {
		*region = "us-east-1"
	}
	if *limit < 1 || *limit > 10000 {
		return fmt.Errorf("consumer: -limit %d is not in [1, 10000]", *limit)
	}
	cfg.Limit = int32(*limit)
	if *users != "" {
		f, err := os.Open(*users)
		if err != nil {
			return err
		}
		cfg.Users, err = trending.LoadUsers(f)
		f.Close()
		if err != nil {
			return err
		}
	}
	cfg.Log = os.Stderr
	if wc.ID == "" && (wc.LeaseTable != "" || wc.StateTable != "" || wc.OutDir != "" || wc.Group != "" || wc.Lease != 0 || wc.KeyedShards || *dynamo != "") {
		return errors.New("consumer: -group, -leases, -state, -out-dir, -lease, -keyed-shards and -dynamodb-endpoint need -worker")
	}
	if wc.ID != "" {
		switch {
		case wc.LeaseTable == "" || wc.StateTable == "" || wc.OutDir == "":
			return errors.New("consumer: -worker needs -leases, -state and -out-dir")
		case cfg.Checkpoint != "" || cfg.Out != "" || cfg.Dead != "" || cfg.Drain:
			return errors.New("consumer: -worker keeps its checkpoints in -state and writes to -out-dir: -checkpoint, -out, -dead and -drain are for one process alone")
		}
	}
	opts := kinesis.Options{
		Region:      *region,
		Credentials: aws.CredentialsProviderFunc(envCredentials),
	}
	if *endpoint != "" {
		opts.BaseEndpoint = aws.String(*endpoint)
	}
	if wc.ID != "" {
		return runWorker(ctx, kinesis.New(opts), dynamoClient(*region, *dynamo), cfg, wc, os.Stderr)
	}
	c, err := New(kinesis.New(opts), cfg)
	if err != nil {
		return err
	}
	return c.Run(ctx)
}

// envCredentials reads AWS credentials from the standard environment
// variables, so the consumer needs no more of the SDK than the Kinesis
// client.
func envCredentials(context.Context) (aws.Credentials, error) {
	id, secret := os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY")
	if id == "" || secret == "" {
		return aws.Credentials{}, errors.New("consumer: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set")
	}
	return aws.Credentials{AccessKeyID: id, SecretAccessKey: secret, SessionToken: os.Getenv("AWS_SESSION_TOKEN"), Source: "environment"}, nil
}
