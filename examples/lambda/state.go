package main

import (
	"errors"
	"fmt"

	"github.com/rowtime/rowtime/record"
)

// Errors of state decoding.
var (
	// ErrState reports saved state that cannot be used: truncated, corrupt,
	// of another format version, or a query snapshot the query refuses
	// (one taken with other parameters).
	ErrState = errors.New("lambda: unusable state")
	// ErrStateFormat reports a time-window state map that this function did
	// not write: one from an older version of it, or from another function.
	ErrStateFormat = errors.New("lambda: time-window state map of an unknown format")
)

// The saved state of one shard starts with stateMagic and a version byte;
// the rest is the record codec's encoding of savedState.
const (
	stateMagic   = "rowtime-lambda"
	stateVersion = 1
)

// savedState is what survives between invocations for one shard: the query's
// snapshot, the de-duplication bookkeeping and the output not yet known to be
// written (the outbox).
type savedState struct {
	Shard   string
	LastSeq string // sequence number of the last record taken; "" before any
	Batch   uint64 // number of outboxes named so far

	// Time-window invocations: the window the state belongs to and the
	// first record taken in it (which names its output).
	WindowStart record.Time
	FirstSeq    string

	Records     uint64 // records taken, dead letters included
	Duplicates  uint64 // redelivered records skipped
	DeadLetters uint64 // records sent to the dead-letter output

	OutboxName string // name of the pending output, "" if none
	Results    []byte // pending result lines
	Dead       []byte // pending dead-letter lines

	Query []byte // the query's snapshot
}

// shardState is the live state of one shard.
type shardState struct {
	savedState
	q Query
}

func (s *shardState) hasOutbox() bool { return len(s.Results) > 0 || len(s.Dead) > 0 }

// encode returns the state's bytes, with a fresh snapshot of the query.
func (s *shardState) encode() ([]byte, error) {
	snap, err := s.q.AppendSnapshot(nil)
	if err != nil {
		return nil, fmt.Errorf("lambda: snapshot of the query: %w", err)
	}
	saved := s.savedState
	saved.Query = snap
	buf := append([]byte(stateMagic), stateVersion)
	buf, err = record.AppendBinary(buf, saved)
	if err != nil {
		return nil, fmt.Errorf("lambda: encoding state: %w", err)
	}
	return buf, nil
}

// decodeState rebuilds a shard's state from its bytes, restoring the query
// into a fresh one built by newQuery.
func decodeState(data []byte, newQuery func() (Query, error)) (*shardState, error) {
	if len(data) < len(stateMagic)+1 || string(data[:len(stateMagic)]) != stateMagic {
		return nil, fmt.Errorf("%w: not a rowtime lambda state", ErrState)
	}
	if v := data[len(stateMagic)]; v != stateVersion {
		return nil, fmt.Errorf("%w: format version %d, this function reads version %d", ErrState, v, stateVersion)
	}
	body := data[len(stateMagic)+1:]
	var saved savedState
	n, err := record.ReadBinary(body, &saved)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrState, err)
	}
	if n != len(body) {
		return nil, fmt.Errorf("%w: %d bytes after the state", ErrState, len(body)-n)
	}
	q, err := newQuery()
	if err != nil {
		return nil, err
	}
	if err := q.Restore(saved.Query); err != nil {
		return nil, fmt.Errorf("%w: restoring the query: %w", ErrState, err)
	}
	saved.Query = nil
	return &shardState{savedState: saved, q: q}, nil
}
