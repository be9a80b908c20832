package group

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/rowtime/rowtime/record"
)

// header is what a worker keeps beside a shard's query state, in the
// same item (the Loop's extra bytes): who owns the shard under which
// epoch, how far its watermark is, whether it was read to its end, the
// partial results of closed windows that the merge has not taken yet, and
// the dead letters of the last batch (an outbox, written after the item is
// saved and again by the next owner).
type header struct {
	Magic     string      `json:"rowtime_group"`
	Epoch     uint64      `json:"epoch"`
	Owner     string      `json:"owner"`
	Watermark record.Time `json:"watermark"`
	Closed    bool        `json:"closed,omitempty"`
	Drained   record.Time `json:"drained,omitempty"` // the watermark before the flush at the end
	Batch     uint64      `json:"batch"`
	Partials  []partial   `json:"partials,omitempty"`
	Dead      []byte      `json:"dead,omitempty"`

	// With Config.KeyedShards: Shared is the end of the last window that
	// a parent of the shard (or the shard itself, at its end) may have
	// results of, so that its results go through the merge; the shard's
	// results of later windows are final. Final is the outbox of the last
	// batch's final results, by window, written after the save and again
	// by the next owner; FinalThrough the last window end among them.
	Shared       record.Time `json:"shared"`
	Final        []final     `json:"final,omitempty"`
	FinalThrough record.Time `json:"final_through"`
}

// A final is a shard's final results of one window (KeyedShards): its
// output lines in key order, each under the identity (window, key).
type final struct {
	End   record.Time `json:"end"`
	Lines []byte      `json:"lines"`
}

// A partial is a shard's results of one window end: one JSON line per key,
// each under the identity (window, key, shard).
type partial struct {
	End   record.Time `json:"end"`
	Lines [][]byte    `json:"lines"`
}

const headerMagic = "v1"

var errHeader = errors.New("group: the state item's group header is unreadable")

func parseHeader(b []byte) (header, error) {
	var h header
	if len(b) == 0 {
		return header{Magic: headerMagic, Watermark: record.MinTime, Shared: record.MinTime, FinalThrough: record.MinTime}, nil
	}
	if err := json.Unmarshal(b, &h); err != nil {
		return h, fmt.Errorf("%w: %w", errHeader, err)
	}
	if h.Magic != headerMagic {
		return h, fmt.Errorf("%w: format %q, want %q", errHeader, h.Magic, headerMagic)
	}
	return h, nil
}

func (h *header) encode() []byte {
	h.Magic = headerMagic
	b, err := json.Marshal(h)
	if err != nil {
		panic(err) // plain fields: cannot fail
	}
	return b
}

// add files the lines of window end among the partials, in order of end.
func (h *header) add(end record.Time, line []byte) {
	i, ok := slices.BinarySearchFunc(h.Partials, end, func(p partial, e record.Time) int {
		switch {
		case p.End < e:
			return -1
		case p.End > e:
			return 1
		}
		return 0
	})
	if !ok {
		h.Partials = slices.Insert(h.Partials, i, partial{End: end})
	}
	h.Partials[i].Lines = append(h.Partials[i].Lines, line)
}

// prune drops the partials of windows the merge has written (end ≤
// through).
func (h *header) prune(through record.Time) {
	i := 0
	for i < len(h.Partials) && h.Partials[i].End <= through {
		i++
	}
	h.Partials = h.Partials[i:]
}

// extraOf returns the extra bytes of a shard Loop's saved item: a uvarint
// length, that many bytes of query snapshot, then the extra bytes (the
// layout of kinesis.Loop.Save, checked by a test).
func extraOf(data []byte) ([]byte, error) {
	var n uint64
	var shift uint
	for i, c := range data {
		if shift > 63 {
			break
		}
		n |= uint64(c&0x7f) << shift
		if c < 0x80 {
			rest := data[i+1:]
			if n > uint64(len(rest)) {
				break
			}
			return rest[n:], nil
		}
		shift += 7
	}
	return nil, fmt.Errorf("%w: truncated item", errHeader)
}
