package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rowtime/rowtime/examples/query/trending"
	"github.com/rowtime/rowtime/window"
)

// failingOp wraps a shard's operator with failures that move its state:
// each Push of a chosen event first reaches the operator, then fails, as a
// later stage of a composition would after an earlier one took the record.
type failingOp struct {
	partialOp
	transient map[string]bool // fail the first time only
	permanent map[string]bool // fail every time
	seen      map[string]int
}

var errInjected = errors.New("injected failure after the record was taken")

func (f *failingOp) Push(e trending.Event, emit func(window.Result[trending.Key, trending.State])) error {
	if err := f.partialOp.Push(e, emit); err != nil {
		return err
	}
	k := fmt.Sprint(e)
	f.seen[k]++
	if f.permanent[k] || f.transient[k] && f.seen[k] == 1 {
		return errInjected
	}
	return nil
}

// TestConsumerRestoresAndReplays checks that the consumer follows the error
// contract: a failure that moved the operator's state is undone by a restore
// and a replay, so nothing counts twice, and a record that fails again on
// replay goes to the dead letters, so its shard does not stall.
func TestConsumerRestoresAndReplays(t *testing.T) {
	w := newWorkload(5, 600, 150*time.Millisecond)
	users := loadUsers(t, w)
	fk := &fakeKinesis{shards: []fakeShard{{id: "shard-0"}, {id: "shard-1"}}}
	for i, r := range w.recs {
		fk.append(fmt.Sprintf("shard-%d", i%2), trending.AppendJSON(nil, r))
	}
	transient, permanent := map[string]bool{}, map[string]bool{}
	var keep []trending.Record
	for i, r := range w.recs {
		k := fmt.Sprint(trending.Join(users, r))
		switch i % 97 {
		case 13:
			transient[k] = true
		case 50:
			permanent[k] = true
			continue
		}
		keep = append(keep, r)
	}
	cfg := testConfig(t.TempDir(), users)
	cfg.Drain = true
	c, err := New(fk, cfg)
	if err != nil {
		t.Fatal(err)
	}
	var wrapped []*failingOp
	c.wrapOp = func(p partialOp) partialOp {
		f := &failingOp{partialOp: p, transient: transient, permanent: permanent, seen: map[string]int{}}
		wrapped = append(wrapped, f)
		return f
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := c.Run(ctx); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(cfg.Out)
	got := sortResults(parseResults(t, data))
	want := sortResults(naiveTrending(w, keep))
	if !slices.Equal(got, want) {
		t.Fatalf("output differs from the group-by of the records less the dead letters: %d lines, want %d\n%s", len(got), len(want), diff(got, want))
	}
	dead, _ := os.ReadFile(cfg.Dead)
	lines := strings.Split(strings.TrimSpace(string(dead)), "\n")
	if len(lines) != len(permanent) {
		t.Fatalf("%d dead letters, want %d:\n%s", len(lines), len(permanent), dead)
	}
	for _, l := range lines {
		if !strings.Contains(l, "failed again on replay") || !strings.Contains(l, `"sequence_number"`) {
			t.Errorf("dead letter %s does not say the replay failed again", l)
		}
	}
	fired := 0
	for _, f := range wrapped {
		for k, n := range f.seen {
			if transient[k] && n > 1 {
				fired++
			}
		}
	}
	if fired == 0 {
		t.Fatal("no transient failure was replayed")
	}
}
