// Command consumer reads every shard of a Kinesis stream and runs the
// trending query of the news example (impressions and clicks per article
// per minute, left-joined to a users table; see examples/trending) over it,
// the way rowtime scales past one machine: Kinesis is the distributed
// engine, each shard gets its own operator, as separate Lambda invocations
// would, and the shards' partial results are merged.
//
//	consumer -stream actions -users users.csv -checkpoint trending.ckpt -out results.jsonl
//
// Flags: -endpoint (a Kinesis-compatible endpoint, such as kinesalite),
// -region, -delay (allowed out-of-orderness of event time), -idle, -poll,
// -limit, -checkpoint, -checkpoint-every, -out, -dead, -drain, and for a
// worker of a group -worker, -group, -leases, -state, -out-dir, -lease,
// -keyed-shards, -dynamodb-endpoint (see below). Credentials
// come from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN.
//
// # Shards and the merge
//
// The consumer lists the stream's shards (ListShards, again every 30 s to
// find the children of a resharding) and reads each with GetShardIterator
// and GetRecords, a child only once its parents are read to their ends.
// Each shard's batches go through its own record/kinesis Loop, which
// takes every record once (records read again after an iterator was
// renewed or a restart are skipped by its bookkeeping): the record is
// decoded (a payload that does not decode goes to the dead-letter output,
// as a kinesis.DeadLetter line), joined to the users table and pushed into
// that shard's own trending.Partial operator, whose results are the aggregate's
// accumulators rather than its values. The consumer merges the
// accumulators of each (window, key) from every shard with the aggregate's
// Merge, and a merged window is final, and written, once every shard's
// watermark has passed its end. Results come out as JSON lines, in order of
// window end, then start, then key (known groups first, by gender, segment
// and article).
//
// A shard that is caught up (GetRecords returns nothing and
// MillisBehindLatest is 0) and has had no records for -idle has its
// watermark advanced to the highest watermark of any shard, so a
// quiet shard does not hold back every window. A record that then arrives
// on it older than that watermark is late: it goes to the dead-letter
// output, as do records late for their own shard's windows. A shard closed
// by a resharding is flushed once read to its end. The watermark never
// advances with the wall clock here (the Loop's clock progress is off): the
// workloads replay event times of the past, which the clock would make
// late; kinesis.Loop.Idle says how the two rules combine.
//
// # Failures
//
// The consumer follows the error contract of record.Operator. A record that
// does not decode, that the operator refuses, or that is late goes to the
// dead-letter output as a JSON line
// {"shard":…,"sequence_number":…,"index":…,"error":…,"data":<payload, base64>}, and
// the shard goes on. Any other error from Push means the operator's state
// may have moved: the consumer restores the snapshot it took before the
// batch, drops what the batch emitted, replays the records before the
// failing one and then that one. If it fails the same way again, the failure
// is deterministic: the record goes to the dead-letter output (its error
// says it failed again on replay), and the batch is taken without it, so a
// record that can never be processed does not stall its shard.
//
// One goroutine per shard fetches; one goroutine decodes, aggregates and
// merges, which keeps checkpoints consistent and is fast enough for
// hundreds of shards at Kinesis's 1,000 records a second per shard.
//
// # Checkpoints
//
// The checkpoint file holds, per shard, its bookkeeping (what it has
// taken) and the snapshot of its operator, in one kinesis.Once snapshot, plus the merge's pending
// accumulators and the lengths of the output files that this state
// accounts for. It is written atomically (a temporary file, fsync, rename,
// fsync of the directory) after the output lines it accounts for are
// written and synced. On start the consumer restores it, truncates the
// output files to the recorded lengths (dropping lines written after the
// checkpoint, which the restored state produces again) and resumes each
// shard after its last sequence number. So with -out and -dead files the
// output is exactly once across a kill at any point; on stdout it is at
// least once. A checkpoint of another stream, or with operator snapshots
// of other parameters (another -delay), is refused with an error.
//
// A checkpoint whose sequence number the stream no longer holds (past its
// trim horizon: GetShardIterator refuses it, or the iterator at it expires
// at once) stops the consumer with ErrTrimmed: the records after it are
// gone, and reading on from the trim horizon would hide the loss. To accept
// it, delete the checkpoint file and the output it accounts for, and start
// again.
//
// -drain makes the consumer exit when every shard is caught up and idle:
// it flushes every open window first, for backfills and tests.
//
// # Several workers
//
//	consumer -stream actions -users users.csv -worker host-1 -leases leases -state state -out-dir out
//
// With -worker the consumer is one of the workers of a group (package
// record/kinesis/group) that share the stream's shards through leases in
// the DynamoDB table -leases (partition key namespace, sort key shard_id,
// both strings): a dead worker's shards move to the others after about
// -lease (default 20 s), the children of a resharding are read after
// their parents. Each shard's checkpoint, operator state and unmerged
// partial results are one item in the DynamoDB table -state (partition key
// key, a string), written conditionally, so a worker whose shard was
// taken over writes nothing more. Every worker merges: a window, once
// every shard's watermark has passed its end, is written to -out-dir as
// one file, named by the group (-group, default the stream) and the
// window's end, with the lines of the one-process consumer in the same
// order; dead letters go to dead-*.jsonl files there. Rewriting a window
// writes the same file again, so the directory holds each result once.
// In this mode a caught-up shard's watermark advances with the wall clock
// minus -delay after -idle (the merge must not wait on a quiet shard), so
// event times must follow the clock; -checkpoint, -out, -dead and -drain
// are for one process alone. -dynamodb-endpoint points at a
// DynamoDB-compatible server such as dynalite.
//
// A worker stops with an error that says what to do, logged and printed
// on stderr, when the lease table or the state table is missing or has
// another key schema, when a shard's item in the state table is of another
// query (another -group is the fix, or deleting the item), or when a
// shard's checkpoint is past the stream's trim horizon.
//
// -keyed-shards says that the producer's partition key is the article id
// (or any function of it), so that all the actions on an article, and so
// every (gender, segment, article) key, are on one shard: each shard's
// results are then final, and each shard writes its own file per window
// (named by the group, the window's end and the shard, its lines in the
// same order as a merged window's), with no merge. Only the windows open
// across a resharding, which a parent and its children share, are still
// merged. The lines of one window are then spread over several files:
// sort them by (window end, key) to compare with the one-process output.
// With any other partition key, -keyed-shards would give a (window, key)
// one line per shard: leave it off.
//
// # Exit status
//
// 0 after SIGINT or SIGTERM, or a drained stream (-drain). 3 when starting
// again will not help until an operator has done what the error says: a
// lease or state table missing or of another schema, a state item or
// checkpoint of another query or stream, a checkpoint past the trim
// horizon. 1 for any other error (bad flags, a server that cannot be
// reached), which a supervisor may retry.
package main
