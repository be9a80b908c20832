package main

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	"github.com/rowtime/rowtime/aggregate"
	"github.com/rowtime/rowtime/record"
	"github.com/rowtime/rowtime/record/codec"
)

// ErrMerge is wrapped by the errors of the merge of partial results.
var ErrMerge = errors.New("consumer: merge")

// Merger is the part of an aggregate the merge of shards needs.
type Merger[A, V any] interface {
	Merge(dst, src *A)
	Result(a *A) V
}

// span is a window.
type span struct{ Start, End record.Time }

type mergeKey[K comparable] struct {
	w   span
	key K
}

// merge combines the partial results that the shards' operators emit, one
// accumulator per (window, key), and hands out a window's merged results
// once it is final: when every shard's watermark has passed its end, so no
// shard can add to it.
//
// Accumulators are merged in the order the partials arrive; for the
// commutative aggregates of the consumer's query that order does not change
// the result.
type merge[K comparable, A, V any] struct {
	f       Merger[A, V]
	compare func(a, b K) int // order of keys among the results of one window
	codec   aggregate.StateCodec[A]

	index map[mergeKey[K]]int
	keys  []mergeKey[K]
	accs  []A
	final record.Time // every window ending at or before it has been emitted
}

func newMerge[K comparable, A, V any](f Merger[A, V], compare func(a, b K) int) *merge[K, A, V] {
	m := &merge[K, A, V]{f: f, compare: compare, index: map[mergeKey[K]]int{}, final: record.MinTime}
	m.codec, _ = f.(aggregate.StateCodec[A])
	return m
}

// add folds the partial accumulator a of key in window [start, end) in.
// A partial for a window that is already final is an error: it would be
// lost, so the consumer reports it.
func (m *merge[K, A, V]) add(start, end record.Time, key K, a *A) error {
	if end <= m.final {
		return fmt.Errorf("%w: partial result for window [%d, %d), which is already final (up to %d)", ErrMerge, start, end, m.final)
	}
	k := mergeKey[K]{span{start, end}, key}
	i, ok := m.index[k]
	if !ok {
		i = len(m.keys)
		m.index[k] = i
		m.keys = append(m.keys, k)
		var zero A
		m.accs = append(m.accs, zero)
	}
	m.f.Merge(&m.accs[i], a)
	return nil
}

// advance emits the merged result of every window that ends at or before
// wm, ordered by end, start, then key, and forgets them.
func (m *merge[K, A, V]) advance(wm record.Time, emit func(start, end record.Time, key K, v V)) {
	if wm <= m.final {
		return
	}
	m.final = wm
	var done []int
	for i, k := range m.keys {
		if k.w.End <= wm {
			done = append(done, i)
		}
	}
	if len(done) == 0 {
		return
	}
	slices.SortFunc(done, func(a, b int) int {
		ka, kb := m.keys[a], m.keys[b]
		return cmp.Or(cmp.Compare(ka.w.End, kb.w.End), cmp.Compare(ka.w.Start, kb.w.Start), m.compare(ka.key, kb.key))
	})
	for _, i := range done {
		k := m.keys[i]
		emit(k.w.Start, k.w.End, k.key, m.f.Result(&m.accs[i]))
	}
	// Compact what is left, keeping arrival order.
	keys, accs := m.keys[:0], m.accs[:0]
	clear(m.index)
	for i, k := range m.keys {
		if k.w.End <= wm {
			continue
		}
		m.index[k] = len(keys)
		keys = append(keys, k)
		accs = append(accs, m.accs[i])
	}
	clear(m.keys[len(keys):])
	clear(m.accs[len(accs):])
	m.keys, m.accs = keys, accs
}

// pending returns the number of (window, key) accumulators held.
func (m *merge[K, A, V]) pending() int { return len(m.keys) }

// mergeVersion is the first byte of a merge snapshot.
const mergeVersion = 1

// appendSnapshot appends the merge's state: version, final, then each
// (window, key, accumulator) in arrival order.
func (m *merge[K, A, V]) appendSnapshot(dst []byte) ([]byte, error) {
	dst = append(dst, mergeVersion)
	dst = binary.AppendVarint(dst, int64(m.final))
	dst = binary.AppendUvarint(dst, uint64(len(m.keys)))
	var err error
	for i, k := range m.keys {
		dst = binary.AppendVarint(dst, int64(k.w.Start))
		dst = binary.AppendVarint(dst, int64(k.w.End))
		if dst, err = codec.Append(dst, k.key); err != nil {
			return dst, fmt.Errorf("%w: key: %w", ErrMerge, err)
		}
		if m.codec != nil {
			dst, err = m.codec.AppendState(dst, &m.accs[i])
		} else {
			dst, err = codec.Append(dst, m.accs[i])
		}
		if err != nil {
			return dst, fmt.Errorf("%w: accumulator: %w", ErrMerge, err)
		}
	}
	return dst, nil
}

// restore replaces the merge's state with a snapshot; on error it is
// unchanged.
func (m *merge[K, A, V]) restore(data []byte) error {
	bad := func(what string) error { return fmt.Errorf("%w: corrupt snapshot: %s", ErrMerge, what) }
	if len(data) == 0 || data[0] != mergeVersion {
		return bad("unknown version")
	}
	p := data[1:]
	final, n := binary.Varint(p)
	if n <= 0 {
		return bad("final")
	}
	p = p[n:]
	count, n := binary.Uvarint(p)
	if n <= 0 || count > uint64(len(p)) {
		return bad("count")
	}
	p = p[n:]
	fresh := newMerge[K, A, V](m.f, m.compare)
	fresh.final = record.Time(final)
	for range count {
		start, n := binary.Varint(p)
		if n <= 0 {
			return bad("window start")
		}
		p = p[n:]
		end, n := binary.Varint(p)
		if n <= 0 || end <= start {
			return bad("window end")
		}
		p = p[n:]
		var key K
		n, err := codec.Read(p, &key)
		if err != nil {
			return fmt.Errorf("%w: key: %w", ErrMerge, err)
		}
		p = p[n:]
		var a A
		if m.codec != nil {
			n, err = m.codec.ReadState(&a, p)
		} else {
			n, err = codec.Read(p, &a)
		}
		if err != nil {
			return fmt.Errorf("%w: accumulator: %w", ErrMerge, err)
		}
		p = p[n:]
		k := mergeKey[K]{span{record.Time(start), record.Time(end)}, key}
		if _, dup := fresh.index[k]; dup || record.Time(end) <= fresh.final {
			return bad("repeated or final window")
		}
		fresh.index[k] = len(fresh.keys)
		fresh.keys = append(fresh.keys, k)
		fresh.accs = append(fresh.accs, a)
	}
	if len(p) != 0 {
		return bad("bytes after the end")
	}
	*m = *fresh
	return nil
}
