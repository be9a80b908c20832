package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/rowtime/rowtime/examples/internal/testenv"
	"github.com/rowtime/rowtime/examples/query/trending"
	"github.com/rowtime/rowtime/record/kinesis/group"
	"github.com/rowtime/rowtime/record/kinesis/kinesistest"
)

// TestWorkers runs the consumer as two -worker processes sharing a
// two-shard stream whose records are all in before they start, kills one
// with SIGKILL while it reads, and checks that the other takes its shards
// and that the merged output, the window files in order, equals the
// naive group-by: nothing lost, nothing counted twice, the JSON lines of
// the one-process consumer.
func TestWorkers(t *testing.T) {
	if testing.Short() {
		t.Skip("starts kinesalite, dynalite and two consumers; not in -short")
	}
	ks, db := kinesistest.StartKinesis(t), kinesistest.StartDynamoDB(t)
	dir := t.TempDir()
	bin := testenv.Build(t, ".", dir, "consumer")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	client := ks.Kinesis()
	const stream = "actions"
	if _, err := client.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String(stream), ShardCount: aws.Int32(2)}); err != nil {
		t.Fatal(err)
	}
	for {
		out, err := client.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: aws.String(stream)})
		if err != nil {
			t.Fatal(err)
		}
		if out.StreamDescriptionSummary.StreamStatus == types.StreamStatusActive {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := group.CreateLeaseTable(ctx, db.DynamoDB(), "leases"); err != nil {
		t.Fatal(err)
	}
	kinesistest.StateTable(t, db, "state")

	w := newWorkload(5, 4000, 100*time.Millisecond)
	usersPath := filepath.Join(dir, "users.csv")
	if err := os.WriteFile(usersPath, []byte(w.usersCSV), 0o644); err != nil {
		t.Fatal(err)
	}
	for from := 0; from < len(w.recs); from += 500 {
		var entries []types.PutRecordsRequestEntry
		for i := from; i < min(from+500, len(w.recs)); i++ {
			entries = append(entries, types.PutRecordsRequestEntry{
				Data:            trending.AppendJSON(nil, w.recs[i]),
				PartitionKey:    aws.String(strconv.FormatInt(w.recs[i].Value.UserID, 10)),
				ExplicitHashKey: aws.String(shardHashKeys[i%2]),
			})
		}
		out, err := client.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String(stream), Records: entries})
		if err != nil || aws.ToInt32(out.FailedRecordCount) != 0 {
			t.Fatalf("PutRecords: %v", err)
		}
	}

	outDir := filepath.Join(dir, "out")
	start := func(id string) *kinesistest.Process {
		cmd := exec.Command(bin, "-stream", stream, "-endpoint", ks.Endpoint, "-users", usersPath,
			"-worker", id, "-leases", "leases", "-state", "state", "-out-dir", outDir,
			"-dynamodb-endpoint", db.Endpoint, "-lease", "2s", "-idle", "1s", "-poll", "100ms", "-limit", "200")
		cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test")
		p, err := kinesistest.Start(cmd)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(p.Stop)
		return p
	}
	a, b := start("a"), start("b")
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(a.Output(), "took the shard") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	a.Kill(syscall.SIGKILL)

	want := sortResults(naiveTrending(w, w.recs))
	var got []string
	for {
		files, _ := filepath.Glob(filepath.Join(outDir, stream+"-*.jsonl"))
		slices.Sort(files)
		var data []byte
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			data = append(data, b...)
		}
		got = sortResults(parseResults(t, data))
		if slices.Equal(got, want) || ctx.Err() != nil {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if !slices.Equal(got, want) {
		files, _ := filepath.Glob(filepath.Join(outDir, "*"))
		t.Logf("files: %v", files)
		t.Fatalf("merged output differs from the naive group-by (%d lines, want %d):\n%s\nworker a:\n%s\nworker b:\n%s",
			len(got), len(want), diff(got, want), a.Output(), b.Output())
	}
	if strings.Contains(a.Output(), "took the shard") && !strings.Contains(b.Output(), "from=a") {
		t.Errorf("worker b did not take a's shards:\n%s", b.Output())
	}
	dead, _ := filepath.Glob(filepath.Join(outDir, "dead-*"))
	if len(dead) != 0 {
		t.Errorf("dead letters: %v", dead)
	}
	b.Kill(syscall.SIGTERM)
	if err := b.Err(); err != nil {
		t.Errorf("worker b on SIGTERM: %v\n%s", err, b.Output())
	}
}

// TestWorkerFlags: the group flags need -worker, and -worker needs them
// and refuses the one-process outputs.
func TestWorkerFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-stream", "s", "-leases", "l"}, "need -worker"},
		{[]string{"-stream", "s", "-worker", "w"}, "-worker needs -leases, -state and -out-dir"},
		{[]string{"-stream", "s", "-worker", "w", "-leases", "l", "-state", "s", "-out-dir", "d", "-out", "o.jsonl"}, "for one process alone"},
	} {
		err := run(context.Background(), tc.args)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want an error with %q", tc.args, err, tc.want)
		}
	}
}
