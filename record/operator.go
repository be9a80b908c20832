package record

import (
	"errors"
	"fmt"
)

// Timed is the constraint satisfied by record types that carry an event time.
// A user's record type implements it with a method that reads a field, so
// operators read the time without boxing the record in an interface.
type Timed interface {
	EventTime() Time
}

// Of is a ready-made record: an event time and a value.
type Of[V any] struct {
	Time  Time // the event time
	Value V    // the record itself
}

// EventTime returns r.Time.
func (r Of[V]) EventTime() Time { return r.Time }

// An Operator turns records of type In into results of type Out.
//
// Results are handed to emit on the caller's goroutine, during the call that
// completes them. An Operator is not safe for concurrent use: shard by key
// across operators instead.
//
// An error from Push means the record was not taken: the operator's state is
// as it was before the call, and the record is still the caller's.
type Operator[In, Out any] interface {
	// Push takes one record and emits the results it completes.
	Push(in In, emit func(Out)) error
	// Advance tells the operator that no record with time < wm will arrive,
	// and emits every result that this completes.
	Advance(wm Time, emit func(Out)) error
	// Flush marks the end of input and emits everything still open.
	Flush(emit func(Out)) error
}

// StageError is the error a composed operator returns when one of its stages
// fails. Stage counts from 1 in the order the stages were given.
type StageError struct {
	Op    string // "then" or "tee"
	Stage int    // the failing stage, from 1
	Err   error  // the stage's own error
}

// Error returns a message naming the composition and the stage.
func (e *StageError) Error() string {
	return fmt.Sprintf("record: %s stage %d: %v", e.Op, e.Stage, e.Err)
}

// Unwrap returns e.Err.
func (e *StageError) Unwrap() error { return e.Err }

func stageErr(op string, stage int, err error) error {
	if err == nil {
		return nil
	}
	return &StageError{Op: op, Stage: stage, Err: err}
}

// Then composes x and y: every result of x is pushed into y, and y's results
// are the composition's results.
//
// Advance(wm) first advances x, pushing the results that completes into y,
// and only then advances y, so x's results are never late in y. Flush does the
// same with Flush. An error from either stage, including one y returns while
// consuming x's results inside x's emit, comes back from the composed call as
// a *[StageError] naming the stage (1 for x, 2 for y). When y rejects one of
// x's results, the remaining results of the same call still go to y, and all
// of y's errors are returned joined.
func Then[A, B, C any](x Operator[A, B], y Operator[B, C]) Operator[A, C] {
	if f := asFunc(x); f != nil {
		// x is a pure function (Map, or a Then of Maps): call it and push
		// straight into y, with no emit to keep between calls.
		t := &thenFunc[A, B, C]{x: x, f: f, y: y}
		if g := asFunc(y); g != nil {
			t.fused = func(a A) C { return g(f(a)) }
		}
		return t
	}
	if s, ok := x.(stepper[A, B]); ok {
		// x emits at most one result per record and keeps no state
		// (Filter, MapErr, a join): the same, through its step method.
		return &thenStep[A, B, C]{x: x, s: s, y: y}
	}
	t := &then[A, B, C]{x: x, y: y}
	t.forward = t.push
	return t
}

// funcOp is implemented by operators that are a pure function of each
// record: they emit exactly fn()(in) for every Push, never fail, and do
// nothing on Advance and Flush. Then calls the function directly.
type funcOp[In, Out any] interface {
	fn() func(In) Out // nil when the operator is not a pure function after all
}

func asFunc[In, Out any](op Operator[In, Out]) func(In) Out {
	if f, ok := op.(funcOp[In, Out]); ok {
		return f.fn()
	}
	return nil
}

// stepper is implemented by stateless operators that emit at most one
// result per record and do nothing on Advance and Flush. step returns the
// result and whether there is one, or Push's error.
type stepper[In, Out any] interface {
	step(in In) (Out, bool, error)
}

// thenStep is Then when x is a stepper.
type thenStep[A, B, C any] struct {
	x Operator[A, B] // for Stages
	s stepper[A, B]
	y Operator[B, C]
}

func (t *thenStep[A, B, C]) Push(in A, emit func(C)) error {
	b, ok, err := t.s.step(in)
	if err != nil {
		return &StageError{Op: "then", Stage: 1, Err: err}
	}
	if !ok {
		return nil
	}
	if err := t.y.Push(b, emit); err != nil {
		return &StageError{Op: "then", Stage: 2, Err: err}
	}
	return nil
}

func (t *thenStep[A, B, C]) Advance(wm Time, emit func(C)) error {
	return stageErr("then", 2, t.y.Advance(wm, emit))
}

func (t *thenStep[A, B, C]) Flush(emit func(C)) error {
	return stageErr("then", 2, t.y.Flush(emit))
}

func (t *thenStep[A, B, C]) Stages() []any { return []any{t.x, t.y} }

// thenFunc is Then when x is a funcOp.
type thenFunc[A, B, C any] struct {
	x     Operator[A, B] // for Stages
	f     func(A) B
	y     Operator[B, C]
	fused func(A) C // f then y's function, when y is a funcOp too
}

func (t *thenFunc[A, B, C]) Push(in A, emit func(C)) error {
	if t.fused != nil {
		emit(t.fused(in))
		return nil
	}
	if err := t.y.Push(t.f(in), emit); err != nil {
		return &StageError{Op: "then", Stage: 2, Err: err}
	}
	return nil
}

func (t *thenFunc[A, B, C]) Advance(wm Time, emit func(C)) error {
	return stageErr("then", 2, t.y.Advance(wm, emit))
}

func (t *thenFunc[A, B, C]) Flush(emit func(C)) error {
	return stageErr("then", 2, t.y.Flush(emit))
}

func (t *thenFunc[A, B, C]) Stages() []any { return []any{t.x, t.y} }

// fn makes a Then of two functions a function itself, so chains of Maps
// compose into one call per record. It is only a funcOp when fused is set.
func (t *thenFunc[A, B, C]) fn() func(A) C { return t.fused }

type then[A, B, C any] struct {
	x       Operator[A, B]
	y       Operator[B, C]
	forward func(B) // t.push bound once, so Push does not allocate
	emit    func(C)
	yerr    error
}

func (t *then[A, B, C]) push(b B) {
	if err := t.y.Push(b, t.emit); err != nil {
		t.yerr = errors.Join(t.yerr, err)
	}
}

// run installs emit for one call of f and restores the previous emit after
// it, so a Then may be re-entered from inside an emit.
func (t *then[A, B, C]) run(emit func(C), f func() error) error {
	prevEmit, prevErr := t.emit, t.yerr
	t.emit, t.yerr = emit, nil
	xerr := f()
	yerr := t.yerr
	t.emit, t.yerr = prevEmit, prevErr
	return join2(stageErr("then", 1, xerr), stageErr("then", 2, yerr))
}

// join2 is errors.Join for two errors that returns a lone error as it is,
// so callers can also type-assert it.
func join2(a, b error) error {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	}
	return errors.Join(a, b)
}

func (t *then[A, B, C]) Push(in A, emit func(C)) error {
	prevEmit, prevErr := t.emit, t.yerr
	t.emit, t.yerr = emit, nil
	xerr := t.x.Push(in, t.forward)
	yerr := t.yerr
	t.emit, t.yerr = prevEmit, prevErr
	if xerr == nil && yerr == nil {
		return nil
	}
	return join2(stageErr("then", 1, xerr), stageErr("then", 2, yerr))
}

func (t *then[A, B, C]) Advance(wm Time, emit func(C)) error {
	err := t.run(emit, func() error { return t.x.Advance(wm, t.forward) })
	if err != nil {
		return err
	}
	return stageErr("then", 2, t.y.Advance(wm, emit))
}

func (t *then[A, B, C]) Flush(emit func(C)) error {
	err := t.run(emit, func() error { return t.x.Flush(t.forward) })
	if err != nil {
		return err
	}
	return stageErr("then", 2, t.y.Flush(emit))
}

// Stages returns x and y, so tools such as snapshots can walk a pipeline.
func (t *then[A, B, C]) Stages() []any { return []any{t.x, t.y} }

// Tee fans each record out to every one of ops, in order, and merges their
// results into one output. Advance and Flush reach every op. Errors are
// returned as *[StageError] values (joined when several ops fail); an op that
// fails does not stop the others from seeing the record.
func Tee[In, Out any](ops ...Operator[In, Out]) Operator[In, Out] {
	return tee[In, Out](ops)
}

type tee[In, Out any] []Operator[In, Out]

func (t tee[In, Out]) each(f func(Operator[In, Out]) error) error {
	var errs error
	for i, op := range t {
		if err := f(op); err != nil {
			errs = errors.Join(errs, stageErr("tee", i+1, err))
		}
	}
	return errs
}

func (t tee[In, Out]) Push(in In, emit func(Out)) error {
	var errs error
	for i, op := range t {
		if err := op.Push(in, emit); err != nil {
			errs = errors.Join(errs, stageErr("tee", i+1, err))
		}
	}
	return errs
}

func (t tee[In, Out]) Advance(wm Time, emit func(Out)) error {
	return t.each(func(op Operator[In, Out]) error { return op.Advance(wm, emit) })
}

func (t tee[In, Out]) Flush(emit func(Out)) error {
	return t.each(func(op Operator[In, Out]) error { return op.Flush(emit) })
}

// Stages returns the fanned-out operators.
func (t tee[In, Out]) Stages() []any {
	s := make([]any, len(t))
	for i, op := range t {
		s[i] = op
	}
	return s
}

// Map returns a stateless operator that emits f(in) for every record.
func Map[In, Out any](f func(In) Out) Operator[In, Out] { return mapOp[In, Out](f) }

type mapOp[In, Out any] func(In) Out

func (m mapOp[In, Out]) fn() func(In) Out { return m }

func (m mapOp[In, Out]) step(in In) (Out, bool, error) { return m(in), true, nil }

func (m mapOp[In, Out]) Push(in In, emit func(Out)) error { emit(m(in)); return nil }
func (mapOp[In, Out]) Advance(Time, func(Out)) error      { return nil }
func (mapOp[In, Out]) Flush(func(Out)) error              { return nil }

// MapErr is like [Map] for a function that can fail: when f returns an error,
// Push returns it and emits nothing, so the record goes back to the caller.
func MapErr[In, Out any](f func(In) (Out, error)) Operator[In, Out] {
	return mapErrOp[In, Out](f)
}

type mapErrOp[In, Out any] func(In) (Out, error)

func (m mapErrOp[In, Out]) Push(in In, emit func(Out)) error {
	out, err := m(in)
	if err != nil {
		return err
	}
	emit(out)
	return nil
}
func (m mapErrOp[In, Out]) step(in In) (Out, bool, error) {
	out, err := m(in)
	return out, err == nil, err
}

func (mapErrOp[In, Out]) Advance(Time, func(Out)) error { return nil }
func (mapErrOp[In, Out]) Flush(func(Out)) error         { return nil }

// Filter returns a stateless operator that passes on the records for which
// keep returns true. Records it filters out are meant to go: a filter is where
// a query says so (SQL WHERE, an inner join without a match).
func Filter[T any](keep func(T) bool) Operator[T, T] { return filterOp[T](keep) }

type filterOp[T any] func(T) bool

func (f filterOp[T]) Push(in T, emit func(T)) error {
	if f(in) {
		emit(in)
	}
	return nil
}
func (f filterOp[T]) step(in T) (T, bool, error) { return in, f(in), nil }

func (filterOp[T]) Advance(Time, func(T)) error { return nil }
func (filterOp[T]) Flush(func(T)) error         { return nil }

// Collect pushes every record of in through op, then flushes it, and returns
// all results in emission order. A record that op rejects does not stop the
// run: Collect goes on with the next one and returns the first error, wrapped
// with the index of the record that caused it.
func Collect[In, Out any](op Operator[In, Out], in []In) ([]Out, error) {
	var out []Out
	emit := func(o Out) { out = append(out, o) }
	var first error
	for i, r := range in {
		if err := op.Push(r, emit); err != nil && first == nil {
			first = fmt.Errorf("record %d: %w", i, err)
		}
	}
	if err := op.Flush(emit); err != nil && first == nil {
		first = fmt.Errorf("flush: %w", err)
	}
	return out, first
}
