package window

import (
	"github.com/rowtime/rowtime/record"
)

// Frames returns the operator's frames, in the order of OverRow.Values.
func (o *Over[R, K, V]) Frames() []Frame { return append([]Frame(nil), o.frames...) }

// Push takes one record and emits the rows it releases: its own at once
// when nothing waits before it (always, with Delay 0), else those of the
// buffered records the raised watermark lets through, in time order.
// A late record is dropped or handed to Options.Late, and Push returns nil.
// A record of a new partition beyond a limit is refused with an error
// wrapping ErrLimit, and one whose key is not equal to itself (a float NaN)
// with one wrapping ErrKey; both wrap record.ErrRefused and leave the
// operator unchanged. After Flush, Push returns record.ErrFlushed. A nil
// emit discards the rows.
func (o *Over[R, K, V]) Push(r R, emit func(OverRow[R, V])) error {
	if emit == nil { // as in Agg.Push (see shell)
		emit = o.none
	}
	return o.eng.push(emit, r)
}

// Advance raises the watermark to wm (a smaller wm changes nothing) and
// emits the rows of the buffered records with time ≤ wm, in time order. It
// fails only after Flush, with record.ErrFlushed. A nil emit discards the
// rows.
func (o *Over[R, K, V]) Advance(wm record.Time, emit func(OverRow[R, V])) error {
	return o.advance(wm, emit)
}

// Flush emits the rows of every buffered record, in time order, then drops
// the window state of every partition: the end of input. The watermark moves
// up to the largest time pushed, and Stats counters are kept. Push and
// Advance afterwards return record.ErrFlushed; a second Flush does nothing.
func (o *Over[R, K, V]) Flush(emit func(OverRow[R, V])) error { return o.flush(emit) }

// Stats reports what the operator has seen and holds. OpenWindows counts
// (partition, frame) windows and Keys partitions; StateBytes estimates the
// memory of rows, accumulators, partitions and the reorder buffer; it walks
// the partitions, so call Stats per batch rather than per record.
func (o *Over[R, K, V]) Stats() Stats { return o.stats() }

// AppendSnapshot appends the operator's state to dst, in a record envelope
// whose descriptor names the frames, the aggregate and the stored types: the
// settings it ran with, the watermark, the stats counters, every
// partition's rows (encoded with codec.Append) and window positions,
// and the reorder buffer. Accumulators that subtract are written with the
// aggregate's StateCodec, or codec.Append when it has none;
// two-stack accumulators are not written, since Restore rebuilds them
// exactly from the rows. Partition keys are not written either: they are
// recomputed from the rows with key.
//
// It fails, returning dst unchanged and writing nothing, when the record
// type (or a subtracted accumulator type without a StateCodec) cannot
// round-trip through codec.Append: a struct with unexported fields
// that does not encode itself, a func, a channel, an interface. That is the
// codec's rule, the same for every operator, checked on the types at every
// snapshot (never at construction: an operator that is never snapshotted
// takes any type).
func (o *Over[R, K, V]) AppendSnapshot(dst []byte) ([]byte, error) { return o.appendSnapshot(dst) }

// Restore replaces the operator's state with one written by AppendSnapshot
// of an operator with the same frames, aggregate and stored types. Delay and
// the limits may differ: the restoring operator's apply from then on, the
// watermark is the snapshot's and never moves back, and limits below what
// the snapshot holds refuse new partitions but drop none. Snapshots of the
// format before the envelope are read too. On error, which wraps
// record.ErrSnapshot and, for a snapshot of another operator, names both
// sides, the operator is unchanged.
func (o *Over[R, K, V]) Restore(data []byte) error { return o.restore(data) }
