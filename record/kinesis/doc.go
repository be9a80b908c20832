// Package kinesis takes Kinesis records into rowtime operators exactly
// once: records as Kinesis delivers them (to a Lambda function or to
// GetRecords), their payloads decoded (JSON, KPL aggregates, CloudWatch
// Logs subscriptions), the bookkeeping that counts each record once
// however often it is delivered, and stores for the snapshots that carry
// the state from one batch to the next.
//
//	dec, _ := decode.NewJSON[Bid]("ts", decode.Millis)
//	format := kinesis.NewJSON[Bid](dec, nil)          // KPL aggregates too
//	once, _ := kinesis.NewOnce(query, &kinesis.LedgerOptions{Ordered: true})
//	store := kinesis.NewDynamoDBStore(client, "rowtime-state", nil)
//
//	data, ver, err := store.Load(ctx, key)            // ErrNotFound: a new shard
//	_ = once.Restore(data)
//	shard := once.Shard(shardID)
//	for _, ev := range event.Records {
//		r, _ := kinesis.FromEvent(&ev)
//		for _, it := range format.AppendItems(items[:0], &r) {
//			if it.Err != nil { /* a dead letter */ }
//			taken, err := once.Push(shard, it.Pos, it.Rec, emit)
//			...
//		}
//	}
//	snap, _ := once.AppendSnapshot(nil)
//	_, err = store.Save(ctx, key, snap, ver)          // ErrConflict: another writer won
//
// # Positions
//
// Every record has a [Position]: the sequence number of the Kinesis record
// that carried it and its index among the records that Kinesis record fans
// out into (user records of a KPL aggregate, log events of a CloudWatch
// Logs message, JSON lines). Bookkeeping and checkpoints work on
// positions, so a Kinesis record taken in part (a deadline, a failure
// half-way) is resumed at the first record not taken, and a redelivered
// one is skipped record by record.
//
// # Exactly once
//
// [Once] composes a [Ledger] with any operator that snapshots: the
// ledger's positions and the operator's state are in one snapshot, so a
// record is in both or in neither. A record is skipped only when the
// ledger knows it was taken; when it cannot tell, Push fails with
// ErrForgotten or ErrOrder, and the caller fails the batch: nothing is
// lost silently, nothing is counted twice.
//
// What a user sets: with Lambda's ParallelizationFactor 1 (the default),
// GetRecords or a consumer-group library, a shard's records arrive in
// order apart from redeliveries; set LedgerOptions.Ordered, and every
// redelivery is exact whatever its size. With ParallelizationFactor above
// 1, batches of one shard run at once, ordered only per partition key,
// so records arrive interleaved (1 and 3, then 2 and 4); leave Ordered
// unset and set LedgerOptions.Window to at least ParallelizationFactor ×
// BatchSize: the ledger then remembers the last Window positions one by
// one, takes a record that is below the last taken but not among them,
// and reports one below all of them (overtaken by more than Window
// records) as ErrForgotten rather than guess.
//
// # Bad input
//
// A record that cannot be decoded is an [Item] with Err set, a dead
// letter at its position holding its bytes and the reason (ErrDecode,
// ErrKPL, ErrLogs, ErrTooLarge); the caller takes it (Once.Take) and
// writes it to its dead letters with the state, so it is neither lost nor
// written twice.
//
// # Stores
//
// [FileStore] (atomic replace of one file per key) and [DynamoDBStore]
// (one item per key, chunked above 400 KB, switched by one conditional
// update) implement [Store]. Every Save is conditional on the version
// read: of two writers of one shard one wins, the other gets ErrConflict
// and reloads. Package kinesistest starts dynalite and kinesalite for
// tests.
package kinesis
