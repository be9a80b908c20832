package record

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"

	"github.com/rowtime/rowtime/record/codec"
)

// A Snapshotter is an operator whose state can be saved and restored, for
// example between two Lambda invocations.
//
// AppendSnapshot appends the operator's state to dst in a compact versioned
// binary form. Restore replaces the operator's state with one written by
// AppendSnapshot of an operator built with the same parameters; on error the
// operator is left as it was.
//
// A stateless operator of one's own can take part in a composed snapshot by
// implementing Snapshotter with an AppendSnapshot that appends nothing and a
// Restore that accepts only empty data.
type Snapshotter interface {
	AppendSnapshot(dst []byte) ([]byte, error)
	Restore(data []byte) error
}

// ErrSnapshot is the sentinel wrapped by the snapshot errors of composed
// operators: a stage that keeps state but cannot be snapshotted, or snapshot
// data that is corrupt or was written by a different pipeline. It is the
// same value as [codec.ErrCodec], so the errors of the codec that operators
// write their state with are snapshot errors too.
var ErrSnapshot = codec.ErrCodec

// stateless is implemented by the operators of this package that keep no
// state, so a composed snapshot can skip them.
type stateless interface{ stateless() }

func (mapOp[In, Out]) stateless()       {}
func (mapErrOp[In, Out]) stateless()    {}
func (filterOp[T]) stateless()          {}
func (filterMapOp[In, Out]) stateless() {}

// The legacy format of a composition's snapshot, read but no longer
// written.
const (
	snapshotVersion = 1
	kindThen        = 1
	kindTee         = 2
)

// compositionDescriptor describes the snapshot of a composition: its kind
// ("record.Then" or "record.Tee") and its number of stages. Each stage's
// own snapshot carries its own descriptor.
//
// Descriptors are built once per kind and count and shared: their encoding
// and fingerprint are computed before they are published, so that sharing
// them across goroutines only reads them.
func compositionDescriptor(op string, stages int) *Descriptor {
	key := descKey{op, stages}
	if d, ok := descriptors.Load(key); ok {
		return d.(*Descriptor)
	}
	kind := "record.Then"
	switch op {
	case "tee":
		kind = "record.Tee"
	case "snapshot":
		kind = "record.Snapshot"
	}
	d := NewDescriptor(kind).Param("stages", stages)
	d.Fingerprint() // fills the encoding and the fingerprint
	actual, _ := descriptors.LoadOrStore(key, d)
	return actual.(*Descriptor)
}

type descKey struct {
	op     string
	stages int
}

var descriptors sync.Map // descKey -> *Descriptor

// appendStages writes the snapshot of a composition in an envelope (see
// [BeginSnapshot]) whose body is
//
//	per stage: uvarint length, the stage's own snapshot,
//
// where a stateless stage has length 0.
func appendStages(dst []byte, op string, stages []any) ([]byte, error) {
	start := len(dst)
	dst = BeginSnapshot(dst, compositionDescriptor(op, len(stages)))
	for i, s := range stages {
		at := len(dst)
		dst = append(dst, 0) // one-byte length guess, fixed below
		switch s := s.(type) {
		case Snapshotter:
			out, err := s.AppendSnapshot(dst)
			if err != nil {
				return dst[:start], &StageError{Op: op, Stage: i + 1, Err: err}
			}
			dst = fixLength(out, at)
		case stateless:
		default:
			return dst[:start], &StageError{Op: op, Stage: i + 1,
				Err: fmt.Errorf("%w: %T keeps state but does not implement record.Snapshotter", ErrSnapshot, s)}
		}
	}
	return EndSnapshot(dst, start), nil
}

// fixLength rewrites the one-byte placeholder at start as the uvarint length
// of the bytes after it, moving them if the length needs more bytes.
func fixLength(b []byte, start int) []byte {
	l := len(b) - start - 1
	if l < 0x80 {
		b[start] = byte(l)
		return b
	}
	var pre [binary.MaxVarintLen64]byte
	k := binary.PutUvarint(pre[:], uint64(l))
	b = append(b, pre[:k-1]...)
	copy(b[start+k:], b[start+1:start+1+l])
	copy(b[start:], pre[:k])
	return b
}

// restoreStages restores a snapshot written by appendStages, or, for a
// kind other than 0, one in the legacy format. It checks the envelope and the framing of every stage
// first, and when a stage fails to restore it puts back the stages restored
// before it, so that as far as the stages' own Restore allow, a failed
// restore changes nothing.
func restoreStages(data []byte, op string, kind byte, stages []any) error {
	var body []byte
	if kind != 0 && IsLegacySnapshot(data) {
		var err error
		if body, err = legacyBody(data, op, kind, len(stages)); err != nil {
			return err
		}
	} else {
		var err error
		if body, err = OpenSnapshot(data, compositionDescriptor(op, len(stages))); err != nil {
			return fmt.Errorf("record: %s: %w", op, err)
		}
	}
	frames, err := splitStages(body, op, stages)
	if err != nil {
		return err
	}
	// Keep the current state of every stage, to undo a partial restore.
	backups := make([][]byte, len(stages))
	for i, s := range stages {
		if s, ok := s.(Snapshotter); ok {
			b, err := s.AppendSnapshot(nil)
			if err != nil {
				return &StageError{Op: op, Stage: i + 1, Err: err}
			}
			backups[i] = b
		}
	}
	for i, s := range stages {
		s, ok := s.(Snapshotter)
		if !ok {
			continue
		}
		if err := s.Restore(frames[i]); err != nil {
			err = &StageError{Op: op, Stage: i + 1, Err: err}
			for j := range i {
				if u, ok := stages[j].(Snapshotter); ok {
					if uerr := u.Restore(backups[j]); uerr != nil {
						err = errors.Join(err, fmt.Errorf("%w: %s: undoing stage %d: %w", ErrSnapshot, op, j+1, uerr))
					}
				}
			}
			return err
		}
	}
	return nil
}

// legacyBody checks the header of a snapshot in the legacy format,
//
//	version byte, kind byte, uvarint stage count, the stages,
//
// and returns the stages.
func legacyBody(data []byte, op string, kind byte, count int) ([]byte, error) {
	if len(data) < 2 {
		return nil, fmt.Errorf("%w: %s: truncated header", ErrSnapshot, op)
	}
	if data[0] != snapshotVersion {
		return nil, fmt.Errorf("%w: %s: unknown version %d", ErrSnapshot, op, data[0])
	}
	if data[1] != kind {
		return nil, fmt.Errorf("%w: %s: snapshot of a different composition (kind %d)", ErrSnapshot, op, data[1])
	}
	rest := data[2:]
	n, k := binary.Uvarint(rest)
	if k <= 0 {
		return nil, fmt.Errorf("%w: %s: truncated stage count", ErrSnapshot, op)
	}
	if n != uint64(count) {
		return nil, fmt.Errorf("%w: %s: snapshot has %d stages, operator has %d", ErrSnapshot, op, n, count)
	}
	return rest[k:], nil
}

// splitStages cuts body into the frames of the stages and checks each
// against its stage.
func splitStages(body []byte, op string, stages []any) ([][]byte, error) {
	frames := make([][]byte, len(stages))
	for i, s := range stages {
		l, n := binary.Uvarint(body)
		if n <= 0 || l > uint64(len(body)-n) {
			return nil, &StageError{Op: op, Stage: i + 1, Err: fmt.Errorf("%w: truncated", ErrSnapshot)}
		}
		frames[i] = body[n : n+int(l)]
		body = body[n+int(l):]
		switch s.(type) {
		case Snapshotter:
		case stateless:
			if l != 0 {
				return nil, &StageError{Op: op, Stage: i + 1, Err: fmt.Errorf("%w: %d bytes of state for a stateless stage", ErrSnapshot, l)}
			}
		default:
			return nil, &StageError{Op: op, Stage: i + 1,
				Err: fmt.Errorf("%w: %T keeps state but does not implement record.Snapshotter", ErrSnapshot, s)}
		}
	}
	if len(body) != 0 {
		return nil, fmt.Errorf("%w: %s: %d trailing bytes", ErrSnapshot, op, len(body))
	}
	return frames, nil
}

// AppendSnapshot appends the state of both stages to dst, in an envelope
// whose descriptor is the kind "record.Then" and the number of stages (see
// [BeginSnapshot]). It implements [Snapshotter]: a stage built by [Map],
// [MapErr] or [Filter] writes nothing, and a stage that keeps state must
// itself implement Snapshotter, or AppendSnapshot fails with an error
// wrapping [ErrSnapshot].
func (t *then[A, B, C]) AppendSnapshot(dst []byte) ([]byte, error) {
	return appendStages(dst, "then", t.Stages())
}

// Restore restores the state written by AppendSnapshot, or by the format of
// earlier releases (see [IsLegacySnapshot]). It checks the envelope and the
// framing of every stage before it restores any, and if a stage fails it
// restores the stages before it to their former state: all or nothing, as
// far as the stages' own Restore allow. Every error wraps [ErrSnapshot].
func (t *then[A, B, C]) Restore(data []byte) error {
	return restoreStages(data, "then", kindThen, t.Stages())
}

// AppendSnapshot is that of [then]: the bytes are the same whichever way
// Then was built.
func (t *thenFunc[A, B, C]) AppendSnapshot(dst []byte) ([]byte, error) {
	return appendStages(dst, "then", t.Stages())
}

// Restore is that of [then].
func (t *thenFunc[A, B, C]) Restore(data []byte) error {
	return restoreStages(data, "then", kindThen, t.Stages())
}

// AppendSnapshot is that of [then].
func (t *thenStep[A, B, C]) AppendSnapshot(dst []byte) ([]byte, error) {
	return appendStages(dst, "then", t.Stages())
}

// Restore is that of [then].
func (t *thenStep[A, B, C]) Restore(data []byte) error {
	return restoreStages(data, "then", kindThen, t.Stages())
}

// AppendSnapshot appends the state of every fanned-out operator to dst, as
// [then.AppendSnapshot] does for a Then, with the kind "record.Tee".
func (t tee[In, Out]) AppendSnapshot(dst []byte) ([]byte, error) {
	return appendStages(dst, "tee", t.Stages())
}

// Restore restores the state written by AppendSnapshot or by an earlier
// release, all or nothing as far as the operators' own Restore allow.
func (t tee[In, Out]) Restore(data []byte) error {
	return restoreStages(data, "tee", kindTee, t.Stages())
}

// AppendSnapshot appends the state of ops, taken together, to dst: an
// envelope whose descriptor is the kind "record.Snapshot" and the number of
// ops, then each op's own snapshot behind its length, as a composition
// writes its stages (see [BeginSnapshot]). It is how to snapshot a
// pipeline without asserting that it is a [Snapshotter]: a [Then] or [Tee],
// any operator of rowtime, or several operators side by side that a query
// drives itself (one per output stream, say).
//
// An op built by [Map], [MapErr], [Filter] or [FilterMap] writes nothing;
// any other must implement Snapshotter, or AppendSnapshot fails with a
// *[StageError] wrapping [ErrSnapshot] and dst is returned as it was.
func AppendSnapshot(dst []byte, ops ...any) ([]byte, error) {
	return appendStages(dst, "snapshot", ops)
}

// RestoreSnapshot restores ops from data written by [AppendSnapshot] of as
// many ops of the same kinds, given in the same order. It checks the
// envelope and the framing of every op before it restores any, and if an
// op fails to restore it puts back the ops restored before it: all or
// nothing, as far as the ops' own Restore allow. Every error wraps
// [ErrSnapshot].
func RestoreSnapshot(data []byte, ops ...any) error {
	return restoreStages(data, "snapshot", 0, ops)
}
