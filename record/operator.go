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

// At returns the record of value v at time t: Of[V]{Time: t, Value: v},
// which reads better than a composite literal and which go vet does not flag
// for unkeyed fields.
func At[V any](t Time, v V) Of[V] { return Of[V]{Time: t, Value: v} }

// EventTime returns r.Time.
func (r Of[V]) EventTime() Time { return r.Time }

// An Operator turns records of type In into results of type Out.
//
// Results are handed to emit on the caller's goroutine, during the call that
// completes them. A nil emit is accepted: the results are discarded. An
// Operator is not safe for concurrent use: shard by key across operators
// instead.
//
// # Errors
//
// Push, Advance and Flush of every operator in rowtime, and of every
// composition of them ([Then], [Tee], [Map], [MapErr], [Filter], [FilterMap]),
// return nil, a refusal or a failure:
//
//   - A refusal, for which [IsRefused] is true (a record that does not
//     decode, a limit reached, a bad value, a late record the options
//     refuse), changed nothing: no stage took the record and nothing was
//     emitted. The caller may go on with the next record; what it does with
//     the refused one (count it, set it aside) is its own choice.
//   - Any other error is a failure: the state may have moved, and some
//     results may have been emitted. The caller drops what the call emitted,
//     restores the snapshot taken before the call, and replays from there.
//   - A replay that fails the same way shows a deterministic failure, such
//     as a later stage's limit refusing what an earlier stage made of the
//     record. The caller restores the snapshot once more, puts the input
//     record in its dead letters, and goes on with the next one. Advance and
//     Flush of a composition have no input record: they go on past a stage
//     that rejects one of their results (see [Then]), so after a replay that
//     fails the same way the caller keeps the state the call left and sets
//     the error aside.
//   - Push and Advance after Flush return [ErrFlushed], a failure that no
//     replay mends: Flush ends the input.
//
// A composition wraps the error of a stage in a *[StageError], which
// decides whether it is a refusal: only when nothing had moved, that is when
// it is the error of the first stage to take the record and that stage
// refused it.
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
//
// It is a refusal (see [IsRefused]) when the stage's own error is one and
// Taken is false. Taken is set when another stage had already taken the
// record or moved before this one failed: a later stage of a [Then]
// refusing a result that an earlier, stateful stage emitted, or an op of a
// [Tee] refusing a record another op had taken. Such an error is a failure
// of the input, whatever the stage's own error says.
type StageError struct {
	Op    string // "then" or "tee"
	Stage int    // the failing stage, from 1
	Err   error  // the stage's own error
	Taken bool   // another stage had moved: not a refusal of the input
}

// Error returns a message naming the composition and the stage.
func (e *StageError) Error() string {
	return fmt.Sprintf("record: %s stage %d: %v", e.Op, e.Stage, e.Err)
}

// Unwrap returns e.Err.
func (e *StageError) Unwrap() error { return e.Err }

// Refused reports whether the composed call refused its input: the stage
// refused it and no other stage had moved.
func (e *StageError) Refused() bool { return !e.Taken && IsRefused(e.Err) }

func stageErr(op string, stage int, err error, taken bool) error {
	if err == nil {
		return nil
	}
	return &StageError{Op: op, Stage: stage, Err: err, Taken: taken}
}

// discard is the emit that compositions use for a nil one.
func discard[T any](T) {}

// Then composes x and y: every result of x is pushed into y, and y's results
// are the composition's results.
//
// Advance(wm) first advances x, pushing the results that completes into y,
// and only then advances y, so x's results are never late in y. Flush does the
// same with Flush. An error from either stage, including one y returns while
// consuming x's results inside x's emit, comes back from the composed call as
// a *[StageError] naming the stage (1 for x, 2 for y).
//
// Under the contract of [Operator], an error of x is the composition's
// refusal when x refused; an error of y is one only when x keeps no state
// and emits at most one result per record ([Map], [MapErr], [Filter],
// [FilterMap], the joins of package table, or Thens of them), since
// otherwise x has taken the record by the time y sees what x made of it.
//
// When y rejects one of x's results, the remaining results of the same call
// still go to y, and all of y's errors are returned joined. In Advance and
// Flush, y is then still advanced or flushed, so nothing but the rejected
// results goes missing; so it is after any failure of x (which the caller
// undoes by restoring). Only a refusal by x stops the call before y is
// advanced: nothing moved, and nothing may.
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

// single is implemented by the operators of this package that keep no
// state and emit at most one result per record, so that a later stage's
// refusal of that result is a refusal of the record.
type singler interface{ single() bool }

func single(op any) bool {
	s, ok := op.(singler)
	return ok && s.single()
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
	if emit == nil {
		emit = discard[C]
	}
	if err := t.y.Push(b, emit); err != nil {
		// x keeps no state: y is the first stage to take the record.
		return &StageError{Op: "then", Stage: 2, Err: err}
	}
	return nil
}

func (t *thenStep[A, B, C]) Advance(wm Time, emit func(C)) error {
	if emit == nil {
		emit = discard[C]
	}
	return stageErr("then", 2, t.y.Advance(wm, emit), false)
}

func (t *thenStep[A, B, C]) Flush(emit func(C)) error {
	if emit == nil {
		emit = discard[C]
	}
	return stageErr("then", 2, t.y.Flush(emit), false)
}

func (t *thenStep[A, B, C]) Stages() []any { return []any{t.x, t.y} }

func (t *thenStep[A, B, C]) single() bool { return single(t.x) && single(t.y) }

// thenFunc is Then when x is a funcOp.
type thenFunc[A, B, C any] struct {
	x     Operator[A, B] // for Stages
	f     func(A) B
	y     Operator[B, C]
	fused func(A) C // f then y's function, when y is a funcOp too
}

func (t *thenFunc[A, B, C]) Push(in A, emit func(C)) error {
	if t.fused != nil {
		c := t.fused(in)
		if emit != nil {
			emit(c)
		}
		return nil
	}
	if emit == nil {
		emit = discard[C]
	}
	if err := t.y.Push(t.f(in), emit); err != nil {
		return &StageError{Op: "then", Stage: 2, Err: err}
	}
	return nil
}

func (t *thenFunc[A, B, C]) Advance(wm Time, emit func(C)) error {
	if emit == nil {
		emit = discard[C]
	}
	return stageErr("then", 2, t.y.Advance(wm, emit), false)
}

func (t *thenFunc[A, B, C]) Flush(emit func(C)) error {
	if emit == nil {
		emit = discard[C]
	}
	return stageErr("then", 2, t.y.Flush(emit), false)
}

func (t *thenFunc[A, B, C]) Stages() []any { return []any{t.x, t.y} }

func (t *thenFunc[A, B, C]) single() bool { return single(t.x) && single(t.y) }

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

// run installs emit for one call of f on x and restores the previous emit
// after it, so a Then may be re-entered from inside an emit. It returns x's
// own error and the errors y returned for x's results.
func (t *then[A, B, C]) run(emit func(C), f func() error) (xerr, yerr error) {
	if emit == nil {
		emit = discard[C]
	}
	prevEmit, prevErr := t.emit, t.yerr
	t.emit, t.yerr = emit, nil
	xerr = f()
	yerr = t.yerr
	t.emit, t.yerr = prevEmit, prevErr
	return xerr, yerr
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
	if emit == nil {
		emit = discard[C]
	}
	prevEmit, prevErr := t.emit, t.yerr
	t.emit, t.yerr = emit, nil
	xerr := t.x.Push(in, t.forward)
	yerr := t.yerr
	t.emit, t.yerr = prevEmit, prevErr
	if xerr == nil && yerr == nil {
		return nil
	}
	return join2(stageErr("then", 1, xerr, false), stageErr("then", 2, yerr, !single(t.x)))
}

func (t *then[A, B, C]) Advance(wm Time, emit func(C)) error {
	xerr, yerr := t.run(emit, func() error { return t.x.Advance(wm, t.forward) })
	return t.finish(xerr, yerr, func() error { return t.y.Advance(wm, orDiscard(emit)) })
}

func (t *then[A, B, C]) Flush(emit func(C)) error {
	xerr, yerr := t.run(emit, func() error { return t.x.Flush(t.forward) })
	return t.finish(xerr, yerr, func() error { return t.y.Flush(orDiscard(emit)) })
}

// finish ends an Advance or Flush: unless x refused the call, y is advanced
// or flushed by next even when it rejected some of x's results, so that only
// those go missing.
func (t *then[A, B, C]) finish(xerr, yerr error, next func() error) error {
	moved := !single(t.x)
	errs := join2(stageErr("then", 1, xerr, false), stageErr("then", 2, yerr, moved))
	if xerr != nil && IsRefused(errs) {
		return errs // nothing moved: neither may y
	}
	return join2(errs, stageErr("then", 2, next(), moved))
}

func orDiscard[T any](emit func(T)) func(T) {
	if emit == nil {
		return discard[T]
	}
	return emit
}

// Stages returns x and y, so tools such as snapshots can walk a pipeline.
func (t *then[A, B, C]) Stages() []any { return []any{t.x, t.y} }

func (t *then[A, B, C]) single() bool { return single(t.x) && single(t.y) }

// Tee fans each record out to every one of ops, in order, and merges their
// results into one output. Advance and Flush reach every op. Errors are
// returned as *[StageError] values (joined when several ops fail).
//
// Under the contract of [Operator], a Tee refuses a record only when no op
// has moved: when the first op refuses it, the Tee returns that refusal at
// once and the other ops do not see the record. Once the first op has taken
// it, every op sees it, and an error of any op is a failure of the Tee (the
// caller restores and replays), even if that op refused. Advance and Flush
// follow the same rule.
//
// The ops share one output type. To fan out to pumps whose outputs differ,
// compose each with a [Map] into one type that says which pump a result
// comes from (a struct with a field per pump, or an interface), as the
// example shows; the Tee is then one operator with one snapshot. Pumps that
// must stay separate operators are snapshotted together with
// [AppendSnapshot].
func Tee[In, Out any](ops ...Operator[In, Out]) Operator[In, Out] {
	return tee[In, Out](ops)
}

type tee[In, Out any] []Operator[In, Out]

// fail adds the error err of op i to errs, or tells that the Tee refuses
// the call at once (stop).
func (t tee[In, Out]) fail(errs error, i int, err error) (_ error, stop bool) {
	if i == 0 && IsRefused(err) {
		return &StageError{Op: "tee", Stage: 1, Err: err}, true
	}
	return join2(errs, &StageError{Op: "tee", Stage: i + 1, Err: err, Taken: i > 0}), false
}

func (t tee[In, Out]) each(f func(Operator[In, Out]) error) error {
	var errs error
	for i, op := range t {
		if err := f(op); err != nil {
			var stop bool
			if errs, stop = t.fail(errs, i, err); stop {
				return errs
			}
		}
	}
	return errs
}

func (t tee[In, Out]) Push(in In, emit func(Out)) error {
	if emit == nil {
		emit = discard[Out]
	}
	var errs error
	for i, op := range t {
		if err := op.Push(in, emit); err != nil {
			var stop bool
			if errs, stop = t.fail(errs, i, err); stop {
				return errs
			}
		}
	}
	return errs
}

func (t tee[In, Out]) Advance(wm Time, emit func(Out)) error {
	emit = orDiscard(emit)
	return t.each(func(op Operator[In, Out]) error { return op.Advance(wm, emit) })
}

func (t tee[In, Out]) Flush(emit func(Out)) error {
	emit = orDiscard(emit)
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

// Map returns a stateless operator that emits f(in) for every record. It
// never fails.
func Map[In, Out any](f func(In) Out) Operator[In, Out] { return mapOp[In, Out](f) }

type mapOp[In, Out any] func(In) Out

func (m mapOp[In, Out]) fn() func(In) Out { return m }

func (m mapOp[In, Out]) step(in In) (Out, bool, error) { return m(in), true, nil }

func (m mapOp[In, Out]) Push(in In, emit func(Out)) error {
	out := m(in)
	if emit != nil {
		emit(out)
	}
	return nil
}
func (mapOp[In, Out]) Advance(Time, func(Out)) error { return nil }
func (mapOp[In, Out]) Flush(func(Out)) error         { return nil }
func (mapOp[In, Out]) single() bool                  { return true }

// MapErr is like [Map] for a function that can fail: when f returns an error,
// Push returns it and emits nothing, so the record goes back to the caller.
// Whether that error is a refusal is f's to say: wrap [ErrRefused] in it for
// a record f rejects (a bad value), and return a plain error for one it
// could not handle this time.
func MapErr[In, Out any](f func(In) (Out, error)) Operator[In, Out] {
	return mapErrOp[In, Out](f)
}

type mapErrOp[In, Out any] func(In) (Out, error)

func (m mapErrOp[In, Out]) Push(in In, emit func(Out)) error {
	out, err := m(in)
	if err != nil {
		return err
	}
	if emit != nil {
		emit(out)
	}
	return nil
}
func (m mapErrOp[In, Out]) step(in In) (Out, bool, error) {
	out, err := m(in)
	return out, err == nil, err
}

func (mapErrOp[In, Out]) Advance(Time, func(Out)) error { return nil }
func (mapErrOp[In, Out]) Flush(func(Out)) error         { return nil }
func (mapErrOp[In, Out]) single() bool                  { return true }

// Filter returns a stateless operator that passes on the records for which
// keep returns true. Records it filters out are meant to go: a filter is where
// a query says so (SQL WHERE, an inner join without a match). It never
// fails.
func Filter[T any](keep func(T) bool) Operator[T, T] { return filterOp[T](keep) }

type filterOp[T any] func(T) bool

func (f filterOp[T]) Push(in T, emit func(T)) error {
	if f(in) && emit != nil {
		emit(in)
	}
	return nil
}
func (f filterOp[T]) step(in T) (T, bool, error) { return in, f(in), nil }

func (filterOp[T]) Advance(Time, func(T)) error { return nil }
func (filterOp[T]) Flush(func(T)) error         { return nil }
func (filterOp[T]) single() bool                { return true }

// FilterMap returns a stateless operator that emits f's result for the
// records for which f reports true and emits nothing for the others: a
// [Filter] and a [Map] in one function, for a step that decides whether
// there is a result while it computes it (a look-up that may miss, a
// parse that may find nothing to emit). When f returns an error, Push
// returns it and emits nothing, as [MapErr] does; f decides whether it is
// a refusal.
//
// Like Map, MapErr and Filter, it keeps no state (a composed snapshot
// writes nothing for it) and emits at most one result per record, so a
// later stage of a [Then] refusing that result refuses the record.
func FilterMap[In, Out any](f func(In) (Out, bool, error)) Operator[In, Out] {
	return filterMapOp[In, Out](f)
}

type filterMapOp[In, Out any] func(In) (Out, bool, error)

func (m filterMapOp[In, Out]) Push(in In, emit func(Out)) error {
	out, ok, err := m(in)
	if err != nil {
		return err
	}
	if ok && emit != nil {
		emit(out)
	}
	return nil
}
func (m filterMapOp[In, Out]) step(in In) (Out, bool, error) {
	out, ok, err := m(in)
	return out, ok && err == nil, err
}

func (filterMapOp[In, Out]) Advance(Time, func(Out)) error { return nil }
func (filterMapOp[In, Out]) Flush(func(Out)) error         { return nil }
func (filterMapOp[In, Out]) single() bool                  { return true }

// Collect pushes every record of in through op, then flushes it, and returns
// all results in emission order. A record that op rejects does not stop the
// run: Collect goes on with the next one and returns the first error, wrapped
// with the index of the record that caused it.
//
// Collect takes no snapshots, so it does not restore and replay after an
// error that is not a refusal (see [Operator]): it is meant for tests and
// for input whose run is simply redone when it fails.
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
