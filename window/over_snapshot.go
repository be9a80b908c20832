package window

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/rowtime/rowtime/aggregate"
	"github.com/rowtime/rowtime/record"
)

// An Over snapshot of the format before the envelope started with a version
// byte and this string; Restore still reads it.
const (
	overLegacyVersion = 1
	overLegacyMagic   = "rowtime/window.Over"
)

// descriptor says what the operator's snapshots store: its frames, the
// aggregate, whether it subtracts, whether it is keyed, and the codec shapes
// of the records its rows and reorder buffer hold and of the subtracted
// accumulators. Delay and the limits are not part of it.
func (op *overOp[R, K, A, V]) descriptor() *record.Descriptor {
	if op.desc == nil {
		frames := make([]string, len(op.frames))
		for i, f := range op.frames {
			frames[i] = f.String()
		}
		d := record.NewDescriptor("window.Over").
			Param("frames", strings.Join(frames, ", ")).
			Param("aggregate", describeAggregate(op.agg)).
			Param("subtracts", op.rm != nil).
			Param("keyed", op.key != nil).
			Type("key", reflect.TypeFor[K]()).
			Type("record", reflect.TypeFor[R]())
		if op.rm != nil {
			d.Type("accumulator", reflect.TypeFor[A]())
		}
		op.desc = d.Schema(op.schema)
	}
	return op.desc
}

// checkTypes reports the first stored type the codec cannot round-trip.
func (op *overOp[R, K, A, V]) checkTypes() error {
	if err := codecErr[R]("record"); err != nil {
		return err
	}
	if _, ok := op.agg.(aggregate.StateCodec[A]); !ok && op.rm != nil {
		return codecErr[A]("accumulator")
	}
	return nil
}

// AppendSnapshot appends the operator's state to dst, in a record envelope
// whose descriptor names the frames, the aggregate and the stored types: the
// settings it ran with, the watermark, the stats counters, every
// partition's rows (encoded with record.AppendBinary) and window positions,
// and the reorder buffer. Accumulators that subtract are written with the
// aggregate's StateCodec, or record.AppendBinary when it has none;
// two-stack accumulators are not written, since Restore rebuilds them
// exactly from the rows. Partition keys are not written either: they are
// recomputed from the rows with key.
//
// It fails, returning dst unchanged and writing nothing, when the record
// type (or a subtracted accumulator type without a StateCodec) cannot
// round-trip through record.AppendBinary: a struct with unexported fields
// that does not encode itself, a func, a channel, an interface. That is the
// codec's rule, the same for every operator, checked on the types at every
// snapshot (never at construction: an operator that is never snapshotted
// takes any type).
func (op *overOp[R, K, A, V]) AppendSnapshot(dst []byte) ([]byte, error) {
	if err := op.checkTypes(); err != nil {
		return dst, fmt.Errorf("window: Over snapshot: %w", err)
	}
	orig := dst
	start := len(dst)
	s := &op.st
	dst = record.BeginSnapshot(dst, op.descriptor())
	dst = append(dst, b2u8(s.flushed))
	dst = binary.AppendVarint(dst, int64(op.delay))
	dst = binary.AppendVarint(dst, int64(s.wm))
	dst = binary.AppendVarint(dst, int64(s.maxSeen))
	dst = binary.AppendUvarint(dst, s.records)
	dst = binary.AppendUvarint(dst, s.late)
	dst = binary.AppendUvarint(dst, s.emitted)

	// Partitions with rows, least recently processed first.
	var ids []int32
	for id := range s.parts {
		if p := &s.parts[id]; p.tail > p.head {
			ids = append(ids, int32(id))
		}
	}
	slices.SortFunc(ids, func(a, b int32) int { return cmp.Compare(s.parts[a].seq, s.parts[b].seq) })
	dst = binary.AppendUvarint(dst, uint64(len(ids)))
	codec, _ := op.agg.(aggregate.StateCodec[A])
	var err error
	for _, id := range ids {
		p := &s.parts[id]
		mask := uint64(len(p.rows) - 1)
		dst = binary.AppendUvarint(dst, p.tail-p.head)
		for i := p.head; i < p.tail; i++ {
			if dst, err = record.AppendBinary(dst, p.rows[i&mask]); err != nil {
				return orig, fmt.Errorf("window: Over snapshot of a record: %w", err)
			}
		}
		for i := range p.win {
			w := &p.win[i]
			dst = binary.AppendUvarint(dst, w.start-p.head)
			if op.rm == nil {
				dst = binary.AppendUvarint(dst, w.mid-w.start)
				continue
			}
			if codec != nil {
				dst, err = codec.AppendState(dst, &w.acc)
			} else {
				dst, err = record.AppendBinary(dst, w.acc)
			}
			if err != nil {
				return orig, fmt.Errorf("window: Over snapshot of an accumulator: %w", err)
			}
		}
	}

	// The reorder buffer in processing order; Restore numbers it afresh.
	sorted := append([]pending[R](nil), s.buf...)
	overSortPending(sorted)
	dst = binary.AppendUvarint(dst, uint64(len(sorted)))
	for i := range sorted {
		if dst, err = record.AppendBinary(dst, sorted[i].r); err != nil {
			return orig, fmt.Errorf("window: Over snapshot of a record: %w", err)
		}
	}
	return record.EndSnapshot(dst, start), nil
}

// legacyParams is the parameter block of the format before the envelope.
func (op *overOp[R, K, A, V]) legacyParams(dst []byte, delay int64) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(op.frames)))
	for _, f := range op.frames {
		kind := byte(0)
		if f.byTime {
			kind = 1
		}
		dst = append(dst, kind)
		dst = binary.AppendVarint(dst, f.n)
	}
	dst = binary.AppendVarint(dst, delay)
	sub := byte(0)
	if op.rm != nil {
		sub = 1
	}
	return append(dst, sub)
}

func overSortPending[R any](b []pending[R]) {
	slices.SortFunc(b, func(x, y pending[R]) int {
		if pendingLess(&x, &y) {
			return -1
		}
		return 1 // (t, seq) pairs are unique
	})
}

// Restore replaces the operator's state with one written by AppendSnapshot
// of an operator with the same frames, aggregate and stored types. Delay and
// the limits may differ: the restoring operator's apply from then on, the
// watermark is the snapshot's and never moves back, and limits below what
// the snapshot holds refuse new partitions but drop none. Snapshots of the
// format before the envelope are read too. On error, which wraps
// record.ErrSnapshot and, for a snapshot of another operator, names both
// sides, the operator is unchanged.
func (op *overOp[R, K, A, V]) Restore(data []byte) error {
	var body []byte
	var flushed bool
	if record.IsLegacySnapshot(data) {
		var err error
		if body, err = op.openLegacy(data); err != nil {
			return fmt.Errorf("%w: window.Over: %w", ErrSnapshot, err)
		}
	} else {
		var err error
		if body, err = record.OpenSnapshot(data, op.descriptor()); err != nil {
			return fmt.Errorf("window: restore: %w", err)
		}
		if len(body) == 0 || body[0] > 1 {
			return fmt.Errorf("%w: window.Over: bad flag", ErrSnapshot)
		}
		flushed = body[0] == 1
		if _, n := binary.Varint(body[1:]); n <= 0 {
			return fmt.Errorf("%w: window.Over: bad varint", ErrSnapshot)
		} else {
			body = body[1+n:] // the writer's Delay: only new records see Delay
		}
	}
	st, err := op.decode(body)
	if err != nil {
		return fmt.Errorf("window: restore: window.Over: %w", err) // err wraps ErrSnapshot
	}
	st.flushed = flushed
	op.st = st
	return nil
}

// openLegacy checks the head of a snapshot of the format before the
// envelope and returns the rest. The Delay it was written with may differ.
func (op *overOp[R, K, A, V]) openLegacy(data []byte) ([]byte, error) {
	if data[0] != overLegacyVersion {
		return nil, fmt.Errorf("version %d, want %d", data[0], overLegacyVersion)
	}
	r := &snapReader{b: data[1:]}
	if n := r.u64(); r.err != nil || n != uint64(len(overLegacyMagic)) || len(r.b) < int(n) || string(r.b[:n]) != overLegacyMagic {
		return nil, errors.New("not a window.Over snapshot")
	}
	r.b = r.b[len(overLegacyMagic):]
	// The parameter block holds the Delay in the middle: find its extent
	// from the frames, then compare what precedes and follows it.
	head := op.legacyParams(nil, 0)
	nf := len(head) - 2 // the block without the Delay varint (0: 1 byte) and the last byte
	if len(r.b) < nf || string(r.b[:nf]) != string(head[:nf]) {
		return nil, errors.New("written by an operator with other frames")
	}
	rest := r.b[nf:]
	_, n := binary.Varint(rest)
	if n <= 0 || len(rest) < n+1 {
		return nil, errors.New("truncated parameters")
	}
	if rest[n] != head[len(head)-1] {
		return nil, errors.New("written by an operator with another kind of aggregate (one that subtracts, or not)")
	}
	return rest[n+1:], nil
}

func (op *overOp[R, K, A, V]) decode(data []byte) (overState[R, K, A], error) {
	var st overState[R, K, A]
	r := &snapReader{b: data}
	st.reset()
	st.wm = record.Time(r.i64())
	st.maxSeen = record.Time(r.i64())
	st.records = r.u64()
	st.late = r.u64()
	st.emitted = r.u64()

	codec, _ := op.agg.(aggregate.StateCodec[A])
	nparts := r.count()
	prevLast := record.MinTime
	for range nparts {
		nrows := r.count()
		if r.err == nil && nrows == 0 {
			r.fail("empty partition")
		}
		if r.err != nil {
			break
		}
		rows := make([]R, max(8, overCeilPow2(nrows)))
		var k K
		var prevT record.Time
		for i := range nrows {
			readValue(r, &rows[i])
			if r.err != nil {
				break
			}
			t := rows[i].EventTime()
			var ki K
			if op.key != nil {
				ki = op.key(rows[i])
			}
			switch {
			case i == 0:
				k = ki
			case ki != k:
				r.fail("a partition's rows have different keys")
			case t < prevT:
				r.fail("a partition's rows are out of time order")
			}
			prevT = t
		}
		if r.err != nil {
			break
		}
		if prevT > st.wm || prevT < prevLast {
			r.fail("partition's last time %d is past the watermark or out of order", prevT)
			break
		}
		prevLast = prevT
		if _, dup := st.index[k]; dup || (op.key == nil && st.one >= 0) {
			r.fail("duplicate partition")
			break
		}
		id := st.newPart(op.key == nil, k, len(op.frames))
		p := &st.parts[id]
		p.rows = rows
		p.times = make([]record.Time, len(rows))
		for i := range nrows {
			p.times[i] = rows[i].EventTime()
		}
		p.head, p.tail = 0, uint64(nrows)
		minStart := p.tail
		for i := range p.win {
			w := &p.win[i]
			f := op.frames[i]
			w.start = r.u64()
			if r.err == nil && w.start >= p.tail {
				r.fail("window start %d beyond %d rows", w.start, nrows)
			}
			if r.err != nil {
				break
			}
			size := p.tail - w.start
			if !f.byTime && size > uint64(f.n)+1 {
				r.fail("%v window holds %d rows", f, size)
			}
			if lo, ok := overLow(prevT, f.n); f.byTime && ok {
				if w.start > 0 && rows[w.start-1].EventTime() >= lo {
					r.fail("%v window starts too late", f)
				}
				if rows[w.start].EventTime() < lo {
					r.fail("%v window holds rows out of range", f)
				}
			}
			minStart = min(minStart, w.start)
			if op.rm != nil {
				var err error
				var n int
				if codec != nil {
					n, err = codec.ReadState(&w.acc, r.b)
				} else {
					n, err = record.ReadBinary(r.b, &w.acc)
				}
				if err != nil {
					r.fail("accumulator: %w", err)
					break
				}
				r.b = r.b[n:]
				continue
			}
			front := r.u64()
			if r.err == nil && front > size {
				r.fail("front of %d rows in a window of %d", front, size)
			}
			if r.err != nil {
				break
			}
			w.mid = w.start + front
			if op.an != nil { // an analytic function keeps no accumulators
				continue
			}
			op.flip(p, w, w.mid)
			for j := w.mid; j < p.tail; j++ {
				op.agg.Add(&w.acc, rows[j])
			}
		}
		if op.an != nil { // the rows an analytic function reads before its frame
			minStart = min(minStart, p.tail-1-min(op.lookback, p.tail-1))
			op.analyticStates(p)
		}
		if r.err == nil && minStart != 0 {
			r.fail("rows no window holds")
		}
		if r.err != nil {
			break
		}
		p.seq = st.pseq
		st.pseq++
		if op.expireAfter >= 0 {
			st.touch(id)
		}
	}

	nbuf := r.count()
	prevT := st.wm
	for range nbuf {
		if r.err != nil {
			break
		}
		var rec R
		readValue(r, &rec)
		if r.err != nil {
			break
		}
		t := rec.EventTime()
		if t <= st.wm || t < prevT || t > st.maxSeen {
			r.fail("buffered record at %d out of order or not above the watermark %d", t, st.wm)
			break
		}
		prevT = t
		var k K
		id := st.one
		if op.key != nil {
			k = op.key(rec)
			var ok bool
			if id, ok = st.index[k]; !ok {
				id = -1
			}
		}
		if id < 0 {
			id = st.newPart(op.key == nil, k, len(op.frames))
		}
		st.parts[id].pending++
		st.buf = append(st.buf, pending[R]{r: rec, t: t, seq: st.seq, key: id})
		st.seq++
	}
	if r.err == nil && len(r.b) != 0 {
		r.fail("%d trailing bytes", len(r.b))
	}
	if r.err != nil {
		return overState[R, K, A]{}, r.err
	}
	// buf was filled in (t, seq) order, which is already a valid heap.
	return st, nil
}

func overCeilPow2(n int) int {
	p := 1
	for p < n {
		p <<= 1
	}
	return p
}
