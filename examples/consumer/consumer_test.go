package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/rowtime/rowtime/examples/query/trending"
	rk "github.com/rowtime/rowtime/record/kinesis"
)

// fakeKinesis is an in-memory stream for the consumer's tests. Iterators
// are "shard/position". A closed shard's iterator runs out after its last
// record.
type fakeKinesis struct {
	mu     sync.Mutex
	shards []fakeShard
	reads  int // GetRecords calls
}

type fakeShard struct {
	id, parent string
	closed     bool
	data       [][]byte
}

func seqFor(shard, i int) string { return fmt.Sprintf("%d%020d", 1+shard, 100+i) }

func (f *fakeKinesis) find(id string) (int, *fakeShard) {
	for i := range f.shards {
		if f.shards[i].id == id {
			return i, &f.shards[i]
		}
	}
	return -1, nil
}

func (f *fakeKinesis) ListShards(_ context.Context, in *kinesis.ListShardsInput, _ ...func(*kinesis.Options)) (*kinesis.ListShardsOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := &kinesis.ListShardsOutput{}
	for _, s := range f.shards {
		sh := types.Shard{ShardId: aws.String(s.id)}
		if s.parent != "" {
			sh.ParentShardId = aws.String(s.parent)
		}
		out.Shards = append(out.Shards, sh)
	}
	return out, nil
}

func (f *fakeKinesis) GetShardIterator(_ context.Context, in *kinesis.GetShardIteratorInput, _ ...func(*kinesis.Options)) (*kinesis.GetShardIteratorOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	n, s := f.find(aws.ToString(in.ShardId))
	if s == nil {
		return nil, &types.ResourceNotFoundException{Message: aws.String("no shard")}
	}
	pos := 0
	if in.ShardIteratorType == types.ShardIteratorTypeAfterSequenceNumber {
		seq := aws.ToString(in.StartingSequenceNumber)
		for pos < len(s.data) && !seqLess(seq, seqFor(n, pos)) {
			pos++
		}
	}
	return &kinesis.GetShardIteratorOutput{ShardIterator: aws.String(fmt.Sprintf("%s/%d", s.id, pos))}, nil
}

func (f *fakeKinesis) GetRecords(_ context.Context, in *kinesis.GetRecordsInput, _ ...func(*kinesis.Options)) (*kinesis.GetRecordsOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reads++
	id, p, _ := strings.Cut(aws.ToString(in.ShardIterator), "/")
	pos, _ := strconv.Atoi(p)
	n, s := f.find(id)
	end := min(pos+int(aws.ToInt32(in.Limit)), len(s.data))
	out := &kinesis.GetRecordsOutput{MillisBehindLatest: aws.Int64(int64(len(s.data) - end))}
	for i := pos; i < end; i++ {
		out.Records = append(out.Records, types.Record{Data: s.data[i], SequenceNumber: aws.String(seqFor(n, i))})
	}
	if !(s.closed && end == len(s.data)) {
		out.NextShardIterator = aws.String(fmt.Sprintf("%s/%d", s.id, end))
	}
	return out, nil
}

func (f *fakeKinesis) append(shard string, data ...[]byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, s := f.find(shard)
	s.data = append(s.data, data...)
}

func testConfig(dir string, users *trending.Users) Config {
	return Config{
		Stream: "s", Users: users,
		IdleAfter: 60 * time.Millisecond, Poll: 2 * time.Millisecond, Limit: 25, ListEvery: 20 * time.Millisecond,
		Checkpoint: filepath.Join(dir, "ckpt"), CheckpointEvery: 0,
		Out: filepath.Join(dir, "out"), Dead: filepath.Join(dir, "dead"),
	}
}

func loadUsers(t *testing.T, w *workload) *trending.Users {
	t.Helper()
	u, err := trending.LoadUsers(strings.NewReader(w.usersCSV))
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// TestConsumerResume stops the consumer at many points (a cancelled
// context, which checkpoints; or a crash, simulated by putting back the
// older checkpoint and output that a kill at that moment would leave) and
// starts it again, with records arriving on the way; the output must equal
// the naive group-by.
func TestConsumerResume(t *testing.T) {
	w := newWorkload(11, 2400, 200*time.Millisecond)
	users := loadUsers(t, w)
	fk := &fakeKinesis{shards: []fakeShard{{id: "shard-0"}, {id: "shard-1"}}}
	dir := t.TempDir()
	cfg := testConfig(dir, users)
	next := 0
	feed := func(n int) {
		for ; n > 0 && next < len(w.recs); n-- {
			fk.append(fmt.Sprintf("shard-%d", next%2), trending.AppendJSON(nil, w.recs[next]))
			next++
		}
	}
	for round := 0; next < len(w.recs); round++ {
		feed(300)
		var saved map[string][]byte
		if round%2 == 1 {
			saved = readFiles(t, dir) // the state a kill would go back to
		}
		c, err := New(fk, cfg)
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Duration(20+round*7%30)*time.Millisecond)
		if err := c.Run(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("round %d: %v", round, err)
		}
		cancel()
		if saved != nil {
			// A crash after the output was written, before the
			// checkpoint: the checkpoint is the old one, the output
			// files are longer than it says.
			if old, ok := saved["ckpt"]; ok {
				if err := os.WriteFile(filepath.Join(dir, "ckpt"), old, 0o644); err != nil {
					t.Fatal(err)
				}
			} else {
				os.Remove(filepath.Join(dir, "ckpt"))
			}
		}
	}
	got := drain(t, fk, cfg)
	want := sortResults(naiveTrending(w, w.recs))
	if !slices.Equal(got, want) {
		t.Fatalf("output differs from the naive group-by: %d lines, want %d\n%s", len(got), len(want), diff(got, want))
	}
}

func readFiles(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = b
	}
	return out
}

// drain runs a consumer with cfg over fk until it has read every shard to
// its end, and returns the results it wrote, sorted.
func drain(t *testing.T, fk *fakeKinesis, cfg Config) []string {
	t.Helper()
	cfg.Drain = true
	c, err := New(fk, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := c.Run(ctx); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(cfg.Out)
	return sortResults(parseResults(t, data))
}

// TestConsumerIdleShard checks that a shard with no records does not hold
// back the merged windows: once it has been idle, the windows the other
// shard's watermark has passed come out without a drain.
func TestConsumerIdleShard(t *testing.T) {
	w := newWorkload(5, 600, 500*time.Millisecond) // 5 minutes
	users := loadUsers(t, w)
	fk := &fakeKinesis{shards: []fakeShard{{id: "busy"}, {id: "quiet"}}}
	for _, r := range w.recs {
		fk.append("busy", trending.AppendJSON(nil, r))
	}
	cfg := testConfig(t.TempDir(), users)
	cfg.Checkpoint = ""
	c, err := New(fk, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2500*time.Millisecond)
	defer cancel()
	if err := c.Run(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(cfg.Out)
	got := sortResults(parseResults(t, data))
	// Every window but the last, which the largest time has not passed.
	last := w.recs[len(w.recs)-1].Time
	var closed []trending.Record
	for _, r := range w.recs {
		if r.Time < last.Truncate(time.Minute) {
			closed = append(closed, r)
		}
	}
	want := sortResults(naiveTrending(w, closed))
	if !slices.Equal(got, want) {
		t.Fatalf("output differs: %d lines, want %d\n%s", len(got), len(want), diff(got, want))
	}
}

// TestConsumerResharding reads a closed parent shard before its children,
// as Kinesis requires for order, and flushes the parent at its end.
func TestConsumerResharding(t *testing.T) {
	w := newWorkload(9, 900, 300*time.Millisecond)
	users := loadUsers(t, w)
	fk := &fakeKinesis{shards: []fakeShard{{id: "parent", closed: true}, {id: "child-a", parent: "parent"}, {id: "child-b", parent: "parent"}}}
	for i, r := range w.recs {
		switch {
		case i < 300:
			fk.append("parent", trending.AppendJSON(nil, r))
		case i%2 == 0:
			fk.append("child-a", trending.AppendJSON(nil, r))
		default:
			fk.append("child-b", trending.AppendJSON(nil, r))
		}
	}
	cfg := testConfig(t.TempDir(), users)
	cfg.Checkpoint = ""
	if got, want := drain(t, fk, cfg), sortResults(naiveTrending(w, w.recs)); !slices.Equal(got, want) {
		t.Fatalf("output differs: %d lines, want %d\n%s", len(got), len(want), diff(got, want))
	}
	dead, _ := os.ReadFile(cfg.Dead)
	if len(dead) != 0 {
		t.Fatalf("dead letters: %s", dead)
	}
}

func TestCheckpointErrors(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(dir, nil)
	fk := &fakeKinesis{shards: []fakeShard{{id: "a"}}}
	for name, data := range map[string][]byte{
		"garbage":   []byte("not a checkpoint"),
		"version":   append([]byte(checkpointMagic), checkpointVersion+1),
		"truncated": append([]byte(checkpointMagic), checkpointVersion, 5),
	} {
		t.Run(name, func(t *testing.T) {
			if err := os.WriteFile(cfg.Checkpoint, data, 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := New(fk, cfg); !errors.Is(err, ErrCheckpoint) {
				t.Fatalf("New: %v, want ErrCheckpoint", err)
			}
		})
	}
	t.Run("other stream", func(t *testing.T) {
		if err := writeCheckpoint(cfg.Checkpoint, &checkpoint{Stream: "other", Merge: []byte{mergeVersion, 0, 0}}); err != nil {
			t.Fatal(err)
		}
		if _, err := New(fk, cfg); !errors.Is(err, ErrCheckpoint) || !strings.Contains(err.Error(), "other") {
			t.Fatalf("New: %v, want ErrCheckpoint naming the stream", err)
		}
	})
}

func FuzzDecodeCheckpoint(f *testing.F) {
	buf := append([]byte(checkpointMagic), checkpointVersion)
	f.Add(buf)
	cp := checkpoint{Stream: "s", Shards: []shardCheckpoint{{ID: "a", Snapshot: []byte{1, 2}}}, Merge: []byte{1, 0, 0}, OutOffset: 10}
	dir := f.TempDir()
	if err := writeCheckpoint(filepath.Join(dir, "c"), &cp); err != nil {
		f.Fatal(err)
	}
	good, _ := os.ReadFile(filepath.Join(dir, "c"))
	f.Add(good)
	f.Fuzz(func(t *testing.T, data []byte) {
		cp, err := decodeCheckpoint(data)
		if err != nil {
			if !errors.Is(err, ErrCheckpoint) {
				t.Fatalf("error %v does not wrap ErrCheckpoint", err)
			}
			return
		}
		if cp.OutOffset < 0 || cp.DeadOffset < 0 {
			t.Fatal("negative offsets accepted")
		}
	})
}

// TestCheckpointOtherDelay accepts a checkpoint whose operator snapshots
// were taken with another allowed delay: Delay decides only about records
// not yet seen, so a redeploy that changes it keeps the state.
func TestCheckpointOtherDelay(t *testing.T) {
	w := newWorkload(2, 100, time.Second)
	fk := &fakeKinesis{shards: []fakeShard{{id: "a"}}}
	for _, r := range w.recs {
		fk.append("a", trending.AppendJSON(nil, r))
	}
	cfg := testConfig(t.TempDir(), loadUsers(t, w))
	cfg.Drain = true
	c, err := New(fk, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	cfg.Delay = 5 * time.Second
	if _, err := New(fk, cfg); err != nil {
		t.Fatalf("New with another delay: %v", err)
	}
}

// seqLess orders two sequence numbers, "" before any.
func seqLess(a, b string) bool {
	if a == "" || b == "" {
		return a == "" && b != ""
	}
	qa, errA := rk.ParseSeq(a)
	qb, errB := rk.ParseSeq(b)
	if errA != nil || errB != nil {
		panic(fmt.Sprintf("bad sequence numbers %q, %q", a, b))
	}
	return qa.Less(qb)
}
