package aggregate

import (
	"reflect"

	"github.com/rowtime/rowtime/record/codec"
)

// Partial returns f with its accumulator as its result: it adds and merges
// as f does, and Result returns the accumulator itself instead of f's
// result. It is the aggregate of one shard of a query that runs on several:
// each shard's windowed operator emits, per window and key, the state of f
// rather than a finished value; whoever reads every shard merges the states
// of one window and key with f.Merge and takes f.Result of the merge. Since
// f is mergeable, that is exactly the result of one operator fed every
// shard, also for aggregates whose results cannot be combined (an average,
// a distinct count, a top-K).
//
// Result returns a copy that shares no memory with the accumulator, so a
// result may be kept and merged into while the operator goes on updating
// the window (under allowed lateness): a plain copy when A holds no
// pointers, maps, slices or interfaces, and otherwise a deep copy through
// the state codec (f's own, or package codec). An A that holds pointers and
// that no codec can write (a struct with unexported fields and no
// StateCodec) cannot be copied: its Result is the accumulator as it is,
// sharing its memory, and an operator refuses to snapshot it anyway.
//
// Partial is a Remover when f is one, a [StateCodec], a [Sizer] and a
// [Describer] ("Partial(f)"), so an operator's snapshot of a partial is
// refused by one built with f itself, and the other way.
func Partial[R, A, V any](f Func[R, A, V]) Func[R, A, A] {
	p := partial[R, A, V]{f: f}
	p.c, _ = f.(StateCodec[A])
	p.deep = holdsPointers(reflect.TypeFor[A]()) && (p.c != nil || codec.Check[A]() == nil)
	if rm, ok := f.(Remover[R, A]); ok {
		return partialRemover[R, A, V]{p, rm}
	}
	return p
}

type partial[R, A, V any] struct {
	f    Func[R, A, V]
	c    StateCodec[A]
	deep bool // A holds memory behind pointers: copy it through the codec
}

func (p partial[R, A, V]) Add(a *A, r R)     { p.f.Add(a, r) }
func (p partial[R, A, V]) Merge(dst, src *A) { p.f.Merge(dst, src) }

func (p partial[R, A, V]) Result(a *A) A {
	if !p.deep {
		return *a
	}
	// A codec that writes A reads it back: an error here is a value the
	// codec refuses (a state codec of f's own that fails), and the result
	// is then the accumulator itself, as for a type no codec writes.
	b, err := appendState(p.c, nil, a)
	if err != nil {
		return *a
	}
	var out A
	if _, err := readState(p.c, &out, b); err != nil {
		return *a
	}
	return out
}

func (p partial[R, A, V]) AppendState(dst []byte, a *A) ([]byte, error) {
	return appendState(p.c, dst, a)
}

func (p partial[R, A, V]) ReadState(a *A, src []byte) (int, error) {
	return readState(p.c, a, src)
}

func (p partial[R, A, V]) StateSize(a *A) int { return stateSize(p.f, a) }

// Describe returns "Partial(f)".
func (p partial[R, A, V]) Describe() string { return "Partial(" + Describe(p.f) + ")" }

type partialRemover[R, A, V any] struct {
	partial[R, A, V]
	rm Remover[R, A]
}

func (p partialRemover[R, A, V]) Remove(a *A, r R) { p.rm.Remove(a, r) }

// holdsPointers reports whether a value of type t refers to memory that a
// plain copy would share: pointers, maps, slices, channels, funcs,
// interfaces. Strings are immutable, so sharing them is harmless.
func holdsPointers(t reflect.Type) bool {
	return walkPointers(t, map[reflect.Type]bool{})
}

func walkPointers(t reflect.Type, seen map[reflect.Type]bool) bool {
	if seen[t] {
		return false
	}
	seen[t] = true
	switch t.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Chan, reflect.Func, reflect.Interface, reflect.UnsafePointer:
		return true
	case reflect.Array:
		return t.Len() > 0 && walkPointers(t.Elem(), seen)
	case reflect.Struct:
		for i := range t.NumField() {
			if walkPointers(t.Field(i).Type, seen) {
				return true
			}
		}
	}
	return false
}
