package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/rowtime/rowtime/examples/query/trending"
	rk "github.com/rowtime/rowtime/record/kinesis"
	"github.com/rowtime/rowtime/record/kinesis/group"
	"github.com/rowtime/rowtime/record/kinesis/kinesistest"
)

// The consumer binary, built once for the package's tests (TestMain
// removes it).
var (
	binOnce sync.Once
	binDir  string
	binPath string
	binErr  error
)

func consumerBin(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		if binDir, binErr = os.MkdirTemp("", "consumer-bin-"); binErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "consumer")
		cmd := exec.Command("go", "build", "-o", binPath, ".")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if b, err := cmd.CombinedOutput(); err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, b)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// groupEnv is a kinesalite stream of actions, a dynalite with the lease and
// state tables, the consumer binary and the worker processes a test starts.
type groupEnv struct {
	t       *testing.T
	ks, db  *kinesistest.Server
	api     *kinesis.Client
	bin     string
	dir     string
	out     string // -out-dir
	users   string // -users
	stream  string
	w       *workload
	mu      sync.Mutex
	procs   map[string]*kinesistest.Process
	earlier map[string]string // the output of a worker's earlier processes
}

func newGroupEnv(t *testing.T, shards int, w *workload) *groupEnv {
	t.Helper()
	if testing.Short() {
		t.Skip("starts kinesalite, dynalite and consumer processes; not in -short")
	}
	e := &groupEnv{t: t, ks: kinesistest.StartKinesis(t), db: kinesistest.StartDynamoDB(t), bin: consumerBin(t),
		dir: t.TempDir(), stream: "actions", w: w, procs: map[string]*kinesistest.Process{}, earlier: map[string]string{}}
	e.api = e.ks.Kinesis()
	e.out = filepath.Join(e.dir, "out")
	e.users = filepath.Join(e.dir, "users.csv")
	if err := os.WriteFile(e.users, []byte(w.usersCSV), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := e.api.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String(e.stream), ShardCount: aws.Int32(int32(shards))}); err != nil {
		t.Fatal(err)
	}
	e.waitActive(ctx)
	if err := group.CreateLeaseTable(ctx, e.db.DynamoDB(), "leases"); err != nil {
		t.Fatal(err)
	}
	kinesistest.StateTable(t, e.db, "state")
	t.Cleanup(func() {
		e.mu.Lock()
		defer e.mu.Unlock()
		for id, p := range e.procs {
			p.Stop()
			if t.Failed() {
				t.Logf("worker %s:\n%s%s", id, e.earlier[id], p.Output())
			}
		}
		if t.Failed() {
			t.Logf("kinesalite:\n%.3000s\ndynalite:\n%.3000s", e.ks.Output(), e.db.Output())
		}
	})
	return e
}

func (e *groupEnv) waitActive(ctx context.Context) {
	for {
		out, err := e.api.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: aws.String(e.stream)})
		if err != nil {
			e.t.Fatal(err)
		}
		if out.StreamDescriptionSummary.StreamStatus == types.StreamStatusActive {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// args are the command line of worker id; extra flags go last.
func (e *groupEnv) args(id string, extra ...string) []string {
	return append([]string{"-stream", e.stream, "-endpoint", e.ks.Endpoint, "-users", e.users,
		"-worker", id, "-leases", "leases", "-state", "state", "-out-dir", e.out, "-dynamodb-endpoint", e.db.Endpoint,
		"-lease", "2s", "-idle", "3s", "-poll", "100ms", "-limit", "500", "-delay", "2s"}, extra...)
}

// command returns the consumer with args, credentials in its environment.
func (e *groupEnv) command(args ...string) *exec.Cmd {
	cmd := exec.Command(e.bin, args...)
	cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test")
	return cmd
}

// start starts worker id (again, if it ran before).
func (e *groupEnv) start(id string, extra ...string) *kinesistest.Process {
	e.t.Helper()
	return e.startArgs(id, e.args(id, extra...))
}

// startArgs starts worker id with the command line args.
func (e *groupEnv) startArgs(id string, args []string) *kinesistest.Process {
	e.t.Helper()
	p, err := kinesistest.Start(e.command(args...))
	if err != nil {
		e.t.Fatal(err)
	}
	e.mu.Lock()
	if old := e.procs[id]; old != nil {
		e.earlier[id] += old.Output() + "--- restarted\n"
	}
	e.procs[id] = p
	e.mu.Unlock()
	return p
}

func (e *groupEnv) proc(id string) *kinesistest.Process {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.procs[id]
}

// waitLog waits until worker id has logged want, and fails the test after
// d.
func (e *groupEnv) waitLog(id, want string, d time.Duration) {
	e.t.Helper()
	deadline := time.Now().Add(d)
	for !strings.Contains(e.proc(id).Output(), want) {
		if time.Now().After(deadline) {
			e.t.Fatalf("worker %s did not log %q in %v:\n%s", id, want, d, e.proc(id).Output())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// producer puts the workload's records in order, n every gap, each with
// the user id as partition key and a random explicit hash key (so every
// shard, children of a resharding too, gets records all along), or, keyed,
// with the article id as partition key. put says how many are in.
type producer struct {
	e     *groupEnv
	keyed bool
	rng   *rand.Rand
	mu    sync.Mutex
	put   int
	stop  chan struct{}
	done  chan struct{}
	once  sync.Once
}

func (e *groupEnv) produce(seed uint64, n int, gap time.Duration, keyed bool) *producer {
	p := &producer{e: e, keyed: keyed, rng: rand.New(rand.NewPCG(seed, 2)), stop: make(chan struct{}), done: make(chan struct{})}
	// A test that fails early stops the producer before its servers.
	e.t.Cleanup(func() { p.end() })
	go func() {
		defer close(p.done)
		tick := time.NewTicker(gap)
		defer tick.Stop()
		for next := 0; next < len(e.w.recs); {
			select {
			case <-p.stop:
				return
			case <-tick.C:
			}
			var entries []types.PutRecordsRequestEntry
			for i := next; i < min(next+n, len(e.w.recs)); i++ {
				r := e.w.recs[i]
				en := types.PutRecordsRequestEntry{Data: trending.AppendJSON(nil, r)}
				if keyed {
					en.PartitionKey = aws.String(strconv.FormatInt(r.Value.ArticleID, 10))
				} else {
					h := new(big.Int).Lsh(new(big.Int).SetUint64(p.rng.Uint64()), 64)
					h.Or(h, new(big.Int).SetUint64(p.rng.Uint64()))
					en.PartitionKey, en.ExplicitHashKey = aws.String(strconv.FormatInt(r.Value.UserID, 10)), aws.String(h.String())
				}
				entries = append(entries, en)
			}
			for len(entries) > 0 {
				out, err := e.api.PutRecords(context.Background(), &kinesis.PutRecordsInput{StreamName: aws.String(e.stream), Records: entries})
				if err != nil {
					e.t.Errorf("PutRecords: %v", err)
					return
				}
				var again []types.PutRecordsRequestEntry
				for i, r := range out.Records {
					if r.ErrorCode != nil {
						again = append(again, entries[i])
					}
				}
				entries = again
			}
			next = min(next+n, len(e.w.recs))
			p.mu.Lock()
			p.put = next
			p.mu.Unlock()
		}
	}()
	return p
}

// end stops the producer and returns the records it put.
func (p *producer) end() []trending.Record {
	p.once.Do(func() { close(p.stop) })
	<-p.done
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.e.w.recs[:p.put]
}

// output reads every window file of the output directory, sorted by
// (window end, key).
func (e *groupEnv) output() []string {
	files, _ := filepath.Glob(filepath.Join(e.out, e.stream+"-*.jsonl"))
	var data []byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			e.t.Fatal(err)
		}
		data = append(data, b...)
	}
	return sortResults(parseResults(e.t, data))
}

// await waits until the output equals the naive group-by of recs, and
// fails the test with the difference if it does not within d.
func (e *groupEnv) await(recs []trending.Record, d time.Duration) {
	e.t.Helper()
	want := sortResults(naiveTrending(e.w, recs))
	deadline := time.Now().Add(d)
	var got []string
	for {
		got = e.output()
		if slices.Equal(got, want) || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if !slices.Equal(got, want) {
		dead, _ := filepath.Glob(filepath.Join(e.out, "dead-*"))
		for _, f := range dead {
			b, _ := os.ReadFile(f)
			e.t.Logf("dead letters %s:\n%.2000s", filepath.Base(f), b)
		}
		e.t.Fatalf("output, sorted by (window end, key), differs from the naive group-by of %d records (%d lines, want %d):\n%s",
			len(recs), len(got), len(want), diff(got, want))
	}
	e.t.Logf("%d records, %d (window, key) lines: the output equals the naive group-by", len(recs), len(want))
	if dead, _ := filepath.Glob(filepath.Join(e.out, "dead-*")); len(dead) != 0 {
		e.t.Errorf("dead letters: %v", dead)
	}
}

// stopAll stops every worker with SIGTERM; each must exit with status 0
// and have logged no error.
func (e *groupEnv) stopAll() string {
	e.t.Helper()
	e.mu.Lock()
	procs := maps2(e.procs)
	e.mu.Unlock()
	var all strings.Builder
	for id, p := range procs {
		p.Kill(syscall.SIGTERM)
		out := p.Output()
		all.WriteString(e.earlier[id] + out)
		if err := p.Err(); err != nil {
			e.t.Errorf("worker %s on SIGTERM: %v", id, err)
		}
		if strings.Contains(out, "level=ERROR") {
			e.t.Errorf("worker %s logged an error:\n%s", id, out)
		}
	}
	return all.String()
}

func maps2(m map[string]*kinesistest.Process) map[string]*kinesistest.Process {
	out := make(map[string]*kinesistest.Process, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// holder returns a worker among ids that has taken a shard, or "".
func (e *groupEnv) holder(ids ...string) string {
	for _, id := range ids {
		if strings.Contains(e.proc(id).Output(), "took the shard") {
			return id
		}
	}
	return ""
}

// TestWorkersKillAndRejoin runs the consumer as three -worker processes on
// a four-shard stream while a fixed-seed workload goes in, kills one that
// holds shards with SIGKILL (the survivors take its shards), starts it
// again, kills a second (the restarted one takes shards: it has rejoined),
// and checks the output, sorted by (window end, key), against a naive
// group-by of the records put: nothing lost, nothing counted twice.
func TestWorkersKillAndRejoin(t *testing.T) {
	e := newGroupEnv(t, 4, newWorkload(18, 12000, 40*time.Millisecond))
	ids := []string{"w1", "w2", "w3"}
	for _, id := range ids {
		e.start(id)
	}
	p := e.produce(18, 25, 50*time.Millisecond, false)
	time.Sleep(4 * time.Second)
	victim := e.holder(ids...)
	if victim == "" {
		t.Fatal("no worker took a shard in 4 s")
	}
	e.proc(victim).Kill(syscall.SIGKILL)
	var survivors []string
	for _, id := range ids {
		if id != victim {
			survivors = append(survivors, id)
		}
	}
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(e.proc(survivors[0]).Output()+e.proc(survivors[1]).Output(), "from="+victim) {
		if time.Now().After(deadline) {
			t.Fatalf("no survivor took a shard of the killed %s in 20 s", victim)
		}
		time.Sleep(50 * time.Millisecond)
	}
	e.start(victim)
	time.Sleep(2 * time.Second)
	second := e.holder(survivors...)
	e.proc(second).Kill(syscall.SIGKILL)
	e.waitLog(victim, "took the shard", 20*time.Second)
	time.Sleep(2 * time.Second)
	recs := p.end()
	e.await(recs, 60*time.Second)
	e.mu.Lock()
	delete(e.procs, second)
	e.mu.Unlock()
	e.stopAll()
}

// TestWorkersReshard splits a shard and merges two while three workers run
// and records go in: parents are read to their ends before their children,
// and the output equals the naive group-by.
func TestWorkersReshard(t *testing.T) {
	e := newGroupEnv(t, 4, newWorkload(1818, 12000, 40*time.Millisecond))
	for _, id := range []string{"w1", "w2", "w3"} {
		e.start(id)
	}
	p := e.produce(1818, 25, 50*time.Millisecond, false)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	time.Sleep(3 * time.Second)
	shards := func() []types.Shard {
		out, err := e.api.ListShards(ctx, &kinesis.ListShardsInput{StreamName: aws.String(e.stream)})
		if err != nil {
			t.Fatal(err)
		}
		return out.Shards
	}
	s0 := shards()[0]
	lo, hi := hashRange(t, s0)
	mid := new(big.Int).Rsh(new(big.Int).Add(lo, hi), 1).String()
	if _, err := e.api.SplitShard(ctx, &kinesis.SplitShardInput{StreamName: aws.String(e.stream), ShardToSplit: s0.ShardId,
		NewStartingHashKey: aws.String(mid)}); err != nil {
		t.Fatal(err)
	}
	e.waitActive(ctx)
	time.Sleep(3 * time.Second)
	// Merge the split's upper child with the next shard up.
	var open []types.Shard
	for _, s := range shards() {
		if s.SequenceNumberRange.EndingSequenceNumber == nil {
			open = append(open, s)
		}
	}
	slices.SortFunc(open, func(a, b types.Shard) int {
		x, _ := hashRange(t, a)
		y, _ := hashRange(t, b)
		return x.Cmp(y)
	})
	if _, err := e.api.MergeShards(ctx, &kinesis.MergeShardsInput{StreamName: aws.String(e.stream),
		ShardToMerge: open[1].ShardId, AdjacentShardToMerge: open[2].ShardId}); err != nil {
		t.Fatal(err)
	}
	e.waitActive(ctx)
	time.Sleep(3 * time.Second)
	recs := p.end()
	e.await(recs, 60*time.Second)
	all := e.stopAll()
	if n := strings.Count(all, "shard read to its end"); n < 3 {
		t.Errorf("%d shards read to their ends, want 3 (the split's parent and the merge's two)", n)
	}
	if n := len(shards()); n != 7 {
		t.Errorf("%d shards, want 7", n)
	}
}

func hashRange(t *testing.T, s types.Shard) (lo, hi *big.Int) {
	lo, ok1 := new(big.Int).SetString(aws.ToString(s.HashKeyRange.StartingHashKey), 10)
	hi, ok2 := new(big.Int).SetString(aws.ToString(s.HashKeyRange.EndingHashKey), 10)
	if !ok1 || !ok2 {
		t.Fatalf("shard %s: hash range %v", aws.ToString(s.ShardId), s.HashKeyRange)
	}
	return lo, hi
}

// write is a DynamoDB write a recorder saw succeed or fail.
type write struct {
	at     time.Time
	target string // PutItem, UpdateItem, DeleteItem
	key    string
	status int
}

// recorder is a proxy in front of dynalite that records the item writes
// that pass through it.
type recorder struct {
	srv    *httptest.Server
	mu     sync.Mutex
	writes []write
}

func newRecorder(t *testing.T, target string) *recorder {
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	r := &recorder{}
	proxy := httputil.NewSingleHostReverseProxy(u)
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		req.Body = io.NopCloser(bytes.NewReader(body))
		op := strings.TrimPrefix(req.Header.Get("X-Amz-Target"), "DynamoDB_20120810.")
		rw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		proxy.ServeHTTP(rw, req)
		if op != "PutItem" && op != "UpdateItem" && op != "DeleteItem" {
			return
		}
		var in struct {
			Item, Key map[string]map[string]any
		}
		_ = json.Unmarshal(body, &in)
		k := in.Item["key"]["S"]
		if k == nil {
			k = in.Key["key"]["S"]
		}
		key, _ := k.(string)
		r.mu.Lock()
		r.writes = append(r.writes, write{at: time.Now(), target: op, key: key, status: rw.status})
		r.mu.Unlock()
	}))
	t.Cleanup(r.srv.Close)
	return r
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// shardWrites returns the writes of shard items after t0 that succeeded
// and that failed.
func (r *recorder) shardWrites(t0 time.Time) (ok, failed []write) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, w := range r.writes {
		if !strings.Contains(w.key, "shard/") || w.at.Before(t0) {
			continue
		}
		if w.status == http.StatusOK {
			ok = append(ok, w)
		} else {
			failed = append(failed, w)
		}
	}
	return ok, failed
}

// TestWorkerFencedWritesNothing stalls worker a (SIGSTOP) while it reads
// the stream's one shard, lets worker b take the shard over once a's lease
// has expired, then lets a go on (SIGCONT): a's next save fails on the
// epoch b set, a stops the shard, and no write of a to a shard item
// succeeds after the takeover (a's DynamoDB requests go through a proxy
// that records them). The output still equals the naive group-by.
//
// The group's own test of this (record/kinesis/group) also holds the new
// owner's reads, so that the old owner is fenced before the new one has
// saved a single batch; a process cannot be held at that point from
// outside, so here the new owner reads on.
func TestWorkerFencedWritesNothing(t *testing.T) {
	e := newGroupEnv(t, 1, newWorkload(7, 8000, 40*time.Millisecond))
	rec := newRecorder(t, e.db.Endpoint)
	p := e.produce(7, 20, 50*time.Millisecond, false)
	args := e.args("a")
	for i, a := range args {
		if a == "-dynamodb-endpoint" {
			args[i+1] = rec.srv.URL
		}
	}
	pa := e.startArgs("a", args)
	e.waitLog("a", "took the shard", 20*time.Second)
	time.Sleep(time.Second)
	if ok, _ := rec.shardWrites(time.Time{}); len(ok) < 2 {
		t.Fatalf("a saved its item %d times before the stall", len(ok))
	}
	e.start("b")
	time.Sleep(500 * time.Millisecond)
	if err := syscall.Kill(pa.Pid(), syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	e.waitLog("b", "from=a", 20*time.Second)
	takeover := time.Now()
	if err := syscall.Kill(pa.Pid(), syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	e.waitLog("a", "stopped the shard: another worker took it over", 20*time.Second)
	ok, failed := rec.shardWrites(takeover)
	if len(ok) != 0 {
		t.Errorf("a wrote %d shard items after the takeover: %v", len(ok), ok)
	}
	if len(failed) == 0 {
		t.Error("no write of a failed after the takeover")
	}
	recs := p.end()
	e.await(recs, 60*time.Second)
	e.stopAll()
	if ok, _ := rec.shardWrites(takeover); len(ok) != 0 {
		t.Errorf("a wrote %d shard items after the takeover: %v", len(ok), ok)
	}
}

// TestWorkersKeyedShards runs three -keyed-shards workers on a four-shard
// stream whose producer partitions by article, kills one mid-stream, and
// checks the output against the naive group-by: every window file is a
// shard's own (no merge), and no merge item is ever saved.
func TestWorkersKeyedShards(t *testing.T) {
	e := newGroupEnv(t, 4, newWorkload(21, 12000, 40*time.Millisecond))
	ids := []string{"w1", "w2", "w3"}
	for _, id := range ids {
		e.start(id, "-keyed-shards")
	}
	p := e.produce(21, 25, 50*time.Millisecond, true)
	time.Sleep(4 * time.Second)
	victim := e.holder(ids...)
	if victim == "" {
		t.Fatal("no worker took a shard in 4 s")
	}
	e.proc(victim).Kill(syscall.SIGKILL)
	e.mu.Lock()
	delete(e.procs, victim)
	e.mu.Unlock()
	time.Sleep(5 * time.Second)
	recs := p.end()
	e.await(recs, 60*time.Second)
	files, _ := filepath.Glob(filepath.Join(e.out, e.stream+"-*.jsonl"))
	perShard := regexp.MustCompile(`^actions-\d{20}-shardId-\d{12}\.jsonl$`)
	for _, f := range files {
		if !perShard.MatchString(filepath.Base(f)) {
			t.Errorf("output file %s is not a shard's own window", filepath.Base(f))
		}
	}
	if _, _, err := rk.NewDynamoDBStore(e.db.DynamoDB(), "state", nil).Load(context.Background(), "merge/actions/actions"); !errors.Is(err, rk.ErrNotFound) {
		t.Errorf("a merge item was saved: %v", err)
	}
	all := e.stopAll()
	if regexp.MustCompile(`merged=[1-9]`).MatchString(all) || !strings.Contains(all, "merged=0") {
		t.Errorf("a worker merged windows:\n%s", all)
	}
}
