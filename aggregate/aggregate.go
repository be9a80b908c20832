package aggregate

// Func is a mergeable aggregate function over records of type R. Its state is
// an accumulator of type A and its result a value of type V.
//
// The algebra every Func obeys (checked by package aggtest):
//   - The zero A is the empty aggregate, ready to use, and the identity of
//     Merge: merging a zero accumulator into a, or a into a zero one, leaves a's
//     result unchanged.
//   - Merge is associative.
//   - Adding records one by one to a single accumulator gives the same result
//     as adding them to several accumulators over consecutive runs of the
//     input and merging those in input order.
//
// Merge(dst, src) folds src into dst, where src holds records that arrived
// after dst's; order matters only for order-sensitive aggregates such as
// First and Last among equal times.
//
// Merge leaves src unchanged, and the two must not share memory afterwards:
// src may be discarded or reused. Result does not change a and may be called
// any number of times; the value it returns does not alias a.
//
// Windowed operators keep accumulators in slices and call Add once per record,
// so Add must not allocate in steady state. Result may do the expensive work
// (estimates, sorting): it is called only when a window is emitted.
//
// Constructors in this package return a Func interface value so that Go
// infers A and V at the call site; the dynamic value also implements Remover
// exactly when the aggregate is invertible, StateCodec, and Sizer when its
// accumulators hold memory behind pointers.
type Func[R, A, V any] interface {
	Add(a *A, r R)
	Merge(dst, src *A)
	Result(a *A) V
}

// Remover is implemented by a Func whose Add can be undone. Remove(a, r)
// takes out of a a record r that an earlier Add (or a Merge) put in, so that a
// is then equivalent to an accumulator that never saw r. Sliding windows use
// it to subtract a record as it leaves the window, oldest first; any order is
// allowed. Removing a record that a does not hold is undefined.
type Remover[R, A any] interface {
	Remove(a *A, r R)
}

// Extreme is implemented by a Func whose result is the value of one of the
// records it aggregates, the first of those with the best value under a
// strict weak order: Min and Max (where a NaN is the best). A sliding
// window can then keep, instead of merged accumulators, a queue of
// candidates: accumulators of one record each, oldest first, none beaten
// by a later one, so that the first holds the window's result.
//
// Candidates returns the queue's step as a plain func: push appends the
// accumulator of r alone to the candidates q[head:], after dropping from
// the back those it beats, and returns the queue and its result, that of
// its first candidate; q[:head] is left as it is.
type Extreme[R, A, V any] interface {
	Candidates() (push func(q []A, head int, r R) ([]A, V))
}

// StateCodec is implemented by a Func whose accumulators serialize, so that
// operators can snapshot their state. AppendState appends a self-delimiting
// encoding of *a to dst; ReadState decodes one from the front of src into *a
// and returns the number of bytes it used. On error ReadState leaves *a
// unchanged. Operators fall back to codec.Append on A when the Func does
// not implement StateCodec.
type StateCodec[A any] interface {
	AppendState(dst []byte, a *A) ([]byte, error)
	ReadState(a *A, src []byte) (int, error)
}

// Sizer is implemented by a Func whose accumulators hold memory behind
// pointers (maps, slices, sketches). StateSize returns an estimate of the
// bytes a holds beyond unsafe.Sizeof(A): what a keeps alive that the
// operator's own slices of A do not already count. The zero A has size 0.
// Operators add it up over their live accumulators when they report
// statistics, never per record, so StateSize may walk a's memory.
type Sizer[A any] interface {
	StateSize(a *A) int
}

// The combinators are Sizers whatever they wrap: they report what the
// aggregates they hold report, and 0 for those that are not Sizers.

func stateSize[A any](f any, a *A) int {
	if z, ok := f.(Sizer[A]); ok {
		return z.StateSize(a)
	}
	return 0
}

func (w where[R, A, V]) StateSize(a *A) int { return stateSize(w.f, a) }

func (o orNull[R, A, V]) StateSize(a *NullState[A]) int { return stateSize(o.f, &a.a) }

func (p pair[R, A1, V1, A2, V2]) StateSize(a *PairState[A1, A2]) int {
	return stateSize(p.x, &a.X) + stateSize(p.y, &a.Y)
}

func (t triple[R, A1, V1, A2, V2, A3, V3]) StateSize(a *TripleState[A1, A2, A3]) int {
	return stateSize(t.x, &a.X) + stateSize(t.y, &a.Y) + stateSize(t.z, &a.Z)
}
