package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/rowtime/rowtime/examples/internal/auction"
	"github.com/rowtime/rowtime/examples/internal/deadletter"
	"github.com/rowtime/rowtime/record"
)

// sumQuery is a small query for the handler's tests: the sum of v per key
// per 10-second window of t (Unix seconds), each window emitted when the
// largest t seen reaches its end. Payloads: {"t":12,"k":"a","v":3}.
// A payload with "fail":N fails the first N times it is pushed, before it
// is taken; one with "failafter":N is taken and then fails, the first N
// times, as a later stage failing after an earlier one took the record
// would: the state has moved.
type sumQuery struct {
	s     sumState
	fails map[string]int // shared between the queries of one test
}

type sumState struct {
	Max  int64
	Sums map[string]int64 // "start/key" -> sum
}

type sumRec struct {
	T    *int64 `json:"t"`
	K    string `json:"k"`
	V    int64  `json:"v"`
	Fail int    `json:"fail"`
	// FailAfter makes the first FailAfter pushes fail after taking it.
	FailAfter int `json:"failafter"`
}

var errTransient = errors.New("transient test failure")

func (q *sumQuery) Push(data []byte, emit func([]byte)) error {
	var r sumRec
	if err := json.Unmarshal(data, &r); err != nil {
		return fmt.Errorf("%w: %v", ErrBadRecord, err)
	}
	if r.T == nil {
		return fmt.Errorf("%w: no time field", ErrBadRecord)
	}
	if r.Fail > 0 && q.fails[string(data)] < r.Fail {
		q.fails[string(data)]++
		return errTransient
	}
	start := *r.T - ((*r.T%10)+10)%10
	if start+10 <= q.s.Max {
		return fmt.Errorf("%w: late", ErrBadRecord)
	}
	if q.s.Sums == nil {
		q.s.Sums = map[string]int64{}
	}
	q.s.Sums[fmt.Sprintf("%020d/%s", start, r.K)] += r.V
	q.s.Max = max(q.s.Max, *r.T)
	q.emitUpTo(q.s.Max, emit)
	if r.FailAfter > 0 && q.fails[string(data)] < r.FailAfter {
		q.fails[string(data)]++
		return errTransient
	}
	return nil
}

func (q *sumQuery) emitUpTo(wm int64, emit func([]byte)) {
	for _, k := range slices.Sorted(maps.Keys(q.s.Sums)) {
		var start int64
		var key string
		fmt.Sscanf(k, "%d/%s", &start, &key)
		if start+10 <= wm {
			emit(fmt.Appendf(nil, `{"start":%d,"key":%q,"sum":%d}`, start, key, q.s.Sums[k]))
			delete(q.s.Sums, k)
		}
	}
}

func (q *sumQuery) Flush(emit func([]byte)) error {
	q.emitUpTo(1<<62, emit)
	return nil
}

func (q *sumQuery) AppendSnapshot(dst []byte) ([]byte, error) {
	return record.AppendBinary(append(dst, 7), q.s)
}

func (q *sumQuery) Restore(data []byte) error {
	if len(data) == 0 || data[0] != 7 {
		return errors.New("sumQuery: bad snapshot")
	}
	var s sumState
	n, err := record.ReadBinary(data[1:], &s)
	if err != nil {
		return err
	}
	if n != len(data)-1 {
		return errors.New("sumQuery: trailing bytes")
	}
	q.s = s
	return nil
}

// memStore is a Store in memory that can be made to fail.
type memStore struct {
	m                  map[string][]byte
	failLoad, failSave bool
	loads, saves       int
}

func (s *memStore) Load(_ context.Context, key string) ([]byte, error) {
	s.loads++
	if s.failLoad {
		return nil, errors.New("store unavailable")
	}
	b, ok := s.m[key]
	if !ok {
		return nil, ErrNotFound
	}
	return bytes.Clone(b), nil
}

func (s *memStore) Save(_ context.Context, key string, data []byte) error {
	if s.failSave {
		return errors.New("store unavailable")
	}
	if s.m == nil {
		s.m = map[string][]byte{}
	}
	s.m[key] = bytes.Clone(data)
	s.saves++
	return nil
}

// memOutput keeps each named write; a repeated name replaces the lines.
type memOutput struct {
	m    map[string][]byte
	fail bool
	n    int // writes
}

func (o *memOutput) Write(_ context.Context, name string, lines []byte) error {
	if o.fail {
		return errors.New("output unavailable")
	}
	if o.m == nil {
		o.m = map[string][]byte{}
	}
	o.m[name] = bytes.Clone(lines)
	o.n++
	return nil
}

// lines returns every line written, in name order.
func (o *memOutput) lines() []string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(o.m)) {
		for l := range strings.Lines(string(o.m[k])) {
			out = append(out, strings.TrimSuffix(l, "\n"))
		}
	}
	return out
}

type env struct {
	store         *memStore
	results, dead *memOutput
	fails         map[string]int
}

func newEnv() *env {
	return &env{store: &memStore{}, results: &memOutput{}, dead: &memOutput{}, fails: map[string]int{}}
}

// handler returns a handler with a cold cache over e's store and outputs.
func (e *env) handler() *Handler {
	return &Handler{
		NewQuery:    func() (Query, error) { return &sumQuery{fails: e.fails}, nil },
		Store:       e.store,
		Results:     e.results,
		DeadLetters: e.dead,
	}
}

const testARN = "arn:aws:kinesis:us-east-1:123456789012:stream/test"

type rec struct {
	seq  int
	data string
}

func kinesisEvent(shard string, recs ...rec) events.KinesisEvent {
	var ev events.KinesisEvent
	for _, r := range recs {
		seq := fmt.Sprintf("4959%052d", r.seq)
		ev.Records = append(ev.Records, events.KinesisEventRecord{
			EventID:        shard + ":" + seq,
			EventSourceArn: testARN,
			EventSource:    "aws:kinesis",
			Kinesis:        events.KinesisRecord{SequenceNumber: seq, Data: []byte(r.data), PartitionKey: "p"},
		})
	}
	return ev
}

func seqOf(i int) string { return fmt.Sprintf("4959%052d", i) }

func payload(t int64, k string, v int64) string {
	return fmt.Sprintf(`{"t":%d,"k":%q,"v":%d}`, t, k, v)
}

// naiveSums is the oracle: the sum per (10-second window, key) of the
// payloads, every window whose end is at most wm.
func naiveSums(payloads []string, wm int64) []string {
	sums := map[[2]string]int64{}
	starts := map[[2]string]int64{}
	for _, p := range payloads {
		var r sumRec
		if json.Unmarshal([]byte(p), &r) != nil || r.T == nil {
			continue
		}
		start := *r.T - ((*r.T%10)+10)%10
		k := [2]string{fmt.Sprintf("%020d", start), r.K}
		sums[k] += r.V
		starts[k] = start
	}
	var out []string
	for k, s := range sums {
		if starts[k]+10 <= wm {
			out = append(out, fmt.Sprintf(`{"start":%d,"key":%q,"sum":%d}`, starts[k], k[1], s))
		}
	}
	sort.Strings(out)
	return out
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	sort.Strings(s)
	return s
}

func mustStream(t *testing.T, h *Handler, ev events.KinesisEvent) events.KinesisEventResponse {
	t.Helper()
	resp, err := h.HandleStream(context.Background(), ev)
	if err != nil {
		t.Fatalf("HandleStream: %v", err)
	}
	return resp
}

func failureIDs(f []events.KinesisBatchItemFailure) []string {
	var out []string
	for _, x := range f {
		out = append(out, x.ItemIdentifier)
	}
	return out
}

func TestStreamRedeliveryAndColdStart(t *testing.T) {
	e := newEnv()
	var all []string
	var batches []events.KinesisEvent
	seq := 0
	for b := range 6 {
		var recs []rec
		for i := range 5 {
			seq++
			p := payload(int64(b*7+i), string(rune('a'+i%3)), int64(seq))
			all = append(all, p)
			recs = append(recs, rec{seq, p})
		}
		batches = append(batches, kinesisEvent("shardId-000000000001", recs...))
	}
	h := e.handler()
	for i, ev := range batches {
		if resp := mustStream(t, h, ev); len(resp.BatchItemFailures) != 0 {
			t.Fatalf("batch %d: failures %v", i, failureIDs(resp.BatchItemFailures))
		}
		switch i {
		case 1: // the same batch again: at-least-once delivery
			mustStream(t, h, ev)
		case 2: // a cold start, then the batch again
			h = e.handler()
			mustStream(t, h, ev)
		case 3: // a batch that overlaps the previous one
			h = e.handler()
			over := kinesisEvent("shardId-000000000001")
			over.Records = append(slices.Clone(batches[2].Records[3:]), ev.Records[:2]...)
			mustStream(t, h, over)
		}
	}
	// One load per cold start (the first invocation and two restarts); warm
	// invocations use the state in memory. One save per batch with new
	// records.
	if e.store.loads != 3 || e.store.saves != 6 {
		t.Errorf("%d loads, %d saves; want 3 and 6", e.store.loads, e.store.saves)
	}
	got := sorted(e.results.lines())
	want := naiveSums(all, 5*7+4)
	if !slices.Equal(got, want) {
		t.Fatalf("results:\n got %v\nwant %v", got, want)
	}
	st, err := decodeState(e.store.m[testARN+"/shardId-000000000001"], e.handler().NewQuery)
	if err != nil {
		t.Fatal(err)
	}
	if st.Records != 30 || st.Duplicates != 5+5+2+2 || st.LastSeq != seqOf(30) {
		t.Errorf("state: records %d duplicates %d last %s", st.Records, st.Duplicates, st.LastSeq)
	}
}

func TestStreamDeadLetters(t *testing.T) {
	e := newEnv()
	h := e.handler()
	ev := kinesisEvent("shardId-000000000000",
		rec{1, payload(1, "a", 1)},
		rec{2, `not json`},
		rec{3, `{"k":"a","v":5}`},
		rec{4, payload(12, "a", 2)},
		rec{5, payload(3, "a", 100)}, // late: window [0,10) closed at t=12
		rec{6, payload(25, "b", 4)},
	)
	resp := mustStream(t, h, ev)
	if len(resp.BatchItemFailures) != 0 {
		t.Fatalf("dead letters must not be retried: failures %v", failureIDs(resp.BatchItemFailures))
	}
	dead := e.dead.lines()
	if len(dead) != 3 {
		t.Fatalf("dead letters: %v", dead)
	}
	for i, want := range []struct{ seq, err, data string }{
		{seqOf(2), "invalid character", "not json"},
		{seqOf(3), "no time field", `{"k":"a","v":5}`},
		{seqOf(5), "late", payload(3, "a", 100)},
	} {
		var d deadletter.Entry
		if err := json.Unmarshal([]byte(dead[i]), &d); err != nil {
			t.Fatal(err)
		}
		if d.Shard != "shardId-000000000000" || d.SequenceNumber != want.seq || !strings.Contains(d.Error, want.err) || string(d.Data) != want.data {
			t.Errorf("dead letter %d = %+v, want seq %s, error containing %q", i, d, want.seq, want.err)
		}
	}
	got := e.results.lines()
	want := []string{`{"start":0,"key":"a","sum":1}`, `{"start":10,"key":"a","sum":2}`}
	if !slices.Equal(got, want) {
		t.Errorf("results %v, want %v", got, want)
	}
	if st := h.cache[testARN+"/shardId-000000000000"]; st.DeadLetters != 3 || st.Records != 6 {
		t.Errorf("dead letters %d, records %d", st.DeadLetters, st.Records)
	}
}

func TestStreamTransientFailures(t *testing.T) {
	const shard = "shardId-000000000002"
	key := testARN + "/" + shard
	batch1 := kinesisEvent(shard, rec{1, payload(1, "a", 1)}, rec{2, payload(11, "a", 2)})
	batch2 := kinesisEvent(shard, rec{3, payload(12, "b", 3)}, rec{4, payload(21, "a", 4)}, rec{5, payload(33, "a", 5)})
	all := []string{payload(1, "a", 1), payload(11, "a", 2), payload(12, "b", 3), payload(21, "a", 4), payload(33, "a", 5)}
	want := naiveSums(all, 33)

	t.Run("save fails", func(t *testing.T) {
		e := newEnv()
		h := e.handler()
		mustStream(t, h, batch1)
		e.store.failSave = true
		resp := mustStream(t, h, batch2)
		if got := failureIDs(resp.BatchItemFailures); !slices.Equal(got, []string{seqOf(3), seqOf(4), seqOf(5)}) {
			t.Fatalf("failures %v, want the whole batch", got)
		}
		e.store.failSave = false
		if resp := mustStream(t, h, batch2); len(resp.BatchItemFailures) != 0 {
			t.Fatalf("retry failed: %v", failureIDs(resp.BatchItemFailures))
		}
		if got := sorted(e.results.lines()); !slices.Equal(got, want) {
			t.Fatalf("results %v, want %v", got, want)
		}
	})
	t.Run("load fails", func(t *testing.T) {
		e := newEnv()
		mustStream(t, e.handler(), batch1)
		e.store.failLoad = true
		h := e.handler()
		resp := mustStream(t, h, batch2)
		if got := failureIDs(resp.BatchItemFailures); !slices.Equal(got, []string{seqOf(3), seqOf(4), seqOf(5)}) {
			t.Fatalf("failures %v", got)
		}
		e.store.failLoad = false
		mustStream(t, h, batch2)
		if got := sorted(e.results.lines()); !slices.Equal(got, want) {
			t.Fatalf("results %v, want %v", got, want)
		}
	})
	t.Run("output fails", func(t *testing.T) {
		e := newEnv()
		h := e.handler()
		mustStream(t, h, batch1)
		e.results.fail = true
		resp := mustStream(t, h, batch2)
		if got := failureIDs(resp.BatchItemFailures); !slices.Equal(got, []string{seqOf(5)}) {
			t.Fatalf("failures %v, want the last record, to be redelivered", got)
		}
		e.results.fail = false
		// A cold start: the outbox comes back from the store.
		h = e.handler()
		redelivered := events.KinesisEvent{Records: batch2.Records[2:]}
		if resp := mustStream(t, h, redelivered); len(resp.BatchItemFailures) != 0 {
			t.Fatalf("failures %v", failureIDs(resp.BatchItemFailures))
		}
		if got := sorted(e.results.lines()); !slices.Equal(got, want) {
			t.Fatalf("results %v, want %v", got, want)
		}
	})
	t.Run("push fails", func(t *testing.T) {
		// A failure the replay does not meet again: restored and
		// replayed within the invocation, nothing doubled or lost.
		for _, flaky := range []string{`{"t":12,"k":"b","v":3,"fail":1}`, `{"t":12,"k":"b","v":3,"failafter":1}`} {
			e := newEnv()
			h := e.handler()
			b := kinesisEvent(shard, rec{1, payload(1, "a", 1)}, rec{2, payload(11, "a", 2)}, rec{3, flaky}, rec{4, payload(21, "a", 4)})
			resp := mustStream(t, h, b)
			if got := failureIDs(resp.BatchItemFailures); len(got) != 0 {
				t.Fatalf("%s: failures %v, want none: the replay succeeds", flaky, got)
			}
			w := naiveSums([]string{payload(1, "a", 1), payload(11, "a", 2), flaky, payload(21, "a", 4)}, 21)
			if got := sorted(e.results.lines()); !slices.Equal(got, w) {
				t.Fatalf("%s: results %v, want %v", flaky, got, w)
			}
			if d := e.dead.lines(); len(d) != 0 {
				t.Fatalf("%s: dead letters %v, want none", flaky, d)
			}
		}
	})
	t.Run("push fails after redelivered records", func(t *testing.T) {
		// The replay starts at the first new record: redelivered ones
		// before it are counted once.
		e := newEnv()
		h := e.handler()
		mustStream(t, h, kinesisEvent(shard, rec{1, payload(1, "a", 1)}, rec{2, payload(11, "a", 2)}))
		flaky := `{"t":12,"k":"b","v":3,"failafter":1}`
		b := kinesisEvent(shard, rec{1, payload(1, "a", 1)}, rec{2, payload(11, "a", 2)}, rec{3, flaky}, rec{4, payload(21, "a", 4)})
		if resp := mustStream(t, h, b); len(resp.BatchItemFailures) != 0 {
			t.Fatalf("failures %v", failureIDs(resp.BatchItemFailures))
		}
		st := h.cache[key]
		if st == nil || st.Duplicates != 2 || st.Records != 4 {
			t.Fatalf("state %+v, want 2 duplicates and 4 records", st)
		}
		w := naiveSums([]string{payload(1, "a", 1), payload(11, "a", 2), flaky, payload(21, "a", 4)}, 21)
		if got := sorted(e.results.lines()); !slices.Equal(got, w) {
			t.Fatalf("results %v, want %v", got, w)
		}
	})
	t.Run("push fails again on replay", func(t *testing.T) {
		// A failure the replay meets again: the record goes to the
		// dead letters, its effect undone, and the shard goes on.
		for _, bad := range []string{`{"t":12,"k":"b","v":3,"fail":9}`, `{"t":12,"k":"b","v":3,"failafter":9}`} {
			e := newEnv()
			h := e.handler()
			b := kinesisEvent(shard, rec{1, payload(1, "a", 1)}, rec{2, payload(11, "a", 2)}, rec{3, bad}, rec{4, payload(21, "a", 4)})
			resp := mustStream(t, h, b)
			if got := failureIDs(resp.BatchItemFailures); len(got) != 0 {
				t.Fatalf("%s: failures %v, want none", bad, got)
			}
			w := naiveSums([]string{payload(1, "a", 1), payload(11, "a", 2), payload(21, "a", 4)}, 21)
			if got := sorted(e.results.lines()); !slices.Equal(got, w) {
				t.Fatalf("%s: results %v, want %v", bad, got, w)
			}
			d := e.dead.lines()
			if len(d) != 1 || !strings.Contains(d[0], "failed again on replay") || !strings.Contains(d[0], seqOf(3)) {
				t.Fatalf("%s: dead letters %v, want record 3's, failed again on replay", bad, d)
			}
		}
	})
	t.Run("deadline", func(t *testing.T) {
		e := newEnv()
		h := e.handler()
		h.Reserve = time.Hour
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		resp, _ := h.HandleStream(ctx, batch1)
		if got := failureIDs(resp.BatchItemFailures); !slices.Equal(got, []string{seqOf(1), seqOf(2)}) {
			t.Fatalf("failures %v, want all: no time to take any", got)
		}
		if _, ok := e.store.m[key]; ok {
			t.Fatal("state saved for a batch that took nothing")
		}
	})
	t.Run("corrupt state", func(t *testing.T) {
		e := newEnv()
		mustStream(t, e.handler(), batch1)
		saved := bytes.Clone(e.store.m[key])
		for _, bad := range [][]byte{
			saved[:len(saved)-1],
			append(bytes.Clone(saved), 0),
			[]byte("other"),
			append([]byte(stateMagic), stateVersion+1),
		} {
			e.store.m[key] = bad
			resp := mustStream(t, e.handler(), batch2)
			if got := failureIDs(resp.BatchItemFailures); len(got) != 3 {
				t.Fatalf("failures %v, want the whole batch", got)
			}
			if !bytes.Equal(e.store.m[key], bad) {
				t.Fatal("unreadable state was overwritten")
			}
		}
	})
}

func TestFileStoreAndDirOutput(t *testing.T) {
	dir := t.TempDir()
	s := FileStore{Dir: filepath.Join(dir, "state")}
	ctx := context.Background()
	if _, err := s.Load(ctx, "arn:x/shardId-1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Load of a missing key: %v, want ErrNotFound", err)
	}
	for _, k := range []string{"arn:x/shardId-1", "arn_x/shardId-1", "arn:x_2fshardId-1"} {
		if err := s.Save(ctx, k, []byte(k)); err != nil {
			t.Fatal(err)
		}
	}
	for _, k := range []string{"arn:x/shardId-1", "arn_x/shardId-1", "arn:x_2fshardId-1"} {
		b, err := s.Load(ctx, k)
		if err != nil || string(b) != k {
			t.Fatalf("Load(%q) = %q, %v", k, b, err)
		}
	}
	o := DirOutput{Dir: filepath.Join(dir, "out")}
	if err := o.Write(ctx, "a", []byte("1\n")); err != nil {
		t.Fatal(err)
	}
	if err := o.Write(ctx, "a", []byte("1\n")); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "out", "*"))
	if len(files) != 1 {
		t.Fatalf("files %v: a repeated write must replace, and leave no temporary files", files)
	}
	if b, _ := os.ReadFile(files[0]); string(b) != "1\n" {
		t.Fatalf("content %q", b)
	}
}

// FuzzDecodeState checks that no bytes make decodeState panic, that what
// it accepts encodes back to bytes it accepts, and that errors wrap
// ErrState.
func FuzzDecodeState(f *testing.F) {
	e := newEnv()
	h := e.handler()
	mustStreamF(f, h, kinesisEvent("shardId-000000000000", rec{1, payload(1, "a", 1)}, rec{2, `bad`}, rec{3, payload(12, "b", 2)}))
	for _, b := range e.store.m {
		f.Add(b)
	}
	f.Add([]byte(stateMagic))
	f.Fuzz(func(t *testing.T, data []byte) {
		st, err := decodeState(data, func() (Query, error) { return &sumQuery{}, nil })
		if err != nil {
			if !errors.Is(err, ErrState) {
				t.Fatalf("error %v does not wrap ErrState", err)
			}
			return
		}
		again, err := st.encode()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := decodeState(again, func() (Query, error) { return &sumQuery{}, nil }); err != nil {
			t.Fatalf("re-encoded state does not decode: %v", err)
		}
	})
}

func mustStreamF(f *testing.F, h *Handler, ev events.KinesisEvent) {
	if _, err := h.HandleStream(context.Background(), ev); err != nil {
		f.Fatal(err)
	}
}

// TestStateOfOtherParameters saves the state of the auction query with one
// allowed delay and loads it into a function configured with another: the
// snapshot is read, since Delay decides only about records not yet seen.
func TestStateOfOtherParameters(t *testing.T) {
	e := newEnv()
	h := e.handler()
	h.NewQuery = func() (Query, error) { return newAuctionQuery(0) }
	bid := `{"Block":1,"Bidder":"0xa","Amount":5,"EventTimestamp":1769472000}`
	mustStream(t, h, kinesisEvent("shardId-000000000000", rec{1, bid}))
	key := testARN + "/shardId-000000000000"
	saved := bytes.Clone(e.store.m[key])

	// Another Delay decides only about records not yet seen: the state
	// saved under the old one is read and the batch goes through.
	h2 := e.handler()
	h2.NewQuery = func() (Query, error) { return newAuctionQuery(5 * time.Second) }
	resp := mustStream(t, h2, kinesisEvent("shardId-000000000000", rec{2, bid}))
	if got := failureIDs(resp.BatchItemFailures); len(got) != 0 {
		t.Fatalf("failures %v, want none", got)
	}
	if bytes.Equal(e.store.m[key], saved) {
		t.Fatal("the state was not updated")
	}
	if _, err := decodeState(saved, h2.NewQuery); err != nil {
		t.Fatalf("decodeState: %v", err)
	}
}

// TestColdStartAtEveryBatch runs the auction query over the same batches
// twice: once warm, once with a cold start (state restored from the store)
// before every batch. The outputs must be identical, line for line.
func TestColdStartAtEveryBatch(t *testing.T) {
	bids := auction.Generate(5, 600)
	var recs []rec
	for i, b := range bids {
		recs = append(recs, rec{i + 1, string(auction.AppendJSON(nil, b))})
	}
	run := func(cold bool) []string {
		e := newEnv()
		mk := func() *Handler {
			h := e.handler()
			h.NewQuery = func() (Query, error) { return newAuctionQuery(0) }
			return h
		}
		h := mk()
		rng := rand.New(rand.NewPCG(1, 2))
		for i := 0; i < len(recs); {
			n := 1 + rng.IntN(40)
			if cold {
				h = mk()
			}
			resp := mustStream(t, h, kinesisEvent("shardId-000000000000", recs[i:min(i+n, len(recs))]...))
			if len(resp.BatchItemFailures) != 0 {
				t.Fatalf("failures %v", failureIDs(resp.BatchItemFailures))
			}
			i += n
		}
		return e.results.lines()
	}
	warm, cold := run(false), run(true)
	if len(warm) == 0 || !slices.Equal(warm, cold) {
		t.Fatalf("warm and cold runs differ: %d and %d lines", len(warm), len(cold))
	}
}
