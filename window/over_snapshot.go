package window

import (
	"cmp"
	"encoding"
	"encoding/binary"
	"errors"
	"fmt"
	"reflect"
	"slices"

	"github.com/rowtime/rowtime/aggregate"
	"github.com/rowtime/rowtime/record"
)

// An Over snapshot starts with a version byte and then this string, as the
// other snapshots of the package do.
const (
	overSnapshotVersion = 1
	overSnapshotMagic   = "rowtime/window.Over"
)

// AppendSnapshot appends the operator's state to dst: a version, its
// parameters (frames, Delay, and whether agg subtracts), the watermark, the
// stats counters, every partition's rows (encoded with record.AppendBinary)
// and window positions, and the reorder buffer. Accumulators that subtract
// are written with the aggregate's StateCodec, or record.AppendBinary when it
// has none; two-stack accumulators are not written, since Restore rebuilds
// them exactly from the rows. Partition keys are not written either: they
// are recomputed from the rows with key.
//
// It fails, returning dst unchanged, when a record or accumulator cannot be
// encoded, and also when it would be encoded only in part: record.AppendBinary
// skips unexported struct fields, so a record type (or a subtracted
// accumulator type without a StateCodec) with unexported fields needs
// MarshalBinary and UnmarshalBinary methods to be snapshotted.
func (op *Over[R, K, A, V]) AppendSnapshot(dst []byte) ([]byte, error) {
	if err := op.snapshotErr(); err != nil {
		return dst, err
	}
	orig := dst
	s := &op.st
	dst = append(dst, overSnapshotVersion)
	dst = binary.AppendUvarint(dst, uint64(len(overSnapshotMagic)))
	dst = append(dst, overSnapshotMagic...)
	dst = op.appendParams(dst)
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
	sorted := append([]overPending[R](nil), s.buf...)
	overSortPending(sorted)
	dst = binary.AppendUvarint(dst, uint64(len(sorted)))
	for i := range sorted {
		if dst, err = record.AppendBinary(dst, sorted[i].r); err != nil {
			return orig, fmt.Errorf("window: Over snapshot of a record: %w", err)
		}
	}
	return dst, nil
}

// snapshotErr reports why the operator's state cannot be written whole.
func (op *Over[R, K, A, V]) snapshotErr() error {
	if t := reflect.TypeFor[R](); overLossy(t, map[reflect.Type]bool{}) {
		return fmt.Errorf("window: Over snapshot: %w: record type %v has unexported fields, which record.AppendBinary skips; give it MarshalBinary and UnmarshalBinary", record.ErrCodec, t)
	}
	if _, ok := op.agg.(aggregate.StateCodec[A]); !ok && op.rm != nil {
		if t := reflect.TypeFor[A](); overLossy(t, map[reflect.Type]bool{}) {
			return fmt.Errorf("window: Over snapshot: %w: accumulator type %v has unexported fields and the aggregate has no StateCodec", record.ErrCodec, t)
		}
	}
	return nil
}

var (
	overAppender  = reflect.TypeFor[encoding.BinaryAppender]()
	overMarshaler = reflect.TypeFor[encoding.BinaryMarshaler]()
)

// overLossy reports whether record.AppendBinary would write only part of a
// value of type t: t holds a struct with unexported fields (other than blank
// or zero-size ones) that does not encode itself.
func overLossy(t reflect.Type, seen map[reflect.Type]bool) bool {
	if seen[t] {
		return false
	}
	seen[t] = true
	if k := t.Kind(); k != reflect.Interface && k != reflect.Pointer && (t.Implements(overAppender) || t.Implements(overMarshaler)) {
		return false
	}
	switch t.Kind() {
	case reflect.Struct:
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() && f.Name != "_" && f.Type.Size() > 0 {
				return true
			}
			if f.IsExported() && overLossy(f.Type, seen) {
				return true
			}
		}
	case reflect.Array, reflect.Slice, reflect.Pointer:
		return overLossy(t.Elem(), seen)
	case reflect.Map:
		return overLossy(t.Key(), seen) || overLossy(t.Elem(), seen)
	}
	return false
}

func (op *Over[R, K, A, V]) appendParams(dst []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(op.frames)))
	for _, f := range op.frames {
		kind := byte(0)
		if f.byTime {
			kind = 1
		}
		dst = append(dst, kind)
		dst = binary.AppendVarint(dst, f.n)
	}
	dst = binary.AppendVarint(dst, int64(op.delay))
	sub := byte(0)
	if op.rm != nil {
		sub = 1
	}
	return append(dst, sub)
}

func overSortPending[R any](b []overPending[R]) {
	slices.SortFunc(b, func(x, y overPending[R]) int {
		if overLess(&x, &y) {
			return -1
		}
		return 1 // (t, seq) pairs are unique
	})
}

// Restore replaces the operator's state with one written by AppendSnapshot
// of an operator with the same frames, Delay and kind of aggregate (one that
// subtracts, or not). On error, which wraps [ErrSnapshot], the operator is
// unchanged. The limits of
// Options are not applied to the restored state.
func (op *Over[R, K, A, V]) Restore(data []byte) error {
	st, err := op.decode(data)
	if err != nil {
		return fmt.Errorf("%w: window.Over: %w", ErrSnapshot, err)
	}
	op.st = st
	return nil
}

type overReader struct {
	b   []byte
	err error
}

func (r *overReader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf(format, args...)
	}
}

func (r *overReader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	x, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail("truncated or corrupt varint")
		return 0
	}
	r.b = r.b[n:]
	return x
}

func (r *overReader) varint() int64 {
	if r.err != nil {
		return 0
	}
	x, n := binary.Varint(r.b)
	if n <= 0 {
		r.fail("truncated or corrupt varint")
		return 0
	}
	r.b = r.b[n:]
	return x
}

func (r *overReader) byte() byte {
	if r.err != nil {
		return 0
	}
	if len(r.b) == 0 {
		r.fail("truncated")
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

// count reads a count of items of at least one byte each, bounded by what
// is left, so corrupt input cannot make decode allocate much.
func (r *overReader) count(what string) int {
	n := r.uvarint()
	if r.err == nil && n > uint64(len(r.b)) {
		r.fail("%s count %d exceeds the %d bytes left", what, n, len(r.b))
		return 0
	}
	return int(n)
}

func overReadRecord[R any](r *overReader) R {
	var v R
	if r.err != nil {
		return v
	}
	n, err := record.ReadBinary(r.b, &v)
	if err != nil {
		r.fail("record: %w", err)
		return v
	}
	r.b = r.b[n:]
	return v
}

func (op *Over[R, K, A, V]) decode(data []byte) (overState[R, K, A], error) {
	var st overState[R, K, A]
	r := &overReader{b: data}
	if len(data) == 0 {
		return st, errors.New("empty")
	}
	if data[0] != overSnapshotVersion {
		return st, fmt.Errorf("version %d, want %d", data[0], overSnapshotVersion)
	}
	r.b = data[1:]
	if n := r.uvarint(); r.err != nil || n != uint64(len(overSnapshotMagic)) || len(r.b) < int(n) || string(r.b[:n]) != overSnapshotMagic {
		return st, errors.New("not a window.Over snapshot")
	}
	r.b = r.b[len(overSnapshotMagic):]
	want := op.appendParams(nil)
	if len(r.b) < len(want) || string(r.b[:len(want)]) != string(want) {
		return st, errors.New("written by an operator with other frames, Delay or kind of aggregate")
	}
	r.b = r.b[len(want):]
	st.reset()
	st.wm = record.Time(r.varint())
	st.maxSeen = record.Time(r.varint())
	st.records = r.uvarint()
	st.late = r.uvarint()
	st.emitted = r.uvarint()
	if lo, ok := overLow(st.maxSeen, int64(op.delay)); r.err == nil && ok && st.wm < lo {
		r.fail("watermark %d below the largest time %d less Delay", st.wm, st.maxSeen)
	}

	codec, _ := op.agg.(aggregate.StateCodec[A])
	nparts := r.count("partition")
	prevLast := record.MinTime
	for range nparts {
		nrows := r.count("row")
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
			rows[i] = overReadRecord[R](r)
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
			w.start = r.uvarint()
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
			front := r.uvarint()
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

	nbuf := r.count("buffered record")
	prevT := st.wm
	for range nbuf {
		if r.err != nil {
			break
		}
		rec := overReadRecord[R](r)
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
		st.buf = append(st.buf, overPending[R]{r: rec, t: t, seq: st.seq, part: id})
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
