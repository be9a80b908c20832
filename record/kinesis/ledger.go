package kinesis

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"slices"
	"strings"
)

// Errors of the bookkeeping. Both fail the record (and so, in a handler,
// the batch from that record on): the bookkeeping cannot tell whether the
// record was taken, and guessing either way would lose or double it.
var (
	// ErrForgotten reports a record below the window of positions a
	// Shard remembers that is not known to be taken: records of the shard
	// arrive further out of order than LedgerOptions.Window allows.
	ErrForgotten = errors.New("kinesis: record older than the bookkeeping window")
	// ErrOrder reports the records fanned out of one Kinesis record
	// offered out of their order, or, with LedgerOptions.Ordered, a
	// record below the last taken that was not taken: a shard whose
	// records interleave (Lambda's ParallelizationFactor above 1) where
	// the ledger was told they do not.
	ErrOrder = errors.New("kinesis: records out of order")
)

// DefaultWindow is the default of LedgerOptions.Window.
const DefaultWindow = 1024

// LedgerOptions configure the bookkeeping. The zero LedgerOptions, and
// nil, are the defaults.
type LedgerOptions struct {
	// Window is the number of Kinesis records per shard whose positions
	// are remembered one by one (the last taken ones, by position). A
	// record above the lowest of them that is not among them was not
	// taken, exactly; so records may arrive out of order (Lambda's
	// ParallelizationFactor above 1 processes batches of one shard at
	// once, ordered only per partition key; a redelivery may come late)
	// as long as a record is not overtaken by Window or more records of
	// its shard. Set it to at least ParallelizationFactor × BatchSize,
	// more if batches are retried for long while others go on. Zero means
	// DefaultWindow. Each remembered record costs about 13 bytes of
	// snapshot.
	Window int
	// Ordered declares that the records of each shard arrive in order,
	// apart from redeliveries of records already taken: Lambda with
	// ParallelizationFactor 1 (its default), GetRecords, the consumer-group
	// libraries. A record below the window is then a duplicate, which
	// makes redeliveries of any size exact; without Ordered such a record
	// is an ErrForgotten. Inside the window the ledger still checks: a
	// record below the last taken and not taken is an ErrOrder, never a
	// silent skip.
	Ordered bool
	// Name names the query in the descriptor of a [Once] snapshot: a
	// snapshot written under another name is refused on Restore.
	Name string
}

// A Ledger is the exactly-once bookkeeping of a set of shards: per shard,
// which records have been taken. A record is taken when its effect is in
// the state that the ledger is saved with; [Once] keeps the two in one
// snapshot, so that a record is in both or in neither.
//
// The zero Ledger has the default options, ready to use. A Ledger is not
// safe for concurrent use.
type Ledger struct {
	opts   LedgerOptions
	shards map[string]*Shard
}

// NewLedger returns an empty ledger.
func NewLedger(opts *LedgerOptions) *Ledger {
	l := &Ledger{}
	if opts != nil {
		l.opts = *opts
	}
	return l
}

func (l *Ledger) window() int {
	if l.opts.Window <= 0 {
		return DefaultWindow
	}
	return l.opts.Window
}

// Shard returns the bookkeeping of shard id, empty the first time.
func (l *Ledger) Shard(id string) *Shard {
	if s, ok := l.shards[id]; ok {
		return s
	}
	if l.shards == nil {
		l.shards = map[string]*Shard{}
	}
	s := &Shard{id: id, ordered: l.opts.Ordered, window: l.window()}
	l.shards[id] = s
	return s
}

// Shards returns the ids of the shards the ledger knows, sorted.
func (l *Ledger) Shards() []string {
	ids := make([]string, 0, len(l.shards))
	for id := range l.shards {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// Remove forgets shard id: a shard that has ended and whose records are
// all taken.
func (l *Ledger) Remove(id string) { delete(l.shards, id) }

// A Shard is the bookkeeping of one shard: the positions of the last
// Window Kinesis records taken, each with how many of its fanned-out
// records are taken. Seen and Mark take a few nanoseconds and allocate
// nothing in steady state.
type Shard struct {
	id      string
	ordered bool
	window  int
	ents    []entry // ents[head:], sorted by sequence number, are remembered
	head    int
	floor   Seq  // every remembered position is above floor
	forgot  bool // positions at or below floor have left the window

	// enc[encOff:] caches the snapshot encoding of the first encN
	// remembered entries, so that a checkpoint encodes only the entries
	// new since the last one. An entry's encoding is relative to the entry
	// before it, which becomes the floor when it leaves the window, so
	// evictions keep the cache valid; changes to cached entries cut it.
	enc    []byte
	encOff int
	encN   int
}

type entry struct {
	seq  Seq
	next uint32 // records of the Kinesis record taken: those with Sub < next
	size uint8  // bytes of the entry's encoding, when cached
}

// ID returns the shard's id.
func (s *Shard) ID() string { return s.id }

// Last returns the position of the last record taken, and false if none
// is remembered.
func (s *Shard) Last() (Position, bool) {
	if len(s.ents) == s.head {
		return Position{}, false
	}
	e := s.ents[len(s.ents)-1]
	return Position{Seq: e.seq, Sub: e.next - 1}, true
}

// Seen reports whether the record at p has been taken. The records fanned
// out of one Kinesis record must be offered in order of Sub, from 0. An
// error (wrapping ErrForgotten or ErrOrder) means the ledger cannot tell:
// the record must not be taken, nor skipped.
func (s *Shard) Seen(p Position) (bool, error) {
	live := s.ents[s.head:]
	if n := len(live); n > 0 {
		last := &live[n-1]
		if last.seq.Less(p.Seq) {
			return false, s.first(p)
		}
		e := last
		if last.seq != p.Seq {
			e = nil
			if i, ok := s.search(p.Seq); ok {
				e = &live[i]
			}
		}
		if e != nil {
			switch {
			case p.Sub < e.next:
				return true, nil
			case p.Sub == e.next:
				return false, nil
			}
			return false, fmt.Errorf("%w: shard %s: record %v offered before %v", ErrOrder, s.id, p, Position{p.Seq, e.next})
		}
	}
	if s.forgot && !s.floor.Less(p.Seq) {
		if s.ordered {
			return true, nil
		}
		return false, fmt.Errorf("%w: shard %s: record %v is below the last %d positions remembered (from %v on) and not known to be taken; raise LedgerOptions.Window, or set Ordered if the shard's records arrive in order (ParallelizationFactor 1)",
			ErrForgotten, s.id, p, s.window, s.floor)
	}
	if len(live) > 0 && s.ordered {
		return false, fmt.Errorf("%w: shard %s: record %v is below the last taken, %v, and was not taken, but the ledger was told records arrive in order (LedgerOptions.Ordered); with ParallelizationFactor above 1 leave Ordered unset",
			ErrOrder, s.id, p, Position{live[len(live)-1].seq, live[len(live)-1].next - 1})
	}
	return false, s.first(p)
}

// first checks that a record not remembered at all starts at index 0.
func (s *Shard) first(p Position) error {
	if p.Sub != 0 {
		return fmt.Errorf("%w: shard %s: record %v offered before %v", ErrOrder, s.id, p, Position{Seq: p.Seq})
	}
	return nil
}

// search finds seq among the remembered entries.
func (s *Shard) search(seq Seq) (int, bool) {
	return slices.BinarySearchFunc(s.ents[s.head:], seq, func(e entry, q Seq) int { return e.seq.Compare(q) })
}

// Mark records that the record at p is taken: after Seen reported it
// unseen, once its effect is in the state (or it went to the dead
// letters).
func (s *Shard) Mark(p Position) {
	live := s.ents[s.head:]
	if n := len(live); n > 0 {
		last := &live[n-1]
		if last.seq == p.Seq {
			s.uncache(n - 1)
			last.next = max(last.next, p.Sub+1)
			return
		}
		if !last.seq.Less(p.Seq) {
			i, ok := s.search(p.Seq)
			s.uncache(i)
			if ok {
				live[i].next = max(live[i].next, p.Sub+1)
				return
			}
			s.ents = slices.Insert(s.ents, s.head+i, entry{seq: p.Seq, next: p.Sub + 1})
			s.evict()
			return
		}
	}
	if len(s.ents) == cap(s.ents) && s.head > 0 {
		n := copy(s.ents, s.ents[s.head:])
		s.ents = s.ents[:n]
		s.head = 0
	}
	s.ents = append(s.ents, entry{seq: p.Seq, next: p.Sub + 1})
	s.evict()
}

func (s *Shard) evict() {
	for len(s.ents)-s.head > s.window {
		e := &s.ents[s.head]
		if s.encN > 0 {
			s.encOff += int(e.size)
			s.encN--
		}
		s.floor = e.seq
		s.forgot = true
		s.head++
	}
}

// uncache drops the cached encodings of the remembered entries from index
// i on.
func (s *Shard) uncache(i int) {
	for s.encN > i {
		s.encN--
		s.enc = s.enc[:len(s.enc)-int(s.ents[s.head+s.encN].size)]
	}
}

// appendLedger writes the ledger: uvarint shard count, then per shard (by
// id) its id, a flags byte (1: floor set), the floor, uvarint entry count,
// each entry as the difference of its sequence number from the one before
// (the first from the floor) and its next.
func (l *Ledger) appendBinary(dst []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(l.shards)))
	if len(l.shards) == 1 { // the usual case, without sorting
		for _, s := range l.shards {
			dst = s.appendBinary(dst)
		}
		return dst
	}
	for _, id := range l.Shards() {
		dst = l.shards[id].appendBinary(dst)
	}
	return dst
}

func (s *Shard) appendBinary(dst []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s.id)))
	dst = append(dst, s.id...)
	var flags byte
	if s.forgot {
		flags = 1
	}
	dst = append(dst, flags)
	dst = appendSeq(dst, s.floor)
	live := s.ents[s.head:]
	dst = binary.AppendUvarint(dst, uint64(len(live)))
	if s.encOff > len(s.enc)/2 {
		s.enc = s.enc[:copy(s.enc, s.enc[s.encOff:])]
		s.encOff = 0
	}
	prev := s.floor
	if s.encN > 0 {
		prev = live[s.encN-1].seq
	}
	for i := s.encN; i < len(live); i++ {
		e := &live[i]
		n := len(s.enc)
		s.enc = appendSeq(s.enc, e.seq.sub(prev))
		s.enc = binary.AppendUvarint(s.enc, uint64(e.next))
		e.size = uint8(len(s.enc) - n)
		prev = e.seq
	}
	s.encN = len(live)
	return append(dst, s.enc[s.encOff:]...)
}

func appendSeq(dst []byte, q Seq) []byte {
	dst = binary.AppendUvarint(dst, q.hi)
	dst = binary.AppendUvarint(dst, q.mid)
	return binary.AppendUvarint(dst, q.lo)
}

// sub returns q - r (q ≥ r).
func (q Seq) sub(r Seq) Seq {
	var d Seq
	var b uint64
	d.lo, b = bits.Sub64(q.lo, r.lo, 0)
	d.mid, b = bits.Sub64(q.mid, r.mid, b)
	d.hi, _ = bits.Sub64(q.hi, r.hi, b)
	return d
}

// add returns q + r and whether it overflowed.
func (q Seq) add(r Seq) (Seq, bool) {
	var s Seq
	var c uint64
	s.lo, c = bits.Add64(q.lo, r.lo, 0)
	s.mid, c = bits.Add64(q.mid, r.mid, c)
	s.hi, c = bits.Add64(q.hi, r.hi, c)
	return s, c != 0
}

type reader struct {
	b   []byte
	err error
}

func (r *reader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = errors.New("truncated")
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) bytes(n uint64) []byte {
	if r.err != nil {
		return nil
	}
	if n > uint64(len(r.b)) {
		r.err = errors.New("truncated")
		return nil
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

func (r *reader) seq() Seq { return Seq{hi: r.uvarint(), mid: r.uvarint(), lo: r.uvarint()} }

// readLedger reads what appendBinary wrote into a new ledger with opts,
// and returns the rest of data.
func readLedger(data []byte, opts LedgerOptions) (*Ledger, []byte, error) {
	l := &Ledger{opts: opts, shards: map[string]*Shard{}}
	r := &reader{b: data}
	n := r.uvarint()
	for i := uint64(0); i < n && r.err == nil; i++ {
		id := string(r.bytes(r.uvarint()))
		flags := r.bytes(1)
		floor := r.seq()
		m := r.uvarint()
		if r.err != nil {
			break
		}
		if m > uint64(len(r.b)) {
			return nil, nil, errors.New("ledger: entry count beyond the data")
		}
		if _, dup := l.shards[id]; dup || flags[0] > 1 {
			return nil, nil, fmt.Errorf("ledger: bad shard entry %q", id)
		}
		s := &Shard{id: id, ordered: opts.Ordered, window: l.window(), floor: floor, forgot: flags[0] == 1,
			ents: make([]entry, 0, max(int(m), 1))}
		prev := floor
		for j := uint64(0); j < m && r.err == nil; j++ {
			d := r.seq()
			next := r.uvarint()
			seq, over := prev.add(d)
			if over || next == 0 || next > 1<<32 || (j > 0 || s.forgot) && d.IsZero() {
				return nil, nil, fmt.Errorf("ledger: shard %q: bad entry %d", id, j)
			}
			s.ents = append(s.ents, entry{seq: seq, next: uint32(next)})
			prev = seq
		}
		s.evict() // a smaller Window than the snapshot's
		l.shards[id] = s
	}
	if r.err != nil {
		return nil, nil, fmt.Errorf("ledger: %w", r.err)
	}
	return l, r.b, nil
}

// String describes the ledger, for logs: each shard's last position.
func (l *Ledger) String() string {
	var b strings.Builder
	for i, id := range l.Shards() {
		if i > 0 {
			b.WriteString(", ")
		}
		p, ok := l.shards[id].Last()
		if ok {
			fmt.Fprintf(&b, "%s@%v", id, p)
		} else {
			fmt.Fprintf(&b, "%s@none", id)
		}
	}
	return b.String()
}
