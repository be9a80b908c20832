package main

import (
	"bufio"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/rowtime/rowtime/examples/internal/testenv"
	"github.com/rowtime/rowtime/examples/query/trending"
	"github.com/rowtime/rowtime/record"
	rk "github.com/rowtime/rowtime/record/kinesis"
)

// workload is a small trending workload for the tests: actions on few
// articles by few users, so that windows hold many (group, article) keys
// with counts above one, over several minutes of event time.
type workload struct {
	usersCSV string
	users    map[int64]trending.Group
	recs     []trending.Record
}

func newWorkload(seed uint64, n int, spacing time.Duration) *workload {
	rng := rand.New(rand.NewPCG(seed, 1))
	w := &workload{users: map[int64]trending.Group{}}
	var b strings.Builder
	for id := int64(1); id <= 300; id++ {
		if rng.IntN(10) == 0 {
			continue // not in the table: the left join gives nulls
		}
		g := trending.Group{Gender: trending.Genders[rng.IntN(2)], Segment: 1 + rng.Int64N(5), Known: true}
		w.users[id] = g
		fmt.Fprintf(&b, "%d, %s ,%d\n", id, g.Gender, g.Segment)
	}
	w.usersCSV = b.String()
	for i := range n {
		a := trending.Action{ArticleID: 1 + rng.Int64N(12), UserID: 1 + rng.Int64N(300), Action: trending.Impression}
		if rng.IntN(10) == 0 {
			a.Action = trending.Click
		}
		w.recs = append(w.recs, trending.Record{Time: trending.Start + record.Time(i)*record.Time(spacing), Value: a})
	}
	return w
}

// result is one line of the consumer's output.
type result struct {
	Start, End string
	Gender     *string
	Segment    *int64
	Article    int64
	Impression int64
	Click      int64
}

func (r result) String() string {
	g, s := "null", "null"
	if r.Gender != nil {
		g = strconv.Quote(*r.Gender)
	}
	if r.Segment != nil {
		s = strconv.FormatInt(*r.Segment, 10)
	}
	return fmt.Sprintf("%s %s gender=%s segment=%s article=%d impression=%d click=%d", r.Start, r.End, g, s, r.Article, r.Impression, r.Click)
}

func parseResults(t *testing.T, data []byte) []result {
	t.Helper()
	var out []result
	sc := bufio.NewScanner(strings.NewReader(string(data)))
	for sc.Scan() {
		var v struct {
			Start      string  `json:"window_start"`
			End        string  `json:"window_end"`
			Gender     *string `json:"gender"`
			Segment    *int64  `json:"segment_id"`
			Article    int64   `json:"article_id"`
			Impression int64   `json:"impression"`
			Click      int64   `json:"click"`
		}
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatalf("output line %q: %v", sc.Text(), err)
		}
		out = append(out, result(v))
	}
	return out
}

// naiveTrending is the oracle: impressions and clicks per minute per
// (gender, segment, article), the users left-joined, computed with maps.
func naiveTrending(w *workload, recs []trending.Record) []result {
	type key struct {
		start   int64
		group   trending.Group
		article int64
	}
	counts := map[key]*[2]int64{}
	for _, r := range recs {
		start := int64(r.Time) - ((int64(r.Time)%60e9)+60e9)%60e9
		k := key{start, w.users[r.Value.UserID], r.Value.ArticleID}
		if counts[k] == nil {
			counts[k] = new([2]int64)
		}
		if r.Value.Action == trending.Click {
			counts[k][1]++
		} else {
			counts[k][0]++
		}
	}
	ts := func(ns int64) string { return time.Unix(0, ns).UTC().Format(time.RFC3339Nano) }
	var out []result
	for k, c := range counts {
		r := result{Start: ts(k.start), End: ts(k.start + 60e9), Article: k.article, Impression: c[0], Click: c[1]}
		if k.group.Known {
			g, s := k.group.Gender, k.group.Segment
			r.Gender, r.Segment = &g, &s
		}
		out = append(out, r)
	}
	return out
}

// sortResults sorts by (window end, key).
func sortResults(rs []result) []string {
	slices.SortFunc(rs, func(a, b result) int {
		return cmp.Or(strings.Compare(a.End, b.End), strings.Compare(a.String(), b.String()))
	})
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.String()
	}
	return out
}

func diff(got, want []string) string {
	var b strings.Builder
	g, w := map[string]int{}, map[string]int{}
	for _, x := range got {
		g[x]++
	}
	for _, x := range want {
		w[x]++
	}
	n := 0
	for _, x := range got {
		if g[x] != w[x] && n < 10 {
			fmt.Fprintf(&b, "got %d×, want %d×: %s\n", g[x], w[x], x)
			n++
		}
	}
	for _, x := range want {
		if g[x] == 0 && n < 20 {
			fmt.Fprintf(&b, "missing: %s\n", x)
			n++
		}
	}
	return b.String()
}

// Hash keys that put a record on the first or the second of two shards.
var shardHashKeys = [2]string{"0", new(big.Int).Lsh(big.NewInt(1), 127).String()}

// TestKinesalite runs the consumer against kinesalite: a stream of two
// shards, records put in order within each shard, the consumer killed with
// SIGKILL mid-stream and started again; its output, sorted by (window end,
// key), must equal a naive group-by over every record: nothing lost,
// nothing counted twice.
func TestKinesalite(t *testing.T) {
	t0 := time.Now()
	k := testenv.StartKinesis(t)
	dir := t.TempDir()
	bin := testenv.Build(t, ".", dir, "consumer")
	t.Logf("kinesalite up and consumer built after %v", time.Since(t0))
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Second)
	defer cancel()

	client := kinesis.New(kinesis.Options{
		BaseEndpoint: aws.String(k.Endpoint),
		Region:       "us-east-1",
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "test", SecretAccessKey: "test"}, nil
		}),
	})
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

	w := newWorkload(3, 3000, 150*time.Millisecond) // 7.5 minutes of event time
	usersPath := filepath.Join(dir, "users.csv")
	if err := os.WriteFile(usersPath, []byte(w.usersCSV), 0o644); err != nil {
		t.Fatal(err)
	}
	// Records alternate between the shards, except near the end, where the
	// second shard goes quiet and the consumer must advance it as idle.
	shardOf := func(i int) int {
		if i > len(w.recs)*9/10 {
			return 0
		}
		return i % 2
	}
	lastSeq := map[string]string{}
	put := func(from, to int, extra ...[]byte) {
		t.Helper()
		var entries []types.PutRecordsRequestEntry
		for i := from; i < to; i++ {
			entries = append(entries, types.PutRecordsRequestEntry{
				Data:            trending.AppendJSON(nil, w.recs[i]),
				PartitionKey:    aws.String(strconv.FormatInt(w.recs[i].Value.UserID, 10)),
				ExplicitHashKey: aws.String(shardHashKeys[shardOf(i)]),
			})
		}
		for _, e := range extra {
			entries = append(entries, types.PutRecordsRequestEntry{Data: e, PartitionKey: aws.String("bad"), ExplicitHashKey: aws.String(shardHashKeys[1])})
		}
		for len(entries) > 0 {
			n := min(len(entries), 500)
			out, err := client.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String(stream), Records: entries[:n]})
			if err != nil {
				t.Fatal(err)
			}
			if aws.ToInt32(out.FailedRecordCount) != 0 {
				t.Fatalf("%d records not put", aws.ToInt32(out.FailedRecordCount))
			}
			for _, r := range out.Records {
				sh, seq := aws.ToString(r.ShardId), aws.ToString(r.SequenceNumber)
				if !seqLess(lastSeq[sh], seq) && lastSeq[sh] != "" {
					t.Fatalf("shard %s: sequence number %s after %s: records out of order", sh, seq, lastSeq[sh])
				}
				lastSeq[sh] = seq
			}
			entries = entries[n:]
		}
	}
	bad := [][]byte{[]byte(`{"article_id":1,"user_id":2,"action":"click"`), []byte(`{"article_id":1,"user_id":2,"action":"click"}`)}
	half := len(w.recs) / 2
	put(0, half, bad...)

	out := filepath.Join(dir, "out.jsonl")
	dead := filepath.Join(dir, "dead.jsonl")
	ckpt := filepath.Join(dir, "checkpoint")
	logPath := filepath.Join(dir, "consumer.log")
	consumer := func(drain bool) *testenv.Process {
		args := []string{"-endpoint", k.Endpoint, "-region", "us-east-1", "-stream", stream, "-users", usersPath,
			"-checkpoint", ckpt, "-checkpoint-every", "0", "-out", out, "-dead", dead,
			"-limit", "40", "-poll", "20ms", "-idle", "400ms"}
		if drain {
			args = append(args, "-drain")
		}
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test")
		logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { logf.Close() })
		cmd.Stderr = logf
		p, err := testenv.Start(cmd)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(p.Stop)
		return p
	}

	// First run: killed once it has checkpointed some of the stream and
	// written some results.
	p := consumer(false)
	deadline := time.Now().Add(30 * time.Second)
	for {
		b, _ := os.ReadFile(out)
		if cp, err := readCheckpoint(ckpt); err == nil && len(b) > 0 && cp.OutOffset > 0 {
			break
		}
		select {
		case <-p.Exited():
			logs, _ := os.ReadFile(logPath)
			t.Fatalf("consumer exited: %v\n%s", p.Err(), logs)
		default:
		}
		if time.Now().After(deadline) {
			logs, _ := os.ReadFile(logPath)
			t.Fatalf("no checkpoint with output after 30 s\n%s", logs)
		}
		time.Sleep(5 * time.Millisecond)
	}
	p.Stop()
	cp, err := readCheckpoint(ckpt)
	if err != nil {
		t.Fatal(err)
	}
	var taken uint64
	for _, s := range cp.Shards {
		taken += s.Records
	}
	t.Logf("killed after %v with %d of %d records taken", time.Since(t0), taken, half+len(bad))

	// The rest of the stream arrives; the consumer resumes and drains it.
	put(half, len(w.recs))
	p = consumer(true)
	select {
	case <-p.Exited():
		if err := p.Err(); err != nil {
			logs, _ := os.ReadFile(logPath)
			t.Fatalf("consumer: %v\n%s", err, logs)
		}
	case <-ctx.Done():
		logs, _ := os.ReadFile(logPath)
		t.Fatalf("consumer did not drain the stream in time\n%s", logs)
	}
	t.Logf("drained after %v", time.Since(t0))

	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	got := sortResults(parseResults(t, data))
	want := sortResults(naiveTrending(w, w.recs))
	if !slices.Equal(got, want) {
		t.Fatalf("output differs from the naive group-by: %d lines, want %d\n%s", len(got), len(want), diff(got, want))
	}
	// Window ends never go backwards in the output: merged windows come
	// out final, in order.
	res := parseResults(t, data)
	for i := 1; i < len(res); i++ {
		if res[i].End < res[i-1].End {
			t.Fatalf("line %d: window end %s after %s", i+1, res[i].End, res[i-1].End)
		}
	}
	deadData, err := os.ReadFile(dead)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(deadData)), "\n")
	if len(lines) != len(bad) {
		t.Fatalf("dead letters:\n%s\nwant %d, once each", deadData, len(bad))
	}
	for i, l := range lines {
		var d rk.DeadLetter
		if err := json.Unmarshal([]byte(l), &d); err != nil || string(d.Data) != string(bad[i]) || !strings.Contains(d.Error, "trending: cannot decode action") {
			t.Errorf("dead letter %s: %v", l, err)
		}
	}
}
