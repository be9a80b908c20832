package group_test

import (
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/rowtime/rowtime/record/kinesis"
	"github.com/rowtime/rowtime/record/kinesis/group"
)

// New checks the configuration; it does not reach Kinesis or DynamoDB
// (Run does, and checks the lease table first).
func ExampleNew() {
	e := env{Stream: "events", Leases: "leases", State: "state", Out: "out", Worker: "host-1"}
	db := dynamoClient("http://127.0.0.1:1")
	cfg := testConfig(e, kinesisClient("http://127.0.0.1:1"), db, kinesis.NewDynamoDBStore(db, e.State, nil))
	w, err := group.New(cfg)
	fmt.Println(err, w.Stats().Shards)

	cfg.Worker = "host#1"
	_, err = group.New(cfg)
	fmt.Println(err)
	cfg.Worker, cfg.Merge = "host-1", nil
	_, err = group.New(cfg)
	fmt.Println(err)
	// Output:
	// <nil> 0
	// group: worker id "host#1": '#' and '/' are reserved
	// group: Window, Merge and Output are needed
}

// IsTrimmed tells Kinesis's answer to GetShardIterator at a sequence
// number past the trim horizon from other errors.
func ExampleIsTrimmed() {
	trimmed := &types.InvalidArgumentException{Message: aws.String("StartingSequenceNumber 4968 used in GetShardIterator on shard shardId-000000000000 is not in the range of sequence numbers of the shard")}
	other := &types.InvalidArgumentException{Message: aws.String("Limit must be at most 10000")}
	fmt.Println(group.IsTrimmed(fmt.Errorf("GetShardIterator: %w", trimmed)), group.IsTrimmed(other))
	// Output: true false
}
