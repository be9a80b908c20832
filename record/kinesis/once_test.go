package kinesis

import (
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rowtime/rowtime/aggregate"
	"github.com/rowtime/rowtime/record"
	"github.com/rowtime/rowtime/window"
)

type countOp = window.Agg[record.Of[bid], int64, int64]

func newCount(t testing.TB) *countOp {
	op, err := window.Aggregate(window.Step(10*time.Second), func(r record.Of[bid]) int64 { return r.Value.Block },
		aggregate.Count[record.Of[bid]](), nil)
	if err != nil {
		t.Fatal(err)
	}
	return op
}

type winKey struct {
	start record.Time
	block int64
}

// TestOnceRedeliveries runs a count over a shard delivered with
// redeliveries, overlaps, partial retries and crashes (a crash restores the
// last snapshot into a new Once), and compares the counts with a naive
// group-by over the shard's records taken once.
func TestOnceRedeliveries(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 2))
	j := NewJSON[bid](bidDecoder(t), nil)
	var shard []*Record
	cur, _ := ParseSeq("49590338271490256608559692538361571095921575989136588898")
	want := map[winKey]int64{}
	for i := range 600 {
		cur, _ = cur.add(Seq{lo: 1 + rng.Uint64N(1e9)})
		// Some records hold JSON lines: three records at once.
		n := 1 + rng.IntN(2)*2
		var lines []string
		for k := range n {
			idx := i*3 + k
			lines = append(lines, bidJSON(idx))
			ts := record.Time(1700000000000+idx) * 1e6
			want[winKey{ts.Truncate(10 * time.Second), int64(idx % 7)}]++
		}
		r := &Record{Data: []byte(strings.Join(lines, "\n")), Seq: cur, SequenceNumber: cur.String(), Shard: "shardId-000000000001"}
		shard = append(shard, r)
	}
	newOnce := func() *Once[record.Of[bid], window.Result[int64, int64]] {
		o, err := NewOnce[record.Of[bid], window.Result[int64, int64]](newCount(t), &LedgerOptions{Ordered: true, Window: 16, Name: "count"})
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	o := newOnce()
	got := map[winKey]int64{}
	var pending []window.Result[int64, int64] // emitted since the last save
	emit := func(r window.Result[int64, int64]) { pending = append(pending, r) }
	saved, err := o.AppendSnapshot(nil)
	if err != nil {
		t.Fatal(err)
	}
	dups := 0
	take := func(batch []*Record, stop int) {
		s := o.Shard("shardId-000000000001")
		for _, r := range batch[:stop] {
			for _, it := range j.AppendItems(nil, r) {
				if it.Err != nil {
					t.Fatal(it.Err)
				}
				taken, err := o.Push(s, it.Pos, it.Rec, emit)
				if err != nil {
					t.Fatal(err)
				}
				if !taken {
					dups++
				}
			}
		}
	}
	next := 0
	for next < len(shard) {
		b := shard[next:min(len(shard), next+1+rng.IntN(40))]
		switch rng.IntN(5) {
		case 0: // crash: restore the last save
			take(b, rng.IntN(len(b)+1))
			o = newOnce()
			if err := o.Restore(saved); err != nil {
				t.Fatal(err)
			}
			pending = nil
			continue
		case 1: // overlap with the past
			b = shard[max(0, next-rng.IntN(60)) : next+len(b)]
		}
		k := len(b)
		if rng.IntN(4) == 0 {
			k = rng.IntN(len(b) + 1)
		}
		take(b, k)
		if saved, err = o.AppendSnapshot(saved[:0]); err != nil {
			t.Fatal(err)
		}
		for _, r := range pending {
			got[winKey{r.Start, r.Key}] += r.Value
		}
		pending = nil
		// Lambda's checkpoint: after the last record of the batch taken.
		next = slices.Index(shard, b[0]) + k
	}
	if err := o.Flush(emit); err != nil {
		t.Fatal(err)
	}
	for _, r := range pending {
		got[winKey{r.Start, r.Key}] += r.Value
	}
	if !maps.Equal(got, want) {
		t.Fatalf("counts differ: %d windows, want %d", len(got), len(want))
	}
	if dups == 0 {
		t.Fatal("no duplicate was delivered")
	}
	t.Logf("%d duplicates skipped; snapshot %d bytes", dups, len(saved))
}

// refuser refuses records with a negative amount and fails on amount
// 666, with a snapshot of its count.
type refuser struct{ n int64 }

func (r *refuser) Push(in record.Of[bid], emit func(int64)) error {
	switch {
	case in.Value.Amount < 0:
		return fmt.Errorf("negative: %w", record.ErrRefused)
	case in.Value.Amount == 666:
		r.n += 1000 // moved state, then failed
		return errors.New("downstream failed")
	}
	r.n++
	emit(r.n)
	return nil
}
func (r *refuser) Advance(record.Time, func(int64)) error { return nil }
func (r *refuser) Flush(func(int64)) error                { return nil }
func (r *refuser) AppendSnapshot(dst []byte) ([]byte, error) {
	return fmt.Appendf(dst, "%d", r.n), nil
}
func (r *refuser) Restore(data []byte) error {
	_, err := fmt.Sscanf(string(data), "%d", &r.n)
	return err
}

func TestOnceRefusalAndFailure(t *testing.T) {
	op := &refuser{}
	o, err := NewOnce[record.Of[bid], int64](op, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := o.Shard("s")
	q := func(i uint64) Position { return Position{Seq: Seq{lo: i}} }
	if taken, err := o.Push(s, q(1), record.Of[bid]{Value: bid{Amount: 1}}, func(int64) {}); !taken || err != nil {
		t.Fatal(taken, err)
	}
	taken, err := o.Push(s, q(2), record.Of[bid]{Value: bid{Amount: -1}}, func(int64) {})
	if !taken || !record.IsRefused(err) {
		t.Fatalf("refused record: taken %v, err %v; want taken (a dead letter) with the refusal", taken, err)
	}
	if taken, err := o.Push(s, q(2), record.Of[bid]{Value: bid{Amount: -1}}, func(int64) {}); taken || err != nil {
		t.Fatalf("refused record again: %v %v, want a duplicate", taken, err)
	}
	snap, _ := o.AppendSnapshot(nil)
	taken, err = o.Push(s, q(3), record.Of[bid]{Value: bid{Amount: 666}}, func(int64) {})
	if taken || err == nil || record.IsRefused(err) {
		t.Fatalf("failure: taken %v, err %v", taken, err)
	}
	// Restore and replay: the record is not marked, so it is pushed again.
	if err := o.Restore(snap); err != nil {
		t.Fatal(err)
	}
	if op.n != 1 {
		t.Fatalf("restored count %d", op.n)
	}
	s = o.Shard("s")
	if seen, err := s.Seen(q(3)); seen || err != nil {
		t.Fatalf("failed record seen %v %v", seen, err)
	}
	if taken, err := o.Take(s, q(3)); !taken || err != nil {
		t.Fatal(taken, err)
	}
	if taken, _ := o.Take(s, q(3)); taken {
		t.Fatal("taken twice")
	}
}

func TestOnceSnapshotMismatch(t *testing.T) {
	a, _ := NewOnce[record.Of[bid], window.Result[int64, int64]](newCount(t), &LedgerOptions{Name: "spend"})
	a.Shard("s").Mark(Position{Seq: Seq{lo: 5}})
	snap, err := a.AppendSnapshot(nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := NewOnce[record.Of[bid], window.Result[int64, int64]](newCount(t), &LedgerOptions{Name: "bidders"})
	err = b.Restore(snap)
	if !errors.Is(err, record.ErrSnapshot) || !strings.Contains(err.Error(), "spend") || !strings.Contains(err.Error(), "bidders") {
		t.Fatalf("another query's state: %v", err)
	}
	if _, ok := b.Shard("s").Last(); ok {
		t.Fatal("a failed Restore changed the ledger")
	}
	c, _ := NewOnce[record.Of[int], int](&intOp{}, &LedgerOptions{Name: "spend"})
	if err := c.Restore(snap); !errors.Is(err, record.ErrSnapshot) {
		t.Fatalf("other types: %v", err)
	}
	for i := range snap {
		bad := slices.Clone(snap)
		bad[i] ^= 0x10
		if err := a.Restore(bad); err == nil {
			t.Fatalf("corrupt byte %d restored", i)
		}
	}
	if err := a.Restore(snap); err != nil {
		t.Fatal(err)
	}
	if _, err := NewOnce[int, int](record.Map(func(i int) int { return i }), nil); !errors.Is(err, ErrNotSnapshotter) {
		t.Fatalf("not a snapshotter: %v", err)
	}
}

type intOp struct{}

func (intOp) Push(record.Of[int], func(int)) error      { return nil }
func (intOp) Advance(record.Time, func(int)) error      { return nil }
func (intOp) Flush(func(int)) error                     { return nil }
func (intOp) AppendSnapshot(dst []byte) ([]byte, error) { return dst, nil }
func (intOp) Restore([]byte) error                      { return nil }
