// Package trending is the query of Kinesis Data Analytics' news
// personalisation example, in rowtime: a stream of article impressions and
// clicks, left-joined to a reference table of users (gender and segment),
// counted per one-minute FLOOR window per (gender, segment_id, article_id),
// with the most-clicked articles of each minute on request. The example
// programs trending and consumer run it; the package also holds its record
// types, the decoding of its payloads, the users table and a deterministic
// workload generator.
//
// The KDA application it replaces (users is the reference table):
//
//	CREATE OR REPLACE STREAM "DESTINATION_SQL_STREAM" (
//	  gender VARCHAR(8), segment_id INTEGER, article_id INTEGER,
//	  impression INTEGER, click INTEGER);
//	CREATE OR REPLACE PUMP "STREAM_PUMP" AS INSERT INTO "DESTINATION_SQL_STREAM"
//	  SELECT STREAM u.gender, u.segment_id, s.article_id,
//	    SUM(CASE WHEN s.action = 'impression' THEN 1 ELSE 0 END) AS impression,
//	    SUM(CASE WHEN s.action = 'click' THEN 1 ELSE 0 END) AS click
//	  FROM "SOURCE_SQL_STREAM_001" AS s LEFT JOIN "users" AS u ON s.user_id = u.user_id
//	  GROUP BY u.gender, u.segment_id, s.article_id,
//	    FLOOR(s.ROWTIME TO MINUTE);
//
// rowtime runs it on event time (the payload's timestamp) rather than on
// arrival time. To scale past one process, run one Partial operator per
// Kinesis shard and merge the partial accumulators with Counts().Merge: see
// Partial.
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
