package kinesis

import (
	"encoding/binary"
	"errors"
	"fmt"
	"reflect"

	"github.com/rowtime/rowtime/record"
)

// ErrNotSnapshotter is returned by NewOnce for an operator that cannot
// snapshot its state: exactly-once needs the state and the bookkeeping
// saved together.
var ErrNotSnapshotter = errors.New("kinesis: the operator does not implement record.Snapshotter")

// Once runs an operator exactly once over records that arrive at least
// once: a [Ledger] of what each shard has taken, composed with the
// operator, in one snapshot. Redelivered, overlapping, partially retried
// and split batches are taken once each, because a record is skipped only
// when the ledger knows it taken, and the ledger is saved and restored
// with the operator's state, never apart.
//
// The caller pushes each record at its Position; a snapshot taken after a
// batch (AppendSnapshot) holds both the state and the positions, and
// Restore brings back both. Once is not safe for concurrent use.
type Once[In, Out any] struct {
	ledger *Ledger
	op     record.Operator[In, Out]
	snap   record.Snapshotter
	desc   *record.Descriptor
}

// NewOnce composes op, which must implement record.Snapshotter, with a
// ledger.
func NewOnce[In, Out any](op record.Operator[In, Out], opts *LedgerOptions) (*Once[In, Out], error) {
	snap, ok := op.(record.Snapshotter)
	if !ok {
		return nil, fmt.Errorf("%w: %T", ErrNotSnapshotter, op)
	}
	l := NewLedger(opts)
	desc := record.NewDescriptor("kinesis.Once").
		Param("in", reflect.TypeFor[In]().String()).
		Param("out", reflect.TypeFor[Out]().String()).
		Schema(l.opts.Name)
	return &Once[In, Out]{ledger: l, op: op, snap: snap, desc: desc}, nil
}

// Ledger returns the bookkeeping.
func (o *Once[In, Out]) Ledger() *Ledger { return o.ledger }

// Operator returns the operator.
func (o *Once[In, Out]) Operator() record.Operator[In, Out] { return o.op }

// Shard returns the bookkeeping of shard id (see [Ledger.Shard]).
func (o *Once[In, Out]) Shard(id string) *Shard { return o.ledger.Shard(id) }

// Push pushes in, the record at p of shard s, unless it was taken before.
// taken reports whether the record is taken now: false for a duplicate
// (nothing done, err nil), or when err says the ledger cannot tell
// (ErrForgotten, ErrOrder), or when the operator failed with an error
// that is not a refusal (restore the last snapshot and replay). A record
// the operator refuses is taken, with the refusal as err: it changed no
// state, and belongs in the dead letters saved with this state.
func (o *Once[In, Out]) Push(s *Shard, p Position, in In, emit func(Out)) (taken bool, err error) {
	seen, err := s.Seen(p)
	if err != nil || seen {
		return false, err
	}
	if err := o.op.Push(in, emit); err != nil {
		if !record.IsRefused(err) {
			return false, err
		}
		s.Mark(p)
		return true, err
	}
	s.Mark(p)
	return true, nil
}

// Take marks the record at p of shard s taken without pushing anything:
// a dead letter from decoding, a control message. It reports false for a
// record taken before, and errors as Push does.
func (o *Once[In, Out]) Take(s *Shard, p Position) (bool, error) {
	seen, err := s.Seen(p)
	if err != nil || seen {
		return false, err
	}
	s.Mark(p)
	return true, nil
}

// Advance passes the watermark to the operator and returns its error (for
// the operators of this module, an error only after Flush).
func (o *Once[In, Out]) Advance(wm record.Time, emit func(Out)) error { return o.op.Advance(wm, emit) }

// Flush flushes the operator.
func (o *Once[In, Out]) Flush(emit func(Out)) error { return o.op.Flush(emit) }

// AppendSnapshot appends the ledger and the operator's snapshot, in one
// envelope, to dst.
func (o *Once[In, Out]) AppendSnapshot(dst []byte) ([]byte, error) {
	start := len(dst)
	dst = record.BeginSnapshot(dst, o.desc)
	dst = o.ledger.appendBinary(dst)
	n := len(dst)
	dst = append(dst, make([]byte, binary.MaxVarintLen64)...) // room for the length
	body := len(dst)
	dst, err := o.snap.AppendSnapshot(dst)
	if err != nil {
		return dst[:start], fmt.Errorf("kinesis: snapshot of the operator: %w", err)
	}
	// Move the operator's snapshot down behind its actual length.
	size := len(dst) - body
	l := binary.PutUvarint(dst[n:], uint64(size))
	copy(dst[n+l:], dst[body:])
	dst = dst[:n+l+size]
	return record.EndSnapshot(dst, start), nil
}

// Restore replaces the ledger and the operator's state with a snapshot of
// AppendSnapshot. A snapshot of another composition (other record types,
// another LedgerOptions.Name) is refused with an error wrapping
// record.ErrSnapshot that names both; on any error o is unchanged.
func (o *Once[In, Out]) Restore(data []byte) error {
	body, err := record.OpenSnapshot(data, o.desc)
	if err != nil {
		return fmt.Errorf("kinesis: %w", err)
	}
	l, rest, err := readLedger(body, o.ledger.opts)
	if err != nil {
		return fmt.Errorf("kinesis: %w: %w", record.ErrSnapshot, err)
	}
	size, n := binary.Uvarint(rest)
	if n <= 0 || size != uint64(len(rest)-n) {
		return fmt.Errorf("kinesis: %w: bad operator snapshot length", record.ErrSnapshot)
	}
	if err := o.snap.Restore(rest[n:]); err != nil {
		return fmt.Errorf("kinesis: restoring the operator: %w", err)
	}
	o.ledger = l
	return nil
}

// Refuse returns err classified as a refusal (record.IsRefused reports
// true for it, errors.Is and errors.As still see err): for a query that
// turns a record it could not use (too late for its windows, say) into a
// dead letter, its state unchanged.
func Refuse(err error) error { return refusal{err} }

type refusal struct{ err error }

func (r refusal) Error() string { return r.err.Error() }
func (r refusal) Unwrap() error { return r.err }
func (r refusal) Refused() bool { return true }
