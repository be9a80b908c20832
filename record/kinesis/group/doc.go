// Package group runs a query over a Kinesis stream in several worker
// processes that share the stream's shards, the way the Kinesis Client
// Library does for Java: leases in a DynamoDB table decide which worker
// reads which shard, a dead worker's shards move to the others, and the
// children of a resharding are read once their parents are read to their
// ends. The leases are those of github.com/harlow/kinesis-consumer's
// consumer groups (group/consumergroup/ddb); this package does not
// implement a lease protocol of its own.
//
//	w, _ := group.New(group.Config[Event, Result]{
//		Stream: "events", Worker: "host-1",
//		Kinesis: kinesisClient, DynamoDB: dynamoClient, LeaseTable: "leases",
//		State:  kinesis.NewDynamoDBStore(dynamoClient, "state", nil),
//		Format: kinesis.NewJSON[Event](dec, nil), Query: newQuery,
//		Window: func(r Result) (record.Time, string) { return r.End, r.Key },
//		Merge:  func(a, b Result) Result { a.Value += b.Value; return a },
//		Output: kinesis.DirOutput{Dir: "out"},
//		// KeyedShards: true, if the producer partitions by the key
//	})
//	err := w.Run(ctx)
//
// # One item per shard, fenced
//
// Each shard has one item in the State store, written by a kinesis.Loop:
// the query's state, the exactly-once bookkeeping (the checkpoint is the
// last position taken), the owner and its epoch, the shard's watermark
// and its partial results not merged yet, and the dead letters of the
// last batch. It is the only record of the shard's progress: the lease
// library's checkpoint store is not used (its reader neither: see
// below). A worker that is given a shard loads the item and first saves
// it with the epoch bumped and itself as owner, conditional on the version
// it read; every later save is conditional on the version of its previous
// one. So once a new owner has taken a shard over, even before its first
// batch, the previous owner's next save fails (ErrFenced): it stops the
// shard and writes nothing more for it. Leases decide who should read a
// shard; the item's version decides whose writes count, which matters
// because a lease can expire under a stalled worker without it knowing.
//
// # Results exactly once
//
// A shard's results are partials: the query's result for (window, key)
// over that shard's records, kept in the shard's item under (window, key,
// shard) from the save that moved the shard's watermark past the window.
// The merge (Worker.Merge, run by every worker every MergeEvery) writes a
// window once every shard of the stream, closed ones and children not yet
// started included, has a watermark past its end: the partials of each key
// combined with Config.Merge, one Output write per window, named by the
// window's end, one JSON line per key in key order. It needs no lease:
// what it writes is decided by the items alone, so two workers merging the
// same window write the same lines under the same name, and an Output
// that keeps one object per name (kinesis.DirOutput, an object store, a
// DynamoDB put) holds each result once. Its progress, the last window
// end written, is an item of the State store moved forward after each
// write (conditionally): a kill between the two writes the window again,
// identically. Shards drop the partials the progress has passed.
//
// The query must emit each (window, key) once, when its watermark passes
// the window's end (no allowed lateness: an update after the merge could
// not be merged; such a result is logged as an error, not dropped
// quietly).
//
// # Keys that decide the shard
//
// When the producer's partition key is a function of the query's key
// (the key itself, or a part of it: the article of an (article, group)
// key), every record of a key is on one shard, and a shard's result of a
// (window, key) is already the final one. Config.KeyedShards says so: the
// shards then write their results themselves, with no merge and no merge
// item. A batch's final results are an outbox in the shard's item, like
// its dead letters: written after the save that accounts for them, one
// Output write per window and shard, named by the window's end and the
// shard, one line per key in key order, and written again, identically,
// by the next owner after a kill. Each line is the only one of its
// (window, key) in the output. Across a resharding a key's records are on
// the parent and then on a child, so the windows open at the parent's end
// (those it flushes there, see below) still go through the merge: the
// item records the end of the last such window (inherited by children
// and grandchildren), the shard's results up to it are partials and
// later ones final. The check is the producer's to keep: with keys spread
// over shards, KeyedShards would write one line per shard for a (window,
// key).
//
// # Resharding
//
// The lease library hands a child shard out only after its parents'
// leases are completed, which a worker does when it has read the parent
// to its end and saved its item. The rule for the parent's state: at its
// end the parent flushes every open window as its own partials, and its
// children start with empty state and the parent's last watermark (the
// higher of the two parents', for a merge). Since the merge combines the
// partials of all shards, a window open across the resharding is the sum
// of the parent's and the children's partials, and a record late for the
// parent is late for its children as well, so none lands in a window the
// merge has written. With KeyedShards, the windows up to the last one a
// parent flushed are shared, and merged, the later ones final per shard.
//
// # Idle shards
//
// A shard that is caught up advances its watermark with the wall clock
// minus Loop.Delay after Loop.IdleAfter (the kinesis.Loop's rule), and
// saves it, so the merge of the last windows does not wait for records
// on every shard.
//
// # The lease library
//
// Of kinesis-consumer v0.5.0 the package uses the consumer group
// (leases, worker heartbeats, assignment, handoff, parents before
// children), not its record reader, for three reasons: its reader falls
// back to the trim horizon when a checkpoint has expired (records lost
// without an error; here that is ErrTrimmed), it resumes after the last
// sequence number checkpointed (a KPL aggregate taken in part would lose
// its rest; the Loop resumes at it and skips what was taken), and it calls
// back only for records, so an idle shard could not advance by the clock.
// The worker reads with GetShardIterator and GetRecords itself and tells
// the group when a shard ends (CloseShard) or is given up (ShardStopped).
// Two gaps of the library are worked around: a worker restarted under the
// same id whose leases have not expired would renew them without ever
// reading the shards (the library hands a shard to the process only when
// it claims one), so Run releases them first; and the library does not
// notice a lease lost by expiry (a stalled worker), which the fencing
// above makes harmless. The library balances coarsely: with 4 shards and
// 3 workers, one worker may hold none until another dies.
//
// # Bad input
//
// A lease table that is missing or has another key schema (ErrTable), a
// state item of another query or format (kinesis.ErrState), and a
// checkpoint past the stream's trim horizon (ErrTrimmed: GetShardIterator
// refuses its sequence number, or the iterator at it expires at once) stop
// Run with an error that says what to do. A record that cannot be processed is a dead
// letter (Config.DeadLetters), written after the save that accounts for
// it, under a name per shard and batch.
package group
