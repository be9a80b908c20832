// Package trending is the query of Kinesis Data Analytics' news
// personalisation example, in rowtime: a stream of article impressions and
// clicks, left-joined to a reference table of users (gender and segment),
// counted per one-minute FLOOR window per (gender, segment_id, article_id),
// with the most-clicked articles of each minute on request. The example
// programs trending and consumer run it; the package also holds its record
// types, the decoding of its payloads, the users table and a deterministic
// workload generator. The consumer runs one Partial per shard, which emits
// aggregate.Partial's states, and merges them.
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
// Kinesis shard and merge the partial states with CountsFunc().Merge: see
// Partial.
package trending
