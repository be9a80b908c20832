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
func (op *overOp[R, K, A, V]) describe() *record.Descriptor {
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
	return d
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

// appendState writes every partition's rows and window positions, then
// the reorder buffer (see Over.AppendSnapshot).
func (op *overOp[R, K, A, V]) appendState(w *snapWriter) {
	s := &op.st

	// Partitions with rows, least recently processed first.
	var ids []int32
	for id := range s.parts {
		if p := &s.parts[id]; p.tail > p.head {
			ids = append(ids, int32(id))
		}
	}
	slices.SortFunc(ids, func(a, b int32) int { return cmp.Compare(s.parts[a].seq, s.parts[b].seq) })
	w.u64(uint64(len(ids)))
	for _, id := range ids {
		p := &s.parts[id]
		mask := uint64(len(p.rows) - 1)
		w.u64(p.tail - p.head)
		for i := p.head; i < p.tail; i++ {
			appendValue(w, p.rows[i&mask])
		}
		for i := range p.win {
			win := &p.win[i]
			w.u64(win.start - p.head)
			if op.rm == nil {
				w.u64(win.mid - win.start)
				continue
			}
			appendAcc(w, op.agg, &win.acc)
		}
	}

	// The reorder buffer in processing order; Restore numbers it afresh.
	sorted := append([]pending[R](nil), s.buf...)
	sortPending(sorted)
	w.u64(uint64(len(sorted)))
	for i := range sorted {
		appendValue(w, sorted[i].r)
	}
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

func (op *overOp[R, K, A, V]) empty(c *core[R]) engine[R, OverRow[R, V]] {
	e := *op
	e.c = c
	e.st = overState[R, K, A]{}
	e.st.reset()
	e.vals = make([]V, len(op.frames))
	return &e
}

func (op *overOp[R, K, A, V]) restored(int64) {} // Over has no Lateness

// openLegacy checks the head of a snapshot of the format before the
// envelope and returns a reader of the rest; legacyBody does the checks.
// The Delay it was written with may differ.
func (op *overOp[R, K, A, V]) openLegacy(data []byte) (*snapReader, int64, error) {
	body, err := op.legacyBody(data)
	if err != nil {
		return nil, 0, fmt.Errorf("%w: window.Over: %w", ErrSnapshot, err)
	}
	return &snapReader{b: body}, 0, nil
}

func (op *overOp[R, K, A, V]) legacyBody(data []byte) ([]byte, error) {
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

// readState reads the partitions and the reorder buffer into an empty
// engine, checked against the watermark of its core, read before them.
func (op *overOp[R, K, A, V]) readState(r *snapReader) {
	c, st := op.c, &op.st
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
				ki = keyOf(op.key, rows[i])
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
		if prevT > c.wm || prevT < prevLast {
			r.fail("partition's last time %d is past the watermark or out of order", prevT)
			break
		}
		prevLast = prevT
		if _, dup := st.keys.get(k); dup || (op.key == nil && st.one >= 0) {
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
			if lo, ok := lowBound(prevT, f.n); f.byTime && ok {
				if w.start > 0 && rows[w.start-1].EventTime() >= lo {
					r.fail("%v window starts too late", f)
				}
				if rows[w.start].EventTime() < lo {
					r.fail("%v window holds rows out of range", f)
				}
			}
			minStart = min(minStart, w.start)
			if op.rm != nil {
				readAcc(r, op.agg, &w.acc)
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
			if op.ext { // the candidates follow from the rows
				for j := w.start; j < p.tail; j++ {
					op.extPush(w, rows[j], j)
				}
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
			st.lru.moveBack(id)
		}
	}

	nbuf := r.count()
	prevT := c.wm
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
		if t <= c.wm || t < prevT || t > c.maxSeen {
			r.fail("buffered record at %d out of order or not above the watermark %d", t, c.wm)
			break
		}
		prevT = t
		var k K
		id := st.one
		if op.key != nil {
			k = keyOf(op.key, rec)
			var ok bool
			if id, ok = st.keys.get(k); !ok {
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
	// buf was filled in (t, seq) order, which is already a valid heap.
}

func overCeilPow2(n int) int {
	p := 1
	for p < n {
		p <<= 1
	}
	return p
}
