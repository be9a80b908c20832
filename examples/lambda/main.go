package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/rowtime/rowtime/examples/query/auction"
	"github.com/rowtime/rowtime/record"
	"github.com/rowtime/rowtime/record/kinesis"
	"github.com/rowtime/rowtime/window"
)

func main() {
	h, err := fromEnv(os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	lambda.Start(h.Handle)
}

// fromEnv builds the handler from its environment variables (see the
// package documentation).
func fromEnv(getenv func(string) string) (*kinesis.Handler[auction.Bid, []byte], error) {
	var delay time.Duration
	if s := getenv("ROWTIME_DELAY"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d < 0 {
			return nil, fmt.Errorf("lambda: ROWTIME_DELAY=%q is not a duration ≥ 0", s)
		}
		delay = d
	}
	opts := &kinesis.HandlerOptions[[]byte]{
		Store:  kinesis.FileStore{Dir: or(getenv("ROWTIME_STATE_DIR"), "/tmp/rowtime-state")},
		Ledger: kinesis.LedgerOptions{Ordered: true, Name: "auction"},
		Delay:  delay,
	}
	if table := getenv("ROWTIME_DYNAMODB_TABLE"); table != "" {
		do := dynamodb.Options{Region: getenv("AWS_REGION"), Credentials: envCredentials(getenv)}
		if ep := getenv("ROWTIME_DYNAMODB_ENDPOINT"); ep != "" {
			do.BaseEndpoint = aws.String(ep)
		}
		opts.Store = kinesis.NewDynamoDBStore(dynamodb.New(do), table, nil)
	}
	if d := getenv("ROWTIME_OUTPUT_DIR"); d != "" {
		opts.Results = kinesis.DirOutput{Dir: d}
	} else {
		opts.Results = &kinesis.WriterOutput{W: os.Stdout}
		opts.Metrics = os.Stderr // never mixed with the results
	}
	opts.NoMetrics = getenv("ROWTIME_NO_METRICS") != ""
	if d := getenv("ROWTIME_DEADLETTER_DIR"); d != "" {
		opts.DeadLetters = kinesis.DirOutput{Dir: d}
	}
	if flag := getenv("ROWTIME_TEST_CRASH_AFTER_SAVE"); flag != "" {
		// Tests only: die between the save of a batch's state and the
		// write of its results, once, when the flag file exists.
		opts.AfterSave = func() {
			if os.Remove(flag) == nil {
				syscall.Kill(os.Getpid(), syscall.SIGKILL)
			}
		}
	}
	newQuery := func() (record.Operator[auction.Record, []byte], error) { return newQuery(delay) }
	return kinesis.NewHandler[auction.Bid](kinesis.NewJSON[auction.Bid](bidDecoder{}, nil), newQuery, opts)
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// envCredentials reads AWS credentials from the environment, where Lambda
// puts the function's role credentials.
func envCredentials(getenv func(string) string) aws.CredentialsProvider {
	return aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		id, secret := getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY")
		if id == "" || secret == "" {
			return aws.Credentials{}, errors.New("lambda: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set")
		}
		return aws.Credentials{AccessKeyID: id, SecretAccessKey: secret, SessionToken: getenv("AWS_SESSION_TOKEN"), Source: "environment"}, nil
	})
}

// bidDecoder decodes bid payloads (one JSON object, or JSON lines), its
// errors wrapping auction.ErrDecode.
type bidDecoder struct{}

func (bidDecoder) Append(dst []auction.Record, data []byte, _ record.Time) ([]auction.Record, error) {
	return auction.AppendRecords(dst, data)
}

// query runs the auction queries, a record too late for a window (or out
// of the range of window arithmetic) refused, so that it goes to the dead
// letters.
type query struct {
	*auction.Query
	late error // the late-record reports of the current Push
}

func newQuery(delay time.Duration) (*query, error) {
	q := &query{}
	a, err := auction.New(&auction.Options{Delay: delay, Late: func(_ auction.Record, stream string, err error) {
		q.late = errors.Join(q.late, fmt.Errorf("%s: %w", stream, err))
	}})
	q.Query = a
	return q, err
}

func (q *query) Push(r auction.Record, emit func([]byte)) error {
	q.late = nil
	err := q.Query.Push(r, emit)
	switch {
	case err != nil && errors.Is(err, window.ErrOverflow):
		return kinesis.Refuse(err)
	case err == nil && q.late != nil:
		// Too late for one query's window (or both): what could be
		// taken was, and the record goes to the dead letters for the rest.
		return kinesis.Refuse(q.late)
	}
	return err
}
