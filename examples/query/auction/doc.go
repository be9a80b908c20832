// Package auction is the query of Kinesis Data Analytics' blockchain auction
// example, in rowtime: the bids of an auction smart contract, their total
// spend per block per 15-second STEP window, and the number of distinct
// bidders per 10-second tumbling window. The example programs auction and
// lambda run it; the package also holds its record type, the decoding of its
// payloads and a deterministic workload generator.
//
// The query, in query.go, reads top to bottom: two operators (window.Aggregate
// with aggregate.Sum, distinct.CountItems), each composed with record.Then
// into a record.Map that writes its stream's JSON lines, and a record.Tee
// that feeds every bid to both; record.AppendSnapshot saves the whole
// pipeline. Copy it as the start of a query of your own.
//
// The KDA application it replaces:
//
//	CREATE OR REPLACE STREAM "SPEND_PER_BLOCK_STREAM" (block INTEGER, spend INTEGER);
//	CREATE OR REPLACE PUMP "SPEND_PUMP" AS INSERT INTO "SPEND_PER_BLOCK_STREAM"
//	  SELECT STREAM "Block", SUM("Amount") AS spend FROM "SOURCE_SQL_STREAM_001"
//	  GROUP BY "Block", STEP("SOURCE_SQL_STREAM_001".ROWTIME BY INTERVAL '15' SECOND);
//
//	CREATE OR REPLACE STREAM "DESTINATION_SQL_STREAM" (NUMBER_OF_DISTINCT_ITEMS BIGINT);
//	CREATE OR REPLACE PUMP "DISTINCT_PUMP" AS INSERT INTO "DESTINATION_SQL_STREAM"
//	  SELECT STREAM * FROM TABLE(COUNT_DISTINCT_ITEMS_TUMBLING(
//	    CURSOR(SELECT STREAM * FROM "SOURCE_SQL_STREAM_001"), 'Bidder', 10));
//
// rowtime runs both on event time (the bid's EventTimestamp) rather than on
// arrival time.
package auction
