package record

import "errors"

// ErrRefused is wrapped by every error with which an operator refuses a
// record (a decode error, a limit reached, a bad value, a late record the
// options refuse) without changing any state: the caller may go on with the
// next record. Test for it with [IsRefused], which also knows how
// compositions classify the errors of their stages.
var ErrRefused = errors.New("record: refused")

// ErrFlushed is returned by Push and Advance of an operator after its Flush:
// Flush ends the input, so a later record is an error, not a late record.
// It is not a refusal: a caller who meant to close a batch rather than the
// input should have called Advance.
var ErrFlushed = errors.New("record: input already flushed")

// A classifier is an error that decides for itself whether it is a refusal,
// whatever it wraps: a composition that lets a later stage refuse a result
// after an earlier stage took the record is not a refusal of the record.
type classifier interface{ Refused() bool }

// IsRefused reports whether err refuses a record without changing any state,
// so the caller may go on with the next record. Any other non-nil error from
// Push, Advance or Flush means the state may have moved: restore the snapshot
// taken before the call and replay from there. If the replay fails the same
// way, the failure is deterministic (for example a later stage's limit), and
// the input record belongs in the caller's dead letters.
//
// The first error in err's tree that classifies itself (as [StageError]
// does) decides; otherwise err is a refusal when it wraps [ErrRefused].
func IsRefused(err error) bool {
	for err != nil {
		if c, ok := err.(classifier); ok {
			return c.Refused()
		}
		switch u := err.(type) {
		case interface{ Unwrap() error }:
			err = u.Unwrap()
		case interface{ Unwrap() []error }:
			// A joined error is a refusal only when every part is.
			errs := u.Unwrap()
			if len(errs) == 0 {
				return false
			}
			for _, e := range errs {
				if !IsRefused(e) {
					return false
				}
			}
			return true
		default:
			return err == ErrRefused
		}
	}
	return false
}
