package kinesis

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/rowtime/rowtime/aggregate"
	"github.com/rowtime/rowtime/record"
	"github.com/rowtime/rowtime/window"
)

// memStore is a Store in memory that can be made to fail.
type memStore struct {
	m                  map[string][]byte
	v                  map[string]Version
	failLoad, failSave bool
	saves              int
}

func (s *memStore) Load(_ context.Context, key string) ([]byte, Version, error) {
	if s.failLoad {
		return nil, 0, errors.New("store unavailable")
	}
	b, ok := s.m[key]
	if !ok {
		return nil, 0, ErrNotFound
	}
	return bytes.Clone(b), s.v[key], nil
}

func (s *memStore) Save(_ context.Context, key string, data []byte, prev Version) (Version, error) {
	if s.failSave {
		return 0, errors.New("store unavailable")
	}
	if s.m == nil {
		s.m, s.v = map[string][]byte{}, map[string]Version{}
	}
	if s.v[key] != prev {
		return 0, ErrConflict
	}
	s.m[key] = bytes.Clone(data)
	s.v[key]++
	s.saves++
	return s.v[key], nil
}

type memOutput struct {
	m    map[string][]byte
	fail bool
	n    int
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

func (o *memOutput) lines() []string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(o.m)) {
		for l := range strings.Lines(string(o.m[k])) {
			out = append(out, strings.TrimSuffix(l, "\n"))
		}
	}
	slices.Sort(out)
	return out
}

// flaky fails downstream (not a refusal) for a bid of amount 666, every
// time, and for amount 777 the first time only; it refuses amount -1.
type flaky struct {
	*countOp
	once map[int64]bool
	late error
}

// newFlaky returns the count, late records refused.
func newFlaky(t testing.TB, once map[int64]bool) *flaky {
	f := &flaky{once: once}
	op, err := window.Aggregate(window.Step(10*time.Second), func(r record.Of[bid]) int64 { return r.Value.Block },
		aggregate.Count[record.Of[bid]](), &window.Options[record.Of[bid]]{Late: func(_ record.Of[bid], err error) { f.late = err }})
	if err != nil {
		t.Fatal(err)
	}
	f.countOp = op
	return f
}

func (f *flaky) Push(r record.Of[bid], emit func(window.Result[int64, int64])) error {
	switch a := r.Value.Amount; {
	case a == -1:
		return fmt.Errorf("negative: %w", record.ErrRefused)
	case a == 666:
		_ = f.countOp.Push(r, emit) // moves state, then fails
		return errors.New("downstream failed")
	case a == 777 && !f.once[r.Value.Block]:
		f.once[r.Value.Block] = true
		return errors.New("downstream failed once")
	}
	f.late = nil
	if err := f.countOp.Push(r, emit); err != nil {
		return err
	}
	if f.late != nil {
		return Refuse(f.late)
	}
	return nil
}

type henv struct {
	store         *memStore
	results, dead *memOutput
	metrics       bytes.Buffer
	log           bytes.Buffer
	once          map[int64]bool
	now           time.Time
}

func newHenv() *henv {
	return &henv{store: &memStore{}, results: &memOutput{}, dead: &memOutput{}, once: map[int64]bool{},
		now: time.Date(2023, 11, 14, 23, 0, 0, 0, time.UTC)}
}

func (e *henv) handler(t testing.TB) *Handler[bid, window.Result[int64, int64]] {
	h, err := NewHandler(NewJSON[bid](bidDecoder(t), nil),
		func() (record.Operator[record.Of[bid], window.Result[int64, int64]], error) {
			return newFlaky(t, e.once), nil
		},
		&HandlerOptions[window.Result[int64, int64]]{
			Store: e.store, Results: e.results, DeadLetters: e.dead, Metrics: &e.metrics, Log: &e.log,
			Ledger: LedgerOptions{Ordered: true, Name: "count"},
			Encode: func(dst []byte, r window.Result[int64, int64]) ([]byte, error) {
				return fmt.Appendf(dst, `{"start":%d,"block":%d,"count":%d}`, r.Start.Unix(), r.Key, r.Value), nil
			},
			Now: func() time.Time { return e.now },
		})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

const testARN = "arn:aws:kinesis:us-east-1:123456789012:stream/test"

func seqOf(i int) string { return fmt.Sprintf("4959%052d", i) }

// kev builds a Kinesis event of shard 0 from (index, payload) pairs.
func kev(first int, payloads ...string) events.KinesisEvent {
	var ev events.KinesisEvent
	for i, p := range payloads {
		seq := seqOf(first + i)
		ev.Records = append(ev.Records, events.KinesisEventRecord{
			EventID: "shardId-000000000000:" + seq, EventSourceArn: testARN,
			Kinesis: events.KinesisRecord{SequenceNumber: seq, Data: []byte(p), PartitionKey: "pk"},
		})
	}
	return ev
}

func bidAt(sec, block, amount int) string {
	return fmt.Sprintf(`{"ts":%d,"block":%d,"amount":%d}`, int64(1700000000+sec)*1000, block, amount)
}

// naive counts the bids per block per 10 s window that ends by wm.
func naive(payloads []string, wmSec int) []string {
	type k struct{ start, block int64 }
	m := map[k]int64{}
	for _, p := range payloads {
		var b struct{ Ts, Block int64 }
		json.Unmarshal([]byte(p), &b)
		s := b.Ts / 1000
		m[k{s - s%10, b.Block}]++
	}
	var out []string
	for key, n := range m {
		if key.start+10 <= int64(1700000000+wmSec) {
			out = append(out, fmt.Sprintf(`{"start":%d,"block":%d,"count":%d}`, key.start, key.block, n))
		}
	}
	slices.Sort(out)
	return out
}

func mustStream(t *testing.T, h *Handler[bid, window.Result[int64, int64]], ev events.KinesisEvent) events.KinesisEventResponse {
	t.Helper()
	resp, err := h.HandleStream(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func ids(f []events.KinesisBatchItemFailure) []string {
	var out []string
	for _, x := range f {
		out = append(out, x.ItemIdentifier)
	}
	return out
}

func TestHandlerRedeliveryAndColdStart(t *testing.T) {
	e := newHenv()
	var payloads []string
	for i := range 300 {
		payloads = append(payloads, bidAt(i/3, i%4, 1))
	}
	h := e.handler(t)
	for b := 0; b*50 < len(payloads); b++ {
		ev := kev(b*50, payloads[b*50:(b+1)*50]...)
		if r := mustStream(t, h, ev); len(r.BatchItemFailures) != 0 {
			t.Fatalf("batch %d: failures %v\n%s", b, ids(r.BatchItemFailures), e.log.String())
		}
		switch b {
		case 1:
			mustStream(t, h, ev) // redelivered whole
		case 2:
			h = e.handler(t) // a cold start
			mustStream(t, h, kev(b*50+30, payloads[b*50+30:(b+1)*50+10]...))
		case 4:
			h = e.handler(t)
			mustStream(t, h, kev(b*50-20, payloads[b*50-20:(b+1)*50]...))
		}
	}
	if got, want := e.results.lines(), naive(payloads, 99); !slices.Equal(got, want) {
		t.Fatalf("results differ:\n got %v\nwant %v", got, want)
	}
	if !strings.Contains(e.metrics.String(), `"Duplicates":50`) || !strings.Contains(e.metrics.String(), `"_aws":{"Timestamp":`) {
		t.Fatalf("metrics: %s", e.metrics.String())
	}
}

func TestHandlerDeadLetters(t *testing.T) {
	e := newHenv()
	h := e.handler(t)
	ev := kev(0, bidAt(0, 1, 1), `{"block":1}`, "not json", bidAt(1, 1, -1), bidAt(2, 1, 1),
		fmt.Sprintf(`{"ts":%d,"block":1}`, e.now.Add(2*time.Hour).UnixMilli()), bidAt(30, 1, 1), bidAt(3, 1, 1))
	if r := mustStream(t, h, ev); len(r.BatchItemFailures) != 0 {
		t.Fatalf("failures %v", ids(r.BatchItemFailures))
	}
	dead := e.dead.lines()
	if len(dead) != 5 {
		t.Fatalf("%d dead letters, want 5:\n%s", len(dead), strings.Join(dead, "\n"))
	}
	var reasons []string
	for _, l := range dead {
		var d DeadLetter
		if err := json.Unmarshal([]byte(l), &d); err != nil {
			t.Fatal(err)
		}
		reasons = append(reasons, d.Error)
	}
	all := strings.Join(reasons, "\n")
	for _, want := range []string{"missing time field", "not a JSON object", "refused", "too far ahead", "late"} {
		if !strings.Contains(all, want) {
			t.Errorf("no dead letter for %q:\n%s", want, all)
		}
	}
	// Redelivered: nothing is dead-lettered twice.
	mustStream(t, h, ev)
	mustStream(t, e.handler(t), ev)
	if n := len(e.dead.lines()); n != 5 {
		t.Fatalf("%d dead letters after redeliveries", n)
	}
	if !strings.Contains(e.metrics.String(), `"Late":1`) {
		t.Errorf("late not counted: %s\n%s", e.metrics.String(), e.log.String())
	}
}

func TestHandlerReplay(t *testing.T) {
	e := newHenv()
	h := e.handler(t)
	// 777 fails once downstream: the replay takes it. 666 fails every
	// time: it goes to the dead letters. Nothing is counted twice.
	payloads := []string{bidAt(0, 1, 1), bidAt(1, 1, 777), bidAt(2, 1, 666), bidAt(3, 1, 1), bidAt(20, 1, 1)}
	if r := mustStream(t, h, kev(0, payloads...)); len(r.BatchItemFailures) != 0 {
		t.Fatalf("failures %v", ids(r.BatchItemFailures))
	}
	if got := e.results.lines(); !slices.Equal(got, []string{`{"start":1700000000,"block":1,"count":3}`}) {
		t.Fatalf("results %v\n%s", got, e.log.String())
	}
	if d := e.dead.lines(); len(d) != 1 || !strings.Contains(d[0], "failed again on replay") {
		t.Fatalf("dead letters %v", d)
	}
}

func TestHandlerTransientFailures(t *testing.T) {
	batch1 := kev(0, bidAt(0, 1, 1), bidAt(1, 1, 1))
	batch2 := kev(2, bidAt(12, 1, 1), bidAt(13, 1, 1))
	t.Run("save fails", func(t *testing.T) {
		e := newHenv()
		h := e.handler(t)
		mustStream(t, h, batch1)
		e.store.failSave = true
		if r := mustStream(t, h, batch2); !slices.Equal(ids(r.BatchItemFailures), []string{seqOf(2), seqOf(3)}) {
			t.Fatalf("failures %v", ids(r.BatchItemFailures))
		}
		e.store.failSave = false
		mustStream(t, h, batch2)
		if got := e.results.lines(); !slices.Equal(got, []string{`{"start":1700000000,"block":1,"count":2}`}) {
			t.Fatalf("results %v", got)
		}
	})
	t.Run("load fails", func(t *testing.T) {
		e := newHenv()
		e.store.failLoad = true
		if r := mustStream(t, e.handler(t), batch1); len(r.BatchItemFailures) != 2 {
			t.Fatalf("failures %v", ids(r.BatchItemFailures))
		}
	})
	t.Run("conflict", func(t *testing.T) {
		e := newHenv()
		a, b := e.handler(t), e.handler(t) // two environments on one shard
		mustStream(t, a, batch1)
		mustStream(t, b, batch2) // b loads a's state and saves over it
		// a's warm copy is stale: its save conflicts, and it retries.
		r := mustStream(t, a, kev(4, bidAt(21, 1, 1)))
		if len(r.BatchItemFailures) != 1 || !strings.Contains(e.log.String(), "changed since it was read") {
			t.Fatalf("conflict: failures %v, log %s", ids(r.BatchItemFailures), e.log.String())
		}
		mustStream(t, a, kev(4, bidAt(21, 1, 1)))
		if got := e.results.lines(); !slices.Equal(got, []string{`{"start":1700000000,"block":1,"count":2}`, `{"start":1700000010,"block":1,"count":2}`}) {
			t.Fatalf("results %v", got)
		}
	})
	t.Run("output fails after the save", func(t *testing.T) {
		e := newHenv()
		h := e.handler(t)
		mustStream(t, h, batch1)
		e.results.fail = true
		if r := mustStream(t, h, batch2); !slices.Equal(ids(r.BatchItemFailures), []string{seqOf(3)}) {
			t.Fatalf("failures %v", ids(r.BatchItemFailures))
		}
		e.results.fail = false
		mustStream(t, e.handler(t), kev(3, bidAt(13, 1, 1))) // the redelivery writes the outbox
		if got := e.results.lines(); !slices.Equal(got, []string{`{"start":1700000000,"block":1,"count":2}`}) {
			t.Fatalf("results %v", got)
		}
	})
	t.Run("deadline", func(t *testing.T) {
		e := newHenv()
		h := e.handler(t)
		h.opts.Reserve = time.Hour // more than the invocation has
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		r, _ := h.HandleStream(ctx, batch1)
		// At least one record is taken; the other is reported.
		if !slices.Equal(ids(r.BatchItemFailures), []string{seqOf(1)}) {
			t.Fatalf("failures %v", ids(r.BatchItemFailures))
		}
	})
	t.Run("timeout below the default reserve", func(t *testing.T) {
		// A function timeout of 1 s, under the 2 s the reserve may reach:
		// the reserve adapts, and the batch is taken whole.
		e := newHenv()
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if r, _ := e.handler(t).HandleStream(ctx, batch1); len(r.BatchItemFailures) != 0 {
			t.Fatalf("failures %v", ids(r.BatchItemFailures))
		}
	})
	t.Run("state of another query", func(t *testing.T) {
		e := newHenv()
		mustStream(t, e.handler(t), batch1)
		h, _ := NewHandler(NewJSON[bid](bidDecoder(t), nil),
			func() (record.Operator[record.Of[bid], window.Result[int64, int64]], error) { return newCount(t), nil },
			&HandlerOptions[window.Result[int64, int64]]{Store: e.store, Results: e.results, Log: &e.log, NoMetrics: true,
				Ledger: LedgerOptions{Name: "other"}})
		before := bytes.Clone(e.store.m[testARN+"/shardId-000000000000"])
		if r := mustStream(t, h, batch2); len(r.BatchItemFailures) != 2 || !strings.Contains(e.log.String(), "other") {
			t.Fatalf("failures %v, log %s", ids(r.BatchItemFailures), e.log.String())
		}
		if !bytes.Equal(before, e.store.m[testARN+"/shardId-000000000000"]) {
			t.Fatal("the other query's state was overwritten")
		}
	})
	t.Run("corrupt state", func(t *testing.T) {
		e := newHenv()
		mustStream(t, e.handler(t), batch1)
		k := testARN + "/shardId-000000000000"
		e.store.m[k][len(e.store.m[k])/2] ^= 1
		if r := mustStream(t, e.handler(t), batch2); len(r.BatchItemFailures) != 2 || !strings.Contains(e.log.String(), "checksum") {
			t.Fatalf("failures %v, log %s", ids(r.BatchItemFailures), e.log.String())
		}
	})
}

func TestHandlerIdleProgress(t *testing.T) {
	e := newHenv()
	h := e.handler(t)
	ev := kev(0, bidAt(0, 1, 1))
	// Arrived just now: the shard is caught up, the clock closes the window.
	e.now = time.Unix(1700000000+30, 0)
	ev.Records[0].Kinesis.ApproximateArrivalTimestamp.Time = e.now.Add(-time.Second)
	mustStream(t, h, ev)
	if got := e.results.lines(); len(got) != 1 {
		t.Fatalf("caught up: results %v", got)
	}
	// A backfill (arrived long ago) does not advance by the clock.
	ev = kev(1, bidAt(40, 1, 1))
	ev.Records[0].Kinesis.ApproximateArrivalTimestamp.Time = e.now.Add(-time.Hour)
	e.now = e.now.Add(time.Hour)
	mustStream(t, h, ev)
	if got := e.results.lines(); len(got) != 1 {
		t.Fatalf("backfill: results %v", got)
	}
}

func TestHandlerWindows(t *testing.T) {
	e := newHenv()
	h := e.handler(t)
	start := time.Date(2026, 1, 27, 0, 0, 0, 0, time.UTC)
	win := func(state map[string]string, final bool, first int, payloads ...string) events.KinesisTimeWindowEventResponse {
		t.Helper()
		ev := events.KinesisTimeWindowEvent{KinesisEvent: kev(first, payloads...)}
		ev.ShardID, ev.EventSourceARN = "shardId-000000000000", testARN
		ev.Window.Start.Time, ev.Window.End.Time = start, start.Add(15*time.Minute)
		ev.State, ev.IsFinalInvokeForWindow = state, final
		payload, _ := json.Marshal(ev)
		out, err := h.Handle(context.Background(), payload)
		if err != nil {
			t.Fatal(err)
		}
		return out.(events.KinesisTimeWindowEventResponse)
	}
	r1 := win(nil, false, 0, bidAt(0, 1, 1), bidAt(1, 2, 1))
	r2 := win(r1.State, false, 2, bidAt(2, 1, 1), bidAt(15, 1, 1))
	win(r1.State, false, 2, bidAt(2, 1, 1), bidAt(15, 1, 1)) // a retry with the same state
	if len(r2.State) == 0 || r2.State[keyFormat] != windowFormat {
		t.Fatalf("state %v", r2.State)
	}
	fin := win(r2.State, true, 4)
	if len(fin.State) != 0 {
		t.Fatalf("final state %v", fin.State)
	}
	want := []string{`{"start":1700000000,"block":1,"count":2}`, `{"start":1700000000,"block":2,"count":1}`, `{"start":1700000010,"block":1,"count":1}`}
	if got := e.results.lines(); !slices.Equal(got, want) {
		t.Fatalf("results %v, want %v", got, want)
	}
	// Spilled to the Store above the limit.
	h.opts.WindowStateLimit = 10
	r := win(nil, false, 10, bidAt(100, 1, 1))
	if _, ok := r.State[keyRef]; !ok {
		t.Fatalf("no spill: %v", r.State)
	}
	if r := win(r.State, false, 11, bidAt(101, 1, 1)); len(r.BatchItemFailures) != 0 || r.State[keyRef] == "" {
		t.Fatalf("after a spill: %+v", r)
	}
	// A state map of an older format goes to the dead letters.
	old := map[string]string{"q": "AQID"}
	r = win(old, false, 20, bidAt(200, 1, 1))
	if len(r.BatchItemFailures) != 0 || len(e.dead.lines()) != 1 || !strings.Contains(e.dead.lines()[0], "AQID") {
		t.Fatalf("older state: %+v, dead %v", r, e.dead.lines())
	}
}

func TestHandlerKPLAndLogs(t *testing.T) {
	e := newHenv()
	h := e.handler(t)
	var data [][]byte
	var keys []string
	for i := range 20 {
		data = append(data, []byte(bidAt(i/2, 1, 1)))
		keys = append(keys, "k")
	}
	ev := kev(0, string(AppendAggregate(nil, keys, data)), bidAt(40, 1, 1))
	mustStream(t, h, ev)
	mustStream(t, h, ev)
	if got := e.results.lines(); !slices.Equal(got, []string{`{"start":1700000000,"block":1,"count":20}`}) {
		t.Fatalf("KPL results %v", got)
	}
	// A CloudWatch Logs subscription whose messages are bids.
	var evs []record.Of[LogEvent]
	for i := range 5 {
		evs = append(evs, record.Of[LogEvent]{Time: record.Time(1700000050+i) * 1e9, Value: LogEvent{ID: fmt.Sprint(i), Message: bidAt(50+i, 2, 1)}})
	}
	cw := kev(2, string(AppendLogsRecord(nil, "o", "g", "s", evs)), bidAt(70, 1, 1))
	mustStream(t, h, cw)
	mustStream(t, h, cw)
	if got := e.results.lines(); !slices.Contains(got, `{"start":1700000050,"block":2,"count":5}`) {
		t.Fatalf("CloudWatch Logs results %v", got)
	}
}
