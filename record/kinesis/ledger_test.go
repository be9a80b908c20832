package kinesis

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
)

// shardRecs is a shard of n Kinesis records with increasing, sparse
// sequence numbers of 56 digits, each fanning out into 1 to 3 records, and
// a partition key among keys.
type shardRec struct {
	seq  Seq
	subs uint32
	key  int
}

func makeShard(rng *rand.Rand, n, keys int) []shardRec {
	base, _ := ParseSeq("49590338271490256608559692538361571095921575989136588898")
	out := make([]shardRec, n)
	cur := base
	for i := range out {
		var over bool
		cur, over = cur.add(Seq{lo: 1 + rng.Uint64N(1<<40)})
		if over {
			panic("overflow")
		}
		out[i] = shardRec{seq: cur, subs: 1 + uint32(rng.IntN(3)), key: rng.IntN(keys)}
	}
	return out
}

// consumer takes batches into a ledger, saving it after each batch; a
// crash throws away what the batch did since the last save.
type consumer struct {
	t     *testing.T
	opts  LedgerOptions
	l     *Ledger
	saved []byte
	taken map[Position]int // committed takes per position
	batch map[Position]int // takes of the batch under way
}

func newConsumer(t *testing.T, opts LedgerOptions) *consumer {
	c := &consumer{t: t, opts: opts, l: NewLedger(&opts), taken: map[Position]int{}}
	c.saved = c.l.appendBinary(nil)
	return c
}

// run takes recs in order, stopping before index stop (crash when crash is
// set); it returns the index of the first record that failed with a
// ledger error, or len(recs).
func (c *consumer) run(recs []shardRec, stop int, crash bool) (int, error) {
	c.batch = map[Position]int{}
	s := c.l.Shard("shardId-000000000000")
	failed := len(recs)
	var ferr error
loop:
	for i, r := range recs {
		if i == stop {
			break
		}
		for sub := range r.subs {
			p := Position{Seq: r.seq, Sub: sub}
			seen, err := s.Seen(p)
			if err != nil {
				failed, ferr = i, err
				break loop
			}
			if !seen {
				s.Mark(p)
				c.batch[p]++
			}
		}
	}
	if crash {
		l, rest, err := readLedger(c.saved, c.opts)
		if err != nil || len(rest) != 0 {
			c.t.Fatalf("restore: %v, %d bytes left", err, len(rest))
		}
		c.l = l
		return failed, ferr
	}
	c.saved = c.l.appendBinary(c.saved[:0])
	// The encoding cached across checkpoints must be what a fresh
	// encoding of the same ledger writes.
	fresh, _, err := readLedger(c.saved, c.opts)
	if err != nil {
		c.t.Fatal(err)
	}
	if again := fresh.appendBinary(nil); string(again) != string(c.saved) {
		c.t.Fatal("the cached encoding differs from a fresh one")
	}
	for p, n := range c.batch {
		c.taken[p] += n
	}
	return failed, ferr
}

// check asserts that every position of recs[:upto] is taken exactly once.
func (c *consumer) check(recs []shardRec, upto int) {
	c.t.Helper()
	for _, r := range recs[:upto] {
		for sub := range r.subs {
			if n := c.taken[Position{r.seq, sub}]; n != 1 {
				c.t.Fatalf("record %v taken %d times", Position{r.seq, sub}, n)
			}
		}
	}
	for p, n := range c.taken {
		if n != 1 {
			c.t.Fatalf("record %v taken %d times", p, n)
		}
	}
}

// TestLedgerOrdered delivers a shard as Lambda does with
// ParallelizationFactor 1: batches from the last checkpoint, retried from
// a failed record, redelivered whole, cut by crashes, some larger than the
// window. Every record must be taken exactly once.
func TestLedgerOrdered(t *testing.T) {
	for seed := range uint64(20) {
		rng := rand.New(rand.NewPCG(seed, 7))
		recs := makeShard(rng, 5000, 4)
		c := newConsumer(t, LedgerOptions{Ordered: true, Window: 64})
		next := 0 // Lambda's checkpoint
		var last []shardRec
		for next < len(recs) {
			switch rng.IntN(6) {
			case 0: // redeliver the last batch whole
				if last != nil {
					if i, err := c.run(last, len(last), false); err != nil {
						t.Fatalf("seed %d: redelivery failed at %d: %v", seed, i, err)
					}
					continue
				}
			case 1: // an overlapping batch: from before the checkpoint
				from := max(0, next-rng.IntN(300))
				b := recs[from:min(len(recs), next+1+rng.IntN(200))]
				if i, err := c.run(b, len(b), false); err != nil {
					t.Fatalf("seed %d: overlap failed at %d: %v", seed, i, err)
				}
				next = from + len(b)
				last = b
				continue
			}
			b := recs[next:min(len(recs), next+1+rng.IntN(2000))]
			switch rng.IntN(4) {
			case 0: // crash half-way: nothing saved, the batch comes again
				c.run(b, rng.IntN(len(b)+1), true)
			case 1: // partial failure: records from k on are retried
				k := rng.IntN(len(b) + 1)
				c.run(b, k, false)
				next += k
			default:
				c.run(b, len(b), false)
				next += len(b)
				last = b
			}
		}
		c.check(recs, len(recs))
	}
}

// TestLedgerInterleaved delivers a shard as ParallelizationFactor 4 does:
// per partition key in order, the keys' batches processed in any order,
// redelivered and cut by crashes, while a record is overtaken by fewer
// records than the window holds. Every record must be taken exactly once
// and no error reported.
func TestLedgerInterleaved(t *testing.T) {
	const keys, batch = 4, 50
	for seed := range uint64(20) {
		rng := rand.New(rand.NewPCG(seed, 11))
		recs := makeShard(rng, 3000, keys)
		byKey := make([][]shardRec, keys)
		for _, r := range recs {
			byKey[r.key] = append(byKey[r.key], r)
		}
		// Window above keys × batch × 2: a record is overtaken by at most
		// the other keys' batches in flight, and their redeliveries.
		c := newConsumer(t, LedgerOptions{Window: keys * batch * 3})
		next := make([]int, keys)
		done := func() bool {
			for k := range keys {
				if next[k] < len(byKey[k]) {
					return false
				}
			}
			return true
		}
		for !done() {
			// The slowest key moves first when it lags too far, which
			// bounds the overtaking as Lambda's batching does.
			k := rng.IntN(keys)
			lo := 0
			for j := range keys {
				if next[j] < len(byKey[j]) && (next[lo] >= len(byKey[lo]) || byKey[j][next[j]].seq.Less(byKey[lo][next[lo]].seq)) {
					lo = j
				}
			}
			if rng.IntN(3) == 0 || next[k] >= len(byKey[k]) {
				k = lo
			}
			b := byKey[k][next[k]:min(len(byKey[k]), next[k]+1+rng.IntN(batch))]
			switch rng.IntN(5) {
			case 0:
				c.run(b, rng.IntN(len(b)+1), true)
			case 1:
				i, err := c.run(b, len(b), false)
				if err != nil {
					t.Fatalf("seed %d: key %d: failed at %d: %v", seed, k, i, err)
				}
				// Redelivered at once, whole.
				if i, err := c.run(b, len(b), false); err != nil {
					t.Fatalf("seed %d: redelivery failed at %d: %v", seed, i, err)
				}
				next[k] += len(b)
			default:
				kk := rng.IntN(len(b) + 1)
				if i, err := c.run(b, kk, false); err != nil {
					t.Fatalf("seed %d: key %d: failed at %d: %v", seed, k, i, err)
				}
				next[k] += kk
			}
		}
		c.check(recs, len(recs))
	}
}

// TestLedgerInterleavedLost is the case of a record taken after more than
// Window later records: each record of the late key is either taken once
// or reported with ErrForgotten, never skipped.
func TestLedgerInterleavedLost(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	recs := makeShard(rng, 400, 1)
	var even, odd []shardRec
	for i, r := range recs {
		if i%2 == 0 {
			even = append(even, r)
		} else {
			odd = append(odd, r)
		}
	}
	c := newConsumer(t, LedgerOptions{Window: 100})
	if _, err := c.run(even, len(even), false); err != nil {
		t.Fatal(err)
	}
	i, err := c.run(odd, len(odd), false)
	if !errors.Is(err, ErrForgotten) {
		t.Fatalf("odd records after the window: err %v, want ErrForgotten", err)
	}
	if len(c.batch) != 0 || i != 0 {
		t.Fatalf("the first odd record is below the window and failed at %d", i)
	}
	// With the window wide enough the same schedule is exact.
	c = newConsumer(t, LedgerOptions{Window: 200})
	c.run(even, len(even), false)
	if i, err := c.run(odd, len(odd), false); err != nil {
		t.Fatalf("failed at %d: %v", i, err)
	}
	c.check(recs, len(recs))
}

// TestLedgerOrderedInterleaved shows the example that today's "skip at
// or below the last" bookkeeping gets wrong: batches {1, 3} then {2, 4}.
// Unordered, the ledger takes 2 and 4; told Ordered, it reports the
// interleaving as an ErrOrder instead of skipping 2.
func TestLedgerOrderedInterleaved(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	recs := makeShard(rng, 4, 1)
	for i := range recs {
		recs[i].subs = 1
	}
	c := newConsumer(t, LedgerOptions{})
	c.run([]shardRec{recs[0], recs[2]}, 2, false)
	if _, err := c.run([]shardRec{recs[1], recs[3]}, 2, false); err != nil {
		t.Fatal(err)
	}
	c.check(recs, 4)

	c = newConsumer(t, LedgerOptions{Ordered: true})
	c.run([]shardRec{recs[0], recs[2]}, 2, false)
	i, err := c.run([]shardRec{recs[1], recs[3]}, 2, false)
	if !errors.Is(err, ErrOrder) || i != 0 {
		t.Fatalf("Ordered, interleaved: failed at %d with %v, want ErrOrder at 0", i, err)
	}
}

func TestLedgerSubOrder(t *testing.T) {
	l := NewLedger(nil)
	s := l.Shard("s")
	q, _ := ParseSeq("100")
	if _, err := s.Seen(Position{q, 1}); !errors.Is(err, ErrOrder) {
		t.Fatalf("sub 1 first: %v", err)
	}
	s.Mark(Position{q, 0})
	if seen, err := s.Seen(Position{q, 1}); seen || err != nil {
		t.Fatalf("sub 1 after 0: %v %v", seen, err)
	}
	if _, err := s.Seen(Position{q, 2}); !errors.Is(err, ErrOrder) {
		t.Fatalf("sub 2 after 0: %v", err)
	}
	if seen, _ := s.Seen(Position{q, 0}); !seen {
		t.Fatal("sub 0 not seen")
	}
	if p, ok := s.Last(); !ok || p != (Position{q, 0}) {
		t.Fatalf("Last = %v %v", p, ok)
	}
}

func TestLedgerSnapshot(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	l := NewLedger(&LedgerOptions{Window: 50})
	for sh := range 3 {
		s := l.Shard(fmt.Sprintf("shardId-%012d", sh))
		for _, r := range makeShard(rng, 80+sh, 1) {
			for sub := range r.subs {
				s.Mark(Position{r.seq, sub})
			}
		}
	}
	data := l.appendBinary(nil)
	got, rest, err := readLedger(data, l.opts)
	if err != nil || len(rest) != 0 {
		t.Fatal(err, len(rest))
	}
	if again := got.appendBinary(nil); string(again) != string(data) {
		t.Fatal("a restored ledger writes other bytes")
	}
	if got.String() != l.String() {
		t.Fatalf("restored %s, want %s", got, l)
	}
	t.Logf("ledger of 3 shards × 50 records: %d bytes", len(data))
	for i := range data {
		if _, _, err := readLedger(data[:i], l.opts); err == nil {
			t.Fatalf("truncated at %d: no error", i)
		}
	}
}
