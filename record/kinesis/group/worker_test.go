package group_test

import (
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	sdk "github.com/aws/aws-sdk-go-v2/service/kinesis"

	"github.com/rowtime/rowtime/aggregate"
	"github.com/rowtime/rowtime/record"
	"github.com/rowtime/rowtime/record/decode"
	"github.com/rowtime/rowtime/record/kinesis"
	"github.com/rowtime/rowtime/record/kinesis/group"
	"github.com/rowtime/rowtime/record/kinesis/kinesistest"
	"github.com/rowtime/rowtime/window"
)

// The test query: events counted per key per two-second window, with five
// seconds of allowed out-of-orderness; event times are wall-clock times
// at production, so idle shards advance by the clock.
const (
	testWindow = 2 * time.Second
	testDelay  = 5 * time.Second
)

type event struct {
	Key string `json:"k"`
}

type result = window.Result[string, int64]

// env is a worker's setting in the tests.
type env struct {
	Kinesis, DynamoDB, Stream, Leases, State, Out, Dead, Worker string
	Lease                                                       time.Duration
	Keyed                                                       bool // KeyedShards
}

func kinesisClient(endpoint string) *sdk.Client {
	return sdk.New(sdk.Options{Region: "us-east-1", BaseEndpoint: aws.String(endpoint), Credentials: kinesistest.Credentials})
}

func dynamoClient(endpoint string, opt ...func(*dynamodb.Options)) *dynamodb.Client {
	return dynamodb.New(dynamodb.Options{Region: "us-east-1", BaseEndpoint: aws.String(endpoint), Credentials: kinesistest.Credentials}, opt...)
}

func newQuery() (record.Operator[record.Of[event], result], error) {
	return window.Aggregate(window.Step(testWindow), func(r record.Of[event]) string { return r.Value.Key },
		aggregate.Count[record.Of[event]](), &window.Options[record.Of[event]]{Delay: testDelay})
}

// testConfig is the worker configuration of the tests, on e.
func testConfig(e env, api group.KinesisAPI, db *dynamodb.Client, state kinesis.Store) group.Config[event, result] {
	dec, err := decode.NewJSON[event]("ts", decode.Millis)
	if err != nil {
		panic(err)
	}
	lease := e.Lease // negative: the lease library's defaults
	if lease == 0 {
		lease = 2 * time.Second
	}
	renew := lease / 4
	if lease < 0 {
		lease, renew = 0, 0
	}
	return group.Config[event, result]{
		Stream: e.Stream, Worker: e.Worker, Kinesis: api, DynamoDB: db, LeaseTable: e.Leases, State: state,
		Format: kinesis.NewJSON[event](dec, nil), Query: newQuery,
		Loop:   kinesis.LoopOptions{IdleAfter: time.Second, Delay: testDelay},
		Window: func(r result) (record.Time, string) { return r.End, r.Key },
		Merge: func(a, b result) result {
			a.Value += b.Value
			return a
		},
		KeyedShards:   e.Keyed,
		Output:        kinesis.DirOutput{Dir: e.Out},
		DeadLetters:   kinesis.DirOutput{Dir: e.Dead},
		LeaseDuration: lease, RenewInterval: renew, AssignInterval: renew,
		Poll: 100 * time.Millisecond, MergeEvery: 300 * time.Millisecond,
	}
}
