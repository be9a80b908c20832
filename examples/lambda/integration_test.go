package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/rowtime/rowtime/examples/internal/testenv"
	"github.com/rowtime/rowtime/examples/query/auction"
	"github.com/rowtime/rowtime/record"
	"github.com/rowtime/rowtime/record/kinesis"
)

const testARN = "arn:aws:kinesis:us-east-1:123456789012:stream/test"

// TestEmulator builds the function, runs it under the Lambda Runtime
// Interface Emulator and invokes it over HTTP as Lambda would: batches of
// one shard, one of them redelivered whole and one in part, two records that
// can never be processed, and two restarts of the emulator (cold starts that
// restore the state from the file store); then time-window invocations of a
// second shard, carrying their state map. The results must equal a naive
// group-by over the same records.
func TestEmulator(t *testing.T) {
	dir := t.TempDir()
	t0 := time.Now()
	bootstrap := testenv.Build(t, ".", dir, "bootstrap")
	t.Logf("built the function in %v", time.Since(t0))
	outDir := filepath.Join(dir, "out")
	deadDir := filepath.Join(dir, "dead")
	emu := testenv.StartEmulator(t, bootstrap,
		"ROWTIME_STATE_DIR="+filepath.Join(dir, "state"),
		"ROWTIME_OUTPUT_DIR="+outDir,
		"ROWTIME_DEADLETTER_DIR="+deadDir,
	)
	t.Logf("emulator ready after %v", time.Since(t0))
	defer func() { t.Logf("done after %v", time.Since(t0)) }()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Second)
	defer cancel()

	bids := auction.Generate(42, 1200)
	const shard = "shardId-000000000000"
	var payloads [][]byte
	for _, b := range bids {
		payloads = append(payloads, auction.AppendJSON(nil, b))
	}
	// Two records that can never be processed, among the others.
	bad := map[int][]byte{
		300: []byte(`{"Block":1,"Bidder":"0xdead"`),
		301: []byte(`{"Block":1,"Bidder":"0xdead","Amount":5}`),
	}
	var recs []events.KinesisEventRecord
	for i := range len(payloads) + len(bad) {
		var data []byte
		if b, ok := bad[i]; ok {
			data = b
		} else {
			data, payloads = payloads[0], payloads[1:]
		}
		seq := fmt.Sprintf("49%054d", 1000+7*i)
		recs = append(recs, events.KinesisEventRecord{
			EventID: shard + ":" + seq, EventSource: "aws:kinesis", EventSourceArn: testARN, AwsRegion: "us-east-1",
			Kinesis: events.KinesisRecord{SequenceNumber: seq, Data: data, PartitionKey: "auction"},
		})
	}

	invoke := func(ev any) []byte {
		t.Helper()
		payload, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		out, err := emu.Invoke(ctx, payload)
		if err != nil {
			t.Fatalf("%v\nemulator output:\n%s", err, emu.Output())
		}
		return out
	}
	stream := func(rs []events.KinesisEventRecord) {
		t.Helper()
		out := invoke(events.KinesisEvent{Records: rs})
		var resp events.KinesisEventResponse
		if err := json.Unmarshal(out, &resp); err != nil {
			t.Fatalf("response %s: %v", out, err)
		}
		if n := len(resp.BatchItemFailures); n != 0 {
			t.Fatalf("%d batch item failures, from %s\nemulator output:\n%s", n, resp.BatchItemFailures[0].ItemIdentifier, emu.Output())
		}
	}

	const size = 150
	for i := 0; i*size < len(recs); i++ {
		batch := recs[i*size : min((i+1)*size, len(recs))]
		stream(batch)
		switch i {
		case 1:
			stream(batch) // redelivered whole
		case 2:
			emu.Restart()
			// Redelivered in part, with new records after, after a
			// cold start.
			stream(recs[(i+1)*size-40 : (i+1)*size+20])
		case 5:
			emu.Restart()
		}
	}

	// The oracle: every window whose end the watermark (the largest event
	// time, no delay) has reached.
	wm := bids[len(bids)-1].Time
	got := readLines(t, outDir)
	want := naiveAuction(bids, wm)
	if !slices.Equal(got, want) {
		t.Errorf("results differ from the naive group-by: %d lines, want %d\n%s", len(got), len(want), diffLines(got, want))
	}
	dead := readLines(t, deadDir)
	if len(dead) != len(bad) {
		t.Fatalf("%d dead letters, want %d; the first:\n%s", len(dead), len(bad), strings.Join(dead[:min(len(dead), 3)], "\n"))
	}
	for i, line := range dead {
		var d kinesis.DeadLetter
		if err := json.Unmarshal([]byte(line), &d); err != nil {
			t.Fatal(err)
		}
		idx := 300 + i
		if d.Shard != shard || d.SequenceNumber != recs[idx].Kinesis.SequenceNumber || !bytes.Equal(d.Data, bad[idx]) || !strings.Contains(d.Error, "auction: cannot decode bid") {
			t.Errorf("dead letter %s, want record %d", line, idx)
		}
	}

	t.Run("time windows", func(t *testing.T) {
		// Lambda's own tumbling windows on a second shard: the state
		// travels in the event, the results come at the final invocation.
		const shard2 = "shardId-000000000001"
		start := time.Date(2026, 1, 27, 0, 0, 0, 0, time.UTC)
		window := func(state map[string]string, final bool, rs []events.KinesisEventRecord) map[string]string {
			t.Helper()
			ev := events.KinesisTimeWindowEvent{KinesisEvent: events.KinesisEvent{Records: rs}}
			ev.ShardID, ev.EventSourceARN = shard2, testARN
			ev.Window.Start.Time, ev.Window.End.Time = start, start.Add(15*time.Minute)
			ev.State, ev.IsFinalInvokeForWindow = state, final
			var resp events.KinesisTimeWindowEventResponse
			if out := invoke(ev); json.Unmarshal(out, &resp) != nil || len(resp.BatchItemFailures) != 0 {
				t.Fatalf("response %s", out)
			}
			return resp.State
		}
		before := readNames(t, outDir)
		shardRecs := make([]events.KinesisEventRecord, 0, 400)
		for i, r := range recs[:400] {
			if _, isBad := bad[i]; isBad {
				continue
			}
			r.EventID = shard2 + ":" + r.Kinesis.SequenceNumber
			shardRecs = append(shardRecs, r)
		}
		var state map[string]string
		for i := 0; i*100 < len(shardRecs); i++ {
			b := shardRecs[i*100 : min((i+1)*100, len(shardRecs))]
			next := window(state, false, b)
			if i == 1 {
				window(state, false, b) // a retry with the same state
				emu.Restart()
			}
			state = next
		}
		if len(state) == 0 {
			t.Fatal("no state returned")
		}
		if final := window(state, true, nil); len(final) != 0 {
			t.Fatalf("final state %v", final)
		}
		var got []string
		for _, name := range readNames(t, outDir) {
			if !slices.Contains(before, name) {
				got = append(got, linesOf(t, filepath.Join(outDir, name))...)
			}
		}
		slices.Sort(got)
		want := naiveAuction(bids[:len(shardRecs)], record.MaxTime)
		if !slices.Equal(got, want) {
			t.Errorf("time-window results differ from the naive group-by:\n%s", diffLines(got, want))
		}
	})
}

// naiveAuction computes the auction results by brute force: spend per block
// per 15-second window and distinct bidders per 10-second window, for the
// windows that end at or before wm, as sorted JSON lines.
func naiveAuction(bids []auction.Record, wm record.Time) []string {
	type spendKey struct {
		start record.Time
		block int64
	}
	spend := map[spendKey]int64{}
	bidders := map[record.Time]map[string]bool{}
	for _, b := range bids {
		s := b.Time.Truncate(auction.SpendWindow)
		spend[spendKey{s, b.Value.Block}] += b.Value.Amount
		d := b.Time.Truncate(auction.BiddersWindow)
		if bidders[d] == nil {
			bidders[d] = map[string]bool{}
		}
		bidders[d][b.Value.Bidder] = true
	}
	ts := func(t record.Time) string { return time.Unix(0, int64(t)).UTC().Format(time.RFC3339Nano) }
	var out []string
	for k, v := range spend {
		if end := k.start + record.Time(auction.SpendWindow); end <= wm {
			out = append(out, fmt.Sprintf(`{"stream":%q,"window_start":%q,"window_end":%q,"block":%d,"spend":%d}`,
				auction.SpendStream, ts(k.start), ts(end), k.block, v))
		}
	}
	for s, set := range bidders {
		if end := s + record.Time(auction.BiddersWindow); end <= wm {
			out = append(out, fmt.Sprintf(`{"stream":%q,"window_start":%q,"window_end":%q,"NUMBER_OF_DISTINCT_ITEMS":%d}`,
				auction.BiddersStream, ts(s), ts(end), len(set)))
		}
	}
	slices.Sort(out)
	return out
}

func readNames(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		if !e.IsDir() {
			names = append(names, e.Name())
		}
	}
	return names
}

func linesOf(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for l := range strings.Lines(string(b)) {
		out = append(out, strings.TrimSuffix(l, "\n"))
	}
	return out
}

// readLines returns the lines of every file in dir, sorted.
func readLines(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	for _, n := range readNames(t, dir) {
		out = append(out, linesOf(t, filepath.Join(dir, n))...)
	}
	slices.Sort(out)
	return out
}

// diffLines shows the first few lines only one side has, and repeated ones.
func diffLines(got, want []string) string {
	count := func(s []string) map[string]int {
		m := map[string]int{}
		for _, x := range s {
			m[x]++
		}
		return m
	}
	g, w := count(got), count(want)
	var b strings.Builder
	n := 0
	for _, k := range slices.Sorted(maps.Keys(g)) {
		if g[k] != w[k] && n < 10 {
			fmt.Fprintf(&b, "got %d×, want %d×: %s\n", g[k], w[k], k)
			n++
		}
	}
	for _, k := range slices.Sorted(maps.Keys(w)) {
		if g[k] == 0 && n < 20 {
			fmt.Fprintf(&b, "missing: %s\n", k)
			n++
		}
	}
	return b.String()
}
