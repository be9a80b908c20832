package trending

import (
	"strconv"

	"github.com/rowtime/rowtime/examples/internal/cli"
	"github.com/rowtime/rowtime/record"
)

// Action is one impression or click of an article by a user, the payload of
// the news example without its time: {"article_id":…,"user_id":…,
// "action":"click"|"impression","timestamp":<Unix ms>}. Its event time is the
// Time of the record.Of[Action] that carries it.
type Action struct {
	ArticleID int64  `json:"article_id"`
	UserID    int64  `json:"user_id"`
	Action    string `json:"action"`
}

// Values of Action.Action.
const (
	Click      = "click"
	Impression = "impression"
)

// Record is an action with its event time.
type Record = record.Of[Action]

// TimeField is the payload field that holds the event time, in Unix
// milliseconds.
const TimeField = "timestamp"

// AppendJSON appends r as one payload of the news example, the time in whole
// Unix milliseconds (floor).
func AppendJSON(dst []byte, r Record) []byte {
	dst = append(dst, `{"article_id":`...)
	dst = strconv.AppendInt(dst, r.Value.ArticleID, 10)
	dst = append(dst, `,"user_id":`...)
	dst = strconv.AppendInt(dst, r.Value.UserID, 10)
	dst = append(dst, `,"action":`...)
	dst = cli.AppendString(dst, r.Value.Action)
	dst = append(dst, `,"timestamp":`...)
	dst = strconv.AppendInt(dst, record.FloorDiv(int64(r.Time), 1e6), 10)
	return append(dst, '}')
}
