// Command lambda is an AWS Lambda function that runs the auction queries of
// the blockchain example (spend per block per 15-second STEP window,
// distinct bidders per 10-second window; see examples/auction) over Kinesis
// records, with the query's state kept between invocations. It is a few
// lines over record/kinesis's Handler, which does the work: exactly-once
// bookkeeping, the outbox, batchItemFailures, restore and replay, Lambda's
// time windows, metrics.
//
// Build it for the provided.al2023 runtime:
//
//	GOOS=linux GOARCH=arm64 CGO_ENABLED=0 go build -tags lambda.norpc -o bootstrap ./examples/lambda
//
// and map the function to a Kinesis stream with ReportBatchItemFailures
// turned on (FunctionResponseTypes), since the function reports failures
// per record, and ParallelizationFactor 1 (the default): the bookkeeping
// is set up for records that arrive in order (kinesis.LedgerOptions).
//
// # Configuration
//
// Environment variables:
//
//	ROWTIME_STATE_DIR         directory of the file store (default /tmp/rowtime-state;
//	                          an EFS mount to share state between execution environments)
//	ROWTIME_DYNAMODB_TABLE    keep the state in this DynamoDB table instead (partition
//	                          key "key", String; Time to Live on "ttl"), with the
//	                          function's credentials and AWS_REGION
//	ROWTIME_DYNAMODB_ENDPOINT another DynamoDB endpoint (tests: dynalite)
//	ROWTIME_OUTPUT_DIR        results: one file of JSON lines per batch (default: stdout,
//	                          and then the metrics go to stderr)
//	ROWTIME_DEADLETTER_DIR    dead letters, the same way (default: stderr)
//	ROWTIME_DELAY             allowed out-of-orderness of event time (default 0)
//	ROWTIME_NO_METRICS        set: no metric lines
//
// ROWTIME_TEST_CRASH_AFTER_SAVE names a file for tests: while it exists,
// the function removes it and kills itself (SIGKILL) after saving a
// batch's state and before writing its results.
//
// # Input
//
// A Kinesis record holds one bid (a JSON object with EventTimestamp in Unix
// seconds), or several as JSON lines, or is a KPL aggregate of such
// records, or a CloudWatch Logs subscription record whose log messages are
// bids. A record that cannot be processed (not JSON, no EventTimestamp,
// too late for its windows, more than an hour ahead of the clock) goes to
// the dead letters as a JSON line
// {"shard":…,"sequence_number":…,"index":…,"error":…,"data":<payload, base64>}
// and is not reported to Lambda.
//
// # Output
//
// One JSON line per window result, as examples/auction writes them; each
// batch's results are one file named by shard and batch number, written
// after the state that produced them is saved, so a retried batch
// rewrites the same file: every result exactly once. The metrics of each
// batch are CloudWatch Embedded Metric Format lines (namespace rowtime).
//
// # Upgrading
//
// State saved by releases of this function before record/kinesis (files
// starting "rowtime-lambda", time-window maps of format
// "rowtime-lambda-window/1") is not read: a shard's old state is reported
// as unusable and its batches retried, never overwritten, so delete the
// old state files (ROWTIME_STATE_DIR) when deploying; an old time-window
// map goes to the dead letters and its window starts afresh.
package main
