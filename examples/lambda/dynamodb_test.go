package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/rowtime/rowtime/examples/internal/testenv"
	"github.com/rowtime/rowtime/examples/query/auction"
	"github.com/rowtime/rowtime/record"
	"github.com/rowtime/rowtime/record/kinesis"
	"github.com/rowtime/rowtime/record/kinesis/kinesistest"
)

// TestEmulatorDynamoDB runs the function under the emulator with its state
// in DynamoDB (dynalite): plain batches, one redelivered, a batch of KPL
// aggregates, a batch of CloudWatch Logs subscription records, and a kill
// of the function (SIGKILL) after a batch's state is saved and before its
// results are written; Lambda then retries the batch, and the next
// invocation writes the results. Every result must be there exactly once.
func TestEmulatorDynamoDB(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	db := kinesistest.StartDynamoDB(t)
	table := kinesistest.StateTable(t, db, "rowtime-lambda")
	dir := t.TempDir()
	bootstrap := testenv.Build(t, ".", dir, "bootstrap")
	outDir, deadDir := filepath.Join(dir, "out"), filepath.Join(dir, "dead")
	crash := filepath.Join(dir, "crash-now")
	emu := testenv.StartEmulator(t, bootstrap,
		"ROWTIME_DYNAMODB_TABLE="+table, "ROWTIME_DYNAMODB_ENDPOINT="+db.Endpoint, "AWS_REGION=us-east-1",
		"AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test",
		"ROWTIME_OUTPUT_DIR="+outDir, "ROWTIME_DEADLETTER_DIR="+deadDir,
		"ROWTIME_TEST_CRASH_AFTER_SAVE="+crash,
	)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	bids := auction.Generate(7, 600)
	const shard = "shardId-000000000003"
	n := 0
	next := func(data []byte) events.KinesisEventRecord {
		n++
		seq := fmt.Sprintf("49%054d", 5000+3*n)
		return events.KinesisEventRecord{
			EventID: shard + ":" + seq, EventSource: "aws:kinesis", EventSourceArn: testARN, AwsRegion: "us-east-1",
			Kinesis: events.KinesisRecord{SequenceNumber: seq, Data: data, PartitionKey: "auction"},
		}
	}
	invoke := func(recs []events.KinesisEventRecord) error {
		t.Helper()
		payload, err := json.Marshal(events.KinesisEvent{Records: recs})
		if err != nil {
			t.Fatal(err)
		}
		out, err := emu.Invoke(ctx, payload)
		if err != nil {
			return err
		}
		var resp events.KinesisEventResponse
		if err := json.Unmarshal(out, &resp); err != nil || len(resp.BatchItemFailures) != 0 {
			t.Fatalf("response %s (%v)\nemulator output:\n%s", out, err, emu.Output())
		}
		return nil
	}
	mustInvoke := func(recs []events.KinesisEventRecord) {
		t.Helper()
		if err := invoke(recs); err != nil {
			t.Fatalf("%v\nemulator output:\n%s", err, emu.Output())
		}
	}

	// Plain records, in batches of 50, the second redelivered.
	var plain []events.KinesisEventRecord
	for _, b := range bids[:200] {
		plain = append(plain, next(auction.AppendJSON(nil, b)))
	}
	for i := 0; i < 4; i++ {
		mustInvoke(plain[i*50 : (i+1)*50])
		if i == 1 {
			mustInvoke(plain[i*50 : (i+1)*50])
		}
	}
	// KPL aggregates of 20 bids each, the batch delivered twice.
	var kpl []events.KinesisEventRecord
	for i := 200; i < 400; i += 20 {
		var keys []string
		var data [][]byte
		for _, b := range bids[i : i+20] {
			keys = append(keys, fmt.Sprintf("bidder-%s", b.Value.Bidder))
			data = append(data, auction.AppendJSON(nil, b))
		}
		kpl = append(kpl, next(kinesis.AppendAggregate(nil, keys, data)))
	}
	mustInvoke(kpl)
	mustInvoke(kpl)
	// CloudWatch Logs subscription records of 25 log events, each
	// message a bid.
	var logs []events.KinesisEventRecord
	for i := 400; i < 500; i += 25 {
		var evs []record.Of[kinesis.LogEvent]
		for j, b := range bids[i : i+25] {
			evs = append(evs, record.Of[kinesis.LogEvent]{Time: b.Time,
				Value: kinesis.LogEvent{ID: fmt.Sprint(i + j), Message: string(auction.AppendJSON(nil, b))}})
		}
		logs = append(logs, next(kinesis.AppendLogsRecord(nil, "123456789012", "/auction/bids", "node-1", evs)))
	}
	mustInvoke(logs)
	// The last batch: the function dies after saving its state, before
	// writing its results. Lambda retries the batch on a new runtime.
	var last []events.KinesisEventRecord
	for _, b := range bids[500:] {
		last = append(last, next(auction.AppendJSON(nil, b)))
	}
	if err := os.WriteFile(crash, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := invoke(last); err == nil {
		t.Fatal("the invocation that was to die succeeded")
	}
	if _, err := os.Stat(crash); !os.IsNotExist(err) {
		t.Fatalf("the function did not reach the crash point: %v\n%s", err, emu.Output())
	}
	emu.Restart()
	mustInvoke(last)

	got := readLines(t, outDir)
	want := naiveAuction(bids, bids[len(bids)-1].Time)
	if !slices.Equal(got, want) {
		t.Errorf("results differ from the naive group-by: %d lines, want %d\n%s", len(got), len(want), diffLines(got, want))
	}
	if _, err := os.Stat(deadDir); err == nil {
		if dead := readLines(t, deadDir); len(dead) != 0 {
			t.Errorf("dead letters: %v", dead)
		}
	}
}
