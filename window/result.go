package window

import (
	"encoding/json"
	"fmt"

	"github.com/rowtime/rowtime/record"
)

// AppendJSON appends the JSON form of r to dst, one object with the window's
// bounds, the key and the value:
//
//	{"window_start":"2024-05-01T12:00:00Z","window_end":"2024-05-01T12:01:00Z","key":"eu","value":42}
//
// Window bounds are RFC 3339 strings with nanoseconds, in UTC. The key and
// the value are encoded with encoding/json; a result of an unkeyed operator
// (K is [NoKey]) has no "key". An update under allowed lateness ends with
// "update":true, which results emitted on time never carry. The error is
// the key's or the value's encoding error, and dst is returned unchanged
// with it.
func (r Result[K, V]) AppendJSON(dst []byte) ([]byte, error) {
	out, err := appendWindowHead(dst, r.Start, r.End, r.Key)
	if err != nil {
		return dst, err
	}
	v, err := json.Marshal(r.Value)
	if err != nil {
		return dst, fmt.Errorf("window: value %v: %w", r.Value, err)
	}
	out = append(append(out, `,"value":`...), v...)
	return appendWindowTail(out, r.Update), nil
}

// appendWindowHead appends the JSON object's opening, the window's bounds
// and, unless K is NoKey, the key: everything the windowed results' JSON
// forms share before their own columns.
func appendWindowHead[K any](dst []byte, start, end record.Time, key K) ([]byte, error) {
	out := append(dst, `{"window_start":"`...)
	out = start.AppendRFC3339(out)
	out = append(out, `","window_end":"`...)
	out = end.AppendRFC3339(out)
	out = append(out, '"')
	if _, unkeyed := any(key).(NoKey); !unkeyed {
		k, err := json.Marshal(key)
		if err != nil {
			return dst, fmt.Errorf("window: key %v: %w", key, err)
		}
		out = append(append(out, `,"key":`...), k...)
	}
	return out, nil
}

// appendWindowTail closes the object, with "update":true for an update.
func appendWindowTail(dst []byte, update bool) []byte {
	if update {
		dst = append(dst, `,"update":true`...)
	}
	return append(dst, '}')
}
