package trending

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"

	"github.com/rowtime/rowtime/record"
)

// ErrDecode is wrapped by every error of Decode.
var ErrDecode = errors.New("trending: cannot decode action")

// Decode decodes one payload of the news example: {"article_id":…,
// "user_id":…,"action":"click"|"impression","timestamp":<Unix ms>}. Any
// other action is an error, as is a missing timestamp.
func Decode(payload []byte) (Record, error) {
	var w struct {
		Action
		Timestamp *int64 `json:"timestamp"`
	}
	if err := json.Unmarshal(payload, &w); err != nil {
		return Record{}, fmt.Errorf("%w: %v", ErrDecode, err)
	}
	if w.Timestamp == nil {
		return Record{}, fmt.Errorf("%w: field %s: missing", ErrDecode, TimeField)
	}
	ms := *w.Timestamp
	if ms > math.MaxInt64/1_000_000 || ms < math.MinInt64/1_000_000 {
		return Record{}, fmt.Errorf("%w: field %s: %d ms is out of range", ErrDecode, TimeField, ms)
	}
	switch w.Action.Action {
	case Click:
		w.Action.Action = Click // share the constant's memory
	case Impression:
		w.Action.Action = Impression
	default:
		return Record{}, fmt.Errorf("%w: field action: %q is neither %q nor %q", ErrDecode, w.Action.Action, Click, Impression)
	}
	return Record{Time: record.Time(ms * 1e6), Value: w.Action}, nil
}
