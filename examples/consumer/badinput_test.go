package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/rowtime/rowtime/aggregate"
	"github.com/rowtime/rowtime/examples/query/trending"
	rk "github.com/rowtime/rowtime/record/kinesis"
	"github.com/rowtime/rowtime/window"
)

// faultProxy is a proxy in front of kinesalite that answers as Kinesis
// does for a checkpoint past the trim horizon, which kinesalite (24 hours
// of retention at least) cannot be made to have: GetShardIterator at or
// after a sequence number refused (trimmed), or every GetRecords an
// expired iterator (expired).
type faultProxy struct {
	srv              *httptest.Server
	trimmed, expired bool
}

func newFaultProxy(t *testing.T, target string, trimmed, expired bool) *faultProxy {
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	f := &faultProxy{trimmed: trimmed, expired: expired}
	proxy := httputil.NewSingleHostReverseProxy(u)
	fail := func(w http.ResponseWriter, typ, msg string) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.WriteHeader(http.StatusBadRequest)
		b, _ := json.Marshal(map[string]string{"__type": typ, "message": msg})
		w.Write(b)
	}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		req.Body = io.NopCloser(bytes.NewReader(body))
		var in struct{ ShardIteratorType, StartingSequenceNumber, ShardId string }
		_ = json.Unmarshal(body, &in)
		switch op := strings.TrimPrefix(req.Header.Get("X-Amz-Target"), "Kinesis_20131202."); {
		case f.trimmed && op == "GetShardIterator" && strings.HasSuffix(in.ShardIteratorType, "_SEQUENCE_NUMBER"):
			fail(w, "InvalidArgumentException", "StartingSequenceNumber "+in.StartingSequenceNumber+" used in GetShardIterator on shard "+in.ShardId+
				" is not in the range of sequence numbers of the shard (trimmed)")
		case f.expired && op == "GetRecords":
			fail(w, "ExpiredIteratorException", "Iterator expired. The iterator was created at time X while right now it is Y which is further in the future than the tolerated delay of 300000 milliseconds.")
		default:
			proxy.ServeHTTP(w, req)
		}
	}))
	t.Cleanup(f.srv.Close)
	return f
}

// runToExit runs the consumer with args until it exits (at most 40 s) and
// returns its exit status and what it wrote to stderr.
func (e *groupEnv) runToExit(args ...string) (int, string) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	cmd := e.command(args...)
	cmd = exec.CommandContext(ctx, cmd.Path, cmd.Args[1:]...)
	cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		e.t.Fatalf("%v: did not exit in 40 s:\n%s", args, stderr.String())
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), stderr.String()
	}
	if err != nil {
		e.t.Fatal(err)
	}
	return 0, stderr.String()
}

// with returns args with flag set to value (replaced, or added).
func with(args []string, flag, value string) []string {
	out := slices.Clone(args)
	if i := slices.Index(out, flag); i >= 0 && i+1 < len(out) && !strings.HasPrefix(out[i+1], "-") {
		out[i+1] = value
		return out
	}
	return append(out, flag, value)
}

// put puts recs (and extra payloads) on the stream.
func (e *groupEnv) put(recs []trending.Record, extra ...[]byte) {
	e.t.Helper()
	var entries []types.PutRecordsRequestEntry
	for _, r := range recs {
		entries = append(entries, types.PutRecordsRequestEntry{Data: trending.AppendJSON(nil, r), PartitionKey: aws.String(fmt.Sprint(r.Value.UserID))})
	}
	for _, x := range extra {
		entries = append(entries, types.PutRecordsRequestEntry{Data: x, PartitionKey: aws.String("bad")})
	}
	for len(entries) > 0 {
		n := min(len(entries), 500)
		out, err := e.api.PutRecords(context.Background(), &kinesis.PutRecordsInput{StreamName: aws.String(e.stream), Records: entries[:n]})
		if err != nil || aws.ToInt32(out.FailedRecordCount) != 0 {
			e.t.Fatalf("PutRecords: %v", err)
		}
		entries = entries[n:]
	}
}

// TestBadInput runs the consumer program on bad input and checks what it
// does, its exit status among it: existing output files with no checkpoint
// are appended to; a lease or state table missing or of another schema, a
// state item of another query, a checkpoint past the trim horizon (of a
// worker, and of the one-process consumer) each stop it with exit status 3
// and an error, on stderr and in the log, saying what to do.
func TestBadInput(t *testing.T) {
	w := newWorkload(5, 600, 100*time.Millisecond)
	e := newGroupEnv(t, 1, w)
	bad := []byte(`{"article_id":1,"user_id":2,"action":"click"`)
	e.put(w.recs, bad)

	t.Run("outputs appended", func(t *testing.T) {
		out, dead := filepath.Join(e.dir, "out.jsonl"), filepath.Join(e.dir, "dead.jsonl")
		earlier := "{\"earlier\":1}\n"
		for _, f := range []string{out, dead} {
			if err := os.WriteFile(f, []byte(earlier), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		code, log := e.runToExit("-stream", e.stream, "-endpoint", e.ks.Endpoint, "-users", e.users, "-out", out, "-dead", dead,
			"-drain", "-idle", "500ms", "-poll", "50ms")
		if code != 0 {
			t.Fatalf("exit status %d:\n%s", code, log)
		}
		data, _ := os.ReadFile(out)
		rest, ok := strings.CutPrefix(string(data), earlier)
		if !ok {
			t.Fatalf("the output file lost its earlier line:\n%.300s", data)
		}
		got, want := sortResults(parseResults(t, []byte(rest))), sortResults(naiveTrending(w, w.recs))
		if !slices.Equal(got, want) {
			t.Errorf("the lines appended differ from the naive group-by:\n%s", diff(got, want))
		}
		data, _ = os.ReadFile(dead)
		rest, ok = strings.CutPrefix(string(data), earlier)
		var d rk.DeadLetter
		if !ok || json.Unmarshal([]byte(strings.TrimSpace(rest)), &d) != nil || !bytes.Equal(d.Data, bad) {
			t.Errorf("dead-letter file:\n%s\nwant the earlier line, then the bad record's dead letter", data)
		}
	})

	worker := e.args("w")
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"lease table missing", with(worker, "-leases", "nope"), []string{"the lease table nope does not exist", "create it with partition key namespace (S) and sort key shard_id (S)"}},
		{"lease table of another schema", with(worker, "-leases", "state"), []string{"the lease table state has key key (HASH, S)", "create it with partition key namespace"}},
		{"state table missing", with(worker, "-state", "nope"), []string{"the state table nope does not exist", "create it with partition key key (S) and no sort key"}},
		{"state table of another schema", with(worker, "-state", "leases"), []string{"the state table leases has key namespace (HASH, S), shard_id (RANGE, S)", "create it with partition key key (S)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, log := e.runToExit(tc.args...)
			if code != exitFix {
				t.Errorf("exit status %d, want %d:\n%s", code, exitFix, log)
			}
			checkLog(t, log, tc.want...)
		})
	}

	t.Run("state item of another query", func(t *testing.T) {
		// A count per article saved under the key of the shard's item of
		// group "other".
		op, err := window.Aggregate(window.Step(time.Minute), func(r trending.Record) int64 { return r.Value.ArticleID },
			aggregate.Count[trending.Record](), nil)
		if err != nil {
			t.Fatal(err)
		}
		loop, err := rk.NewLoop[trending.Action, window.Result[int64, int64]]("shardId-000000000000", rk.NewJSON[trending.Action](actionDecoder{}, nil), op, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := loop.Save(context.Background(), rk.NewDynamoDBStore(e.db.DynamoDB(), "state", nil), "shard/other/actions/shardId-000000000000", 0); err != nil {
			t.Fatal(err)
		}
		code, log := e.runToExit(with(worker, "-group", "other")...)
		if code != exitFix {
			t.Errorf("exit status %d, want %d:\n%s", code, exitFix, log)
		}
		checkLog(t, log, "state item shard/other/actions/shardId-000000000000", "another query", "give this query its own -group or state table, or delete the item")
	})

	t.Run("worker checkpoint past the trim horizon", func(t *testing.T) {
		// A first run checkpoints the shard, then stops.
		args := e.args("trim", "-group", "trim")
		p := e.start("trim", "-group", "trim")
		e.waitLog("trim", "took the shard", 20*time.Second)
		deadline := time.Now().Add(20 * time.Second)
		for {
			cp, err := trendingCheckpoint(e, "shardId-000000000000", "shard/trim/actions/shardId-000000000000")
			if err == nil && cp != "" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no checkpoint in 20 s (%v):\n%s", err, p.Output())
			}
			time.Sleep(100 * time.Millisecond)
		}
		p.Kill(syscall.SIGTERM)
		e.trimmedRuns(t, args, "to read the shard from its trim horizon, accepting the loss, delete the item")
	})

	t.Run("one-process checkpoint past the trim horizon", func(t *testing.T) {
		ckpt := filepath.Join(e.dir, "ckpt")
		one := []string{"-stream", e.stream, "-endpoint", e.ks.Endpoint, "-users", e.users, "-checkpoint", ckpt,
			"-out", filepath.Join(e.dir, "one.jsonl"), "-dead", filepath.Join(e.dir, "one-dead.jsonl"), "-drain", "-idle", "500ms", "-poll", "50ms"}
		if code, log := e.runToExit(one...); code != 0 {
			t.Fatalf("first run: exit status %d:\n%s", code, log)
		}
		e.trimmedRuns(t, one, "delete the checkpoint file and the output it accounts for")
	})
}

// trimmedRuns runs the consumer with args through a faultProxy, once for
// each of Kinesis's answers to a checkpoint past the trim horizon, and
// checks that it stops with exit status 3, saying so and what to do (fix).
func (e *groupEnv) trimmedRuns(t *testing.T, args []string, fix string) {
	t.Helper()
	for _, f := range []struct {
		name             string
		trimmed, expired bool
		want             string
	}{{"GetShardIterator refused", true, false, "is not in the range"}, {"iterator expired at once", false, true, "Iterator expired"}} {
		proxy := newFaultProxy(t, e.ks.Endpoint, f.trimmed, f.expired)
		code, log := e.runToExit(with(args, "-endpoint", proxy.srv.URL)...)
		if code != exitFix {
			t.Errorf("%s: exit status %d, want %d:\n%s", f.name, code, exitFix, log)
		}
		checkLog(t, log, "the checkpoint is past the stream's trim horizon", "shard shardId-000000000000, sequence number", fix, f.want)
	}
}

// checkLog checks that the log has each of want, and that a worker's log
// has the error as a log record too.
func checkLog(t *testing.T, log string, want ...string) {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(log), "\n")
	t.Logf("stderr ends: %s", lines[len(lines)-1])
	for _, w := range want {
		if !strings.Contains(log, w) {
			t.Errorf("the log has no %q:\n%s", w, log)
		}
	}
	if strings.Contains(log, "worker=") && !strings.Contains(log, `level=ERROR msg="the worker stops"`) {
		t.Errorf("the error is not in the worker's log:\n%s", log)
	}
}

// trendingCheckpoint returns the checkpoint (the last sequence number
// taken) in the item key of shard shardID of the consumer's query.
func trendingCheckpoint(e *groupEnv, shardID, key string) (string, error) {
	op, err := trending.Partial(nil)
	if err != nil {
		return "", err
	}
	p, ok := any(op).(partialOp)
	if !ok {
		return "", fmt.Errorf("%T has no snapshot", op)
	}
	loop, err := rk.NewLoop[trending.Action, partial](shardID, rk.NewJSON[trending.Action](actionDecoder{}, nil),
		&joinOp{s: &shard{}, op: p}, &rk.LoopOptions{Ledger: rk.LedgerOptions{Name: "trending", Ordered: true}})
	if err != nil {
		return "", err
	}
	if _, err := loop.Load(context.Background(), rk.NewDynamoDBStore(e.db.DynamoDB(), "state", nil), key); err != nil {
		return "", err
	}
	seq, _ := loop.Resume()
	return seq, nil
}
