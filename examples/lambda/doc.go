// Command lambda is an AWS Lambda function that runs the auction queries of
// the blockchain example (spend per block per 15-second STEP window,
// distinct bidders per 10-second window; see examples/auction) over Kinesis
// records, with the query's state kept between invocations.
//
// Build it for the provided.al2023 runtime:
//
//	GOOS=linux GOARCH=arm64 CGO_ENABLED=0 go build -tags lambda.norpc -o bootstrap ./examples/lambda
//
// and map the function to a Kinesis stream with ReportBatchItemFailures
// turned on (FunctionResponseTypes), since the function reports failures
// per record.
//
// # Configuration
//
// Environment variables:
//
//	ROWTIME_STATE_DIR       directory of the file store (default /tmp/rowtime-state;
//	                        an EFS mount to share state between execution environments)
//	ROWTIME_OUTPUT_DIR      results: one file of JSON lines per batch (default: stdout)
//	ROWTIME_DEADLETTER_DIR  dead letters, the same way (default: stderr)
//	ROWTIME_DELAY           allowed out-of-orderness of event time (default 0)
//
// # Two kinds of invocation
//
// A plain Kinesis event (events.KinesisEvent) is one batch of one shard.
// The shard's state (the query's snapshot and the bookkeeping below) is
// saved through a Store after every batch, under the stream's ARN and the
// shard id; a warm execution environment keeps it in memory, and a cold
// start restores it from the Store. The example ships FileStore; in
// production, implement Store over DynamoDB or S3 (rowtime only needs
// bytes). The cached copy is trusted while the environment is warm, which
// holds when one environment at a time processes a shard (Lambda's default
// of one concurrent batch per shard); if shards move between environments,
// make Save conditional on the previous version (a DynamoDB condition
// expression) and reload on conflict.
//
// A time-window event (events.KinesisTimeWindowEvent, Lambda's own tumbling
// windows of up to 15 minutes, set with TumblingWindowInSeconds) carries the
// state in the event's state map from one invocation of the window to the
// next: the handler returns it base64-encoded and flushes the query on the
// invocation marked isFinalInvokeForWindow, whose results it writes. A
// query window that spans two Lambda windows is emitted once per Lambda
// window, each a partial result; use plain events for exact windows across
// batches. Lambda caps that state at 1 MB per shard and ends the window
// early (isWindowTerminatedEarly) beyond it; the handler writes what it has
// when that happens, and keeps larger state from reaching the cap:
//
// # Larger state goes to the caller's own store
//
// When the base64 text of a time-window state would pass
// Handler.WindowStateLimit (900 KiB by default), the handler saves the state
// in its Store under a key of its own (shard, window, last sequence number)
// and returns only that key in the state map, {"format":…,"ref":key}; the
// next invocation loads it from there. Each spill has a new key, so a retried
// invocation still finds the state it was given; old keys can be removed
// by the store's own expiry (an S3 lifecycle rule, a DynamoDB TTL). Plain
// Kinesis events have no such cap: their state is only as large as the
// Store allows (DynamoDB items hold 400 KB, so put large snapshots in S3).
// The auction query's snapshot after a minute of its default workload is
// about 260 bytes (350 in base64), and stays there as the stream goes on,
// since closed windows leave the state: far below either limit. A query
// with many keys is another matter: the trending example's per-shard
// operator holds about 59,000 (group, article) keys after a minute of its
// 500,000-actions-a-minute workload, a 690 KB snapshot, 920 KB in base64,
// which is where the spill to Store takes over (see
// examples/internal/statetest for these measurements).
//
// # At-least-once delivery, exactly-once results
//
// Lambda may deliver a batch again (a retry, a partial-batch retry, a
// redelivery after a timeout). The state records the sequence number of the
// last record taken in the shard; records at or below it are skipped, and
// counted as duplicates. Because that bookkeeping is inside the same saved
// bytes as the query's snapshot, a record is either in both or in neither.
//
// Results are not written until the state that produced them is saved:
// each batch's results go into an outbox inside the saved state, named by
// shard and batch number, and are written after the save, under that name.
// If the write fails or the environment dies before it, the next invocation
// writes the outbox again under the same name, so an Output that keeps one
// object per name (DirOutput here; S3 in production) holds every result
// exactly once.
//
// # Failures
//
// The handler follows the error contract of record.Operator. A record that
// can never be processed (its payload is not JSON, it lacks the
// EventTimestamp field, or it is too late for its windows) or that the query
// refuses must not block its shard: it goes to the dead-letter output as a
// JSON line {"shard":…,"sequence_number":…,"error":…,"data":<payload,
// base64>}, is counted, and is not reported to Lambda. Any other error from
// the query means its state may have moved: the handler restores the state
// it had before the batch (the query's snapshot and the bookkeeping with
// it), drops what the batch emitted, replays the records before the failing
// one and then that one. If it fails the same way again, the failure is
// deterministic (a later stage refusing what an earlier one made of the
// record, say its limit): the record goes to the dead-letter output, its
// error saying it failed again on replay, and the batch is taken without
// it. A Flush at the end of a time window that fails is restored and
// flushed again the same way; if it fails again, what it emitted is kept and
// the error logged.
//
// Transient failures outside the query are reported in batchItemFailures,
// from the first record whose effect is not saved, so Lambda retries from
// there: the Store unavailable (loading or saving), or the invocation's
// deadline too near to take more records and still save. State that cannot
// be read (truncated, corrupt, another format version, a snapshot of a
// query with other parameters) is never overwritten: the batch is reported
// for retry and the error logged. A time-window state map written by an
// older version of the function is sent, with the error, to the dead-letter
// output, so it is not lost, and the window continues with fresh state.
package main
