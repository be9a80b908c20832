package aggregate

import (
	"encoding/binary"

	"github.com/rowtime/rowtime/record"
)

// TimedState is the accumulator of First and Last: the chosen value and its
// event time. The zero TimedState holds nothing.
type TimedState[V any] struct {
	t  record.Time
	v  V
	ok bool
}

// First returns the aggregate FIRST_VALUE(f(r)) by event time: f of the
// record with the earliest time; among records with equal times, the one
// that arrived first (was added first; Merge(dst, src) counts src as having
// arrived after dst). It is a StateCodec but not a Remover.
//
// The first of no records is the zero V; wrap First in OrNull for SQL's NULL.
func First[R record.Timed, V any](f func(R) V) Func[R, TimedState[V], V] {
	return &timed[R, V]{f: f}
}

// Last returns the aggregate LAST_VALUE(f(r)) by event time: f of the record
// with the latest time; among records with equal times, the one that arrived
// last. The last of no records is the zero V.
func Last[R record.Timed, V any](f func(R) V) Func[R, TimedState[V], V] {
	return &timed[R, V]{f: f, last: true}
}

type timed[R record.Timed, V any] struct {
	f    func(R) V
	last bool
}

func (s *timed[R, V]) Add(a *TimedState[V], r R) {
	if t := r.EventTime(); s.takes(a, t) {
		a.t, a.v, a.ok = t, s.f(r), true
	}
}

// takes reports whether a value at time t, arriving after everything in a,
// replaces a's value.
func (s *timed[R, V]) takes(a *TimedState[V], t record.Time) bool {
	if !a.ok {
		return true
	}
	if s.last {
		return t >= a.t
	}
	return t < a.t
}

func (s *timed[R, V]) Merge(dst, src *TimedState[V]) {
	if src.ok && s.takes(dst, src.t) {
		*dst = *src
	}
}

func (s *timed[R, V]) Result(a *TimedState[V]) V { return a.v }

func (s *timed[R, V]) AppendState(dst []byte, a *TimedState[V]) ([]byte, error) {
	if !a.ok {
		return append(dst, 0), nil
	}
	dst = binary.AppendVarint(append(dst, 1), int64(a.t))
	return appendValue(dst, a.v)
}

func (s *timed[R, V]) ReadState(a *TimedState[V], src []byte) (int, error) {
	if len(src) == 0 {
		return 0, ErrTruncated
	}
	switch src[0] {
	case 0:
		*a = TimedState[V]{}
		return 1, nil
	case 1:
		t, n, err := readVarint(src[1:])
		if err != nil {
			return 0, err
		}
		var v V
		m, err := readValue(src[1+n:], &v)
		if err != nil {
			return 0, err
		}
		*a = TimedState[V]{t: record.Time(t), v: v, ok: true}
		return 1 + n + m, nil
	}
	return 0, errCorrupt
}
