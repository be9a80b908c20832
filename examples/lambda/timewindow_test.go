package main

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// windowEvent is a time-window invocation of shard with state.
func windowEvent(shard string, start time.Time, state map[string]string, final bool, recs ...rec) events.KinesisTimeWindowEvent {
	ev := events.KinesisTimeWindowEvent{KinesisEvent: kinesisEvent(shard, recs...)}
	ev.ShardID = shard
	ev.EventSourceARN = testARN
	ev.Window.Start.Time = start
	ev.Window.End.Time = start.Add(15 * time.Minute)
	ev.State = state
	ev.IsFinalInvokeForWindow = final
	return ev
}

// invokeJSON sends ev through Invoke as Lambda would, as JSON, and decodes
// the response.
func invokeJSON(t *testing.T, h *Handler, ev any) (events.KinesisTimeWindowEventResponse, error) {
	t.Helper()
	payload, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	out, err := h.Invoke(context.Background(), payload)
	if err != nil {
		return events.KinesisTimeWindowEventResponse{}, err
	}
	b, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	var resp events.KinesisTimeWindowEventResponse
	if err := json.Unmarshal(b, &resp); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"state":`) {
		t.Fatalf("response %s has no state property: Lambda would count the invocation as failed", b)
	}
	return resp, nil
}

func TestWindowInvocations(t *testing.T) {
	const shard = "shardId-000000000003"
	start := time.Date(2026, 11, 26, 14, 0, 0, 0, time.UTC)
	var all []string
	var batches [][]rec
	seq := 0
	for b := range 5 {
		var recs []rec
		for i := range 4 {
			seq++
			p := payload(int64(b*6+i), string(rune('a'+i%2)), int64(seq))
			all = append(all, p)
			recs = append(recs, rec{seq, p})
		}
		batches = append(batches, recs)
	}
	for _, c := range []struct {
		name  string
		limit int // WindowStateLimit: 1 spills every state to the store
	}{{"inline", 0}, {"spilled", 1}} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv()
			h := e.handler()
			h.WindowStateLimit = c.limit
			var state map[string]string
			for i, b := range batches {
				resp, err := invokeJSON(t, h, windowEvent(shard, start, state, false, b...))
				if err != nil || len(resp.BatchItemFailures) != 0 {
					t.Fatalf("batch %d: %v %v", i, err, resp.BatchItemFailures)
				}
				if resp.State[keyFormat] != windowFormat {
					t.Fatalf("state map %v", resp.State)
				}
				if _, ok := resp.State[keyRef]; ok != (c.limit == 1) {
					t.Fatalf("state map %v: spilled to the store = %v", resp.State, ok)
				}
				if i == 2 { // redelivered with the state that already holds it
					if _, err := invokeJSON(t, h, windowEvent(shard, start, resp.State, false, b...)); err != nil {
						t.Fatal(err)
					}
				}
				if i == 3 { // a retry with the state the batch was given
					if _, err := invokeJSON(t, h, windowEvent(shard, start, state, false, b...)); err != nil {
						t.Fatal(err)
					}
				}
				state = resp.State
			}
			resp, err := invokeJSON(t, h, windowEvent(shard, start, state, true))
			if err != nil {
				t.Fatal(err)
			}
			if len(resp.State) != 0 {
				t.Fatalf("final state %v, want empty", resp.State)
			}
			if got, want := sorted(e.results.lines()), naiveSums(all, 1<<62); !slices.Equal(got, want) {
				t.Fatalf("results\n got %v\nwant %v", got, want)
			}
		})
	}
}

func TestWindowOldFormatState(t *testing.T) {
	const shard = "shardId-000000000004"
	start := time.Unix(1_700_000_000, 0).UTC()
	for _, old := range []map[string]string{
		{"count": "5"},
		{keyFormat: "rowtime-lambda-window/0", keyState: "AAAA"},
	} {
		e := newEnv()
		h := e.handler()
		resp, err := invokeJSON(t, h, windowEvent(shard, start, old, false, rec{1, payload(1, "a", 1)}))
		if err != nil || len(resp.BatchItemFailures) != 0 {
			t.Fatalf("%v %v", err, resp.BatchItemFailures)
		}
		dead := e.dead.lines()
		if len(dead) != 1 {
			t.Fatalf("dead letters %v, want the old state map", dead)
		}
		var d struct {
			Error string            `json:"error"`
			State map[string]string `json:"state"`
		}
		if err := json.Unmarshal([]byte(dead[0]), &d); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(d.Error, ErrStateFormat.Error()) || !mapsEqual(d.State, old) {
			t.Fatalf("dead letter %s", dead[0])
		}
		if _, err := invokeJSON(t, h, windowEvent(shard, start, resp.State, true)); err != nil {
			t.Fatal(err)
		}
		if got := e.results.lines(); !slices.Equal(got, []string{`{"start":0,"key":"a","sum":1}`}) {
			t.Fatalf("results %v", got)
		}
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestWindowUnreadableState(t *testing.T) {
	const shard = "shardId-000000000005"
	start := time.Unix(1_700_000_000, 0).UTC()
	bad := map[string]string{keyFormat: windowFormat, keyState: "bm90IGEgc3RhdGU="}
	e := newEnv()
	h := e.handler()
	resp, err := invokeJSON(t, h, windowEvent(shard, start, bad, false, rec{1, payload(1, "a", 1)}, rec{2, payload(2, "a", 1)}))
	if err != nil {
		t.Fatal(err)
	}
	if !mapsEqual(resp.State, bad) || len(resp.BatchItemFailures) != 2 {
		t.Fatalf("want the state handed back and the batch retried: %+v", resp)
	}
	if _, err := invokeJSON(t, h, windowEvent(shard, start, bad, true)); !errors.Is(err, ErrState) {
		t.Fatalf("final invocation with unreadable state: %v, want ErrState", err)
	}
	if len(e.results.m) != 0 {
		t.Fatal("results written from unreadable state")
	}
}

func TestWindowTerminatedEarly(t *testing.T) {
	const shard = "shardId-000000000006"
	start := time.Unix(1_700_000_000, 0).UTC()
	e := newEnv()
	h := e.handler()
	r1, _ := invokeJSON(t, h, windowEvent(shard, start, nil, false, rec{1, payload(1, "a", 1)}, rec{2, payload(2, "b", 2)}))
	early := windowEvent(shard, start, r1.State, true)
	early.IsWindowTerminatedEarly = true
	r2, err := invokeJSON(t, h, early)
	if err != nil || len(r2.State) != 0 {
		t.Fatalf("%v %v", err, r2.State)
	}
	// The window goes on with fresh state.
	r3, _ := invokeJSON(t, h, windowEvent(shard, start, nil, false, rec{3, payload(3, "a", 4)}))
	if _, err := invokeJSON(t, h, windowEvent(shard, start, r3.State, true)); err != nil {
		t.Fatal(err)
	}
	got := e.results.lines()
	want := []string{`{"start":0,"key":"a","sum":1}`, `{"start":0,"key":"b","sum":2}`, `{"start":0,"key":"a","sum":4}`}
	if !slices.Equal(sorted(got), sorted(want)) || len(e.results.m) != 2 {
		t.Fatalf("results %v in %d writes, want the two parts of the window apart: %v", got, len(e.results.m), want)
	}
}

// FuzzWindowState feeds arbitrary state maps to a time-window invocation:
// the handler must answer (a state map, or an error it reports) and never
// panic; an unknown format must reach the dead-letter output.
func FuzzWindowState(f *testing.F) {
	f.Add(windowFormat, "", "")
	f.Add(windowFormat, "AAAA", "")
	f.Add("", "", "x")
	f.Add("rowtime-lambda-window/0", "AAAA", "")
	f.Add(windowFormat, "", "shard/window-0/1")
	f.Fuzz(func(t *testing.T, format, state, ref string) {
		m := map[string]string{}
		if format != "" {
			m[keyFormat] = format
		}
		if state != "" {
			m[keyState] = state
		}
		if ref != "" {
			m[keyRef] = ref
		}
		e := newEnv()
		h := e.handler()
		ev := windowEvent("shardId-000000000009", time.Unix(0, 0).UTC(), m, false, rec{1, payload(1, "a", 1)})
		resp, err := h.HandleWindow(context.Background(), ev)
		if err != nil {
			return // reported to Lambda, which retries
		}
		if len(m) > 0 && format != windowFormat && len(e.dead.m) != 1 {
			t.Fatalf("state map %v of an unknown format was not dead-lettered", m)
		}
		if len(resp.BatchItemFailures) == 0 && resp.State[keyFormat] != windowFormat {
			t.Fatalf("response state %v", resp.State)
		}
	})
}
