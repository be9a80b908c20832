package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/rowtime/rowtime/examples/internal/auction"
	"github.com/rowtime/rowtime/window"
)

// auctionQuery runs the auction queries (spend per block per 15 s, distinct
// bidders per 10 s) for the handler: it decodes payloads and sorts the
// query's errors into records that can never be processed (a payload that
// does not decode, a record too late for a window or out of the range of
// window arithmetic) and transient ones.
type auctionQuery struct {
	q    *auction.Query
	late error // the late-record reports of the current Push
}

// newAuctionQuery returns the handler's query with the allowed
// out-of-orderness delay.
func newAuctionQuery(delay time.Duration) (Query, error) {
	a := &auctionQuery{}
	q, err := auction.New(&auction.Options{
		Delay: delay,
		Late: func(_ auction.Record, stream string, err error) {
			a.late = errors.Join(a.late, fmt.Errorf("%s: %w", stream, err))
		},
	})
	if err != nil {
		return nil, err
	}
	a.q = q
	return a, nil
}

func (a *auctionQuery) Push(data []byte, emit func([]byte)) error {
	r, err := auction.Decode(data)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrBadRecord, err)
	}
	a.late = nil
	err = a.q.Push(r, emit)
	late := a.late
	a.late = nil
	switch {
	case err != nil && errors.Is(err, window.ErrOverflow):
		return fmt.Errorf("%w: %w", ErrBadRecord, err)
	case err != nil:
		return err
	case late != nil:
		// Too late for one query's window (or both): what could be taken
		// was, and the record goes to the dead-letter output for the rest.
		return fmt.Errorf("%w: %w", ErrBadRecord, late)
	}
	return nil
}

func (a *auctionQuery) Flush(emit func([]byte)) error { return a.q.Flush(emit) }

func (a *auctionQuery) AppendSnapshot(dst []byte) ([]byte, error) { return a.q.AppendSnapshot(dst) }

func (a *auctionQuery) Restore(data []byte) error { return a.q.Restore(data) }
