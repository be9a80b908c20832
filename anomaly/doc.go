// Package anomaly scores records for anomalies: KDA's RANDOM_CUT_FOREST and
// RANDOM_CUT_FOREST_WITH_EXPLANATION, a forest of random cut trees over a
// decaying sample of recent records, as AWS's open-source Random Cut Forest
// (aws/random-cut-forest-by-aws, Java core module) computes it.
//
// [New] builds an operator that emits, for every record, the record with its
// ANOMALY_SCORE (and, with Options.Explain, its ANOMALY_EXPLANATION);
// [NewKeyed] keeps a forest per key. [NewForest] is the model alone, for one
// series of float64 values:
//
//	op, err := anomaly.New([]string{"heartRate"},
//		func(dst []float64, r Beat) ([]float64, error) { return append(dst, r.Rate), nil },
//		nil) // *anomaly.Options: Trees, SampleSize, TimeDecay, ShingleSize, Seed, Explain, MaxKeys
//	...
//	err = op.Push(r, func(res anomaly.Result[Beat]) {
//		buf = res.AppendJSON(buf[:0]) // {"ANOMALY_SCORE":0.83}
//	})
//
// # Semantics
//
// The parameters are KDA's, with its defaults and ranges: numberOfTrees
// 1–1000 (100), subSampleSize 10–1000 (256) and below timeDecay, timeDecay
// 1–2³¹−1 records (100,000), shingleSize 1–30 (1), at most 30 numeric
// columns. A record's point is its columns' values; with shingling, the
// values of the last shingleSize records, oldest first.
//
// Each tree keeps a weighted reservoir sample of subSampleSize points: the
// point of sequence number s gets the weight −s/timeDecay + log(−log u), u
// uniform in (0, 1), and the sample keeps the smallest weights, so recent
// points are favoured and old ones fade by e per timeDecay records. The
// first subSampleSize points enter every sample. Over its sample each tree
// is a random cut tree: a box bounds each node's points, and a node's cut
// falls in a dimension chosen with probability proportional to its range,
// at a value uniform in that range. A point is inserted as the reference
// does it, drawing cuts from its leaf up; equal points share a leaf, whose
// mass counts them.
//
// A record is scored, then added to the forest. Its score is the mean over
// the trees of the reference's expected inverse depth: from the leaf the
// point falls into (1/(depth+1), or, when the point equals the leaf's,
// (1 − mass/(2·treeMass)) / (depth + log2(mass+1))), up to the root, mixing
// in 1/(depth+1) at each ancestor with the probability that a random cut of
// the ancestor's box grown by the point separates the point; the result is
// normalized by log2(treeMass+1). An ordinary point scores about 1 or
// less, an anomaly well above. The score is 0 for the first subSampleSize
// points, and for the shingleSize−1 records before the first full shingle,
// as KDA's was: these records train the forest.
//
// A constant series scores 0.5: every tree is then one leaf holding all
// the sampled points, so every point is seen, at depth 0, with
// (1 − 1/2)/log2(mass+1), normalized to exactly 0.5. KDA's own release
// scored such points 0.0311 (8/257); AWS's reference, followed here, gives
// 0.5.
//
// # Explanations
//
// With Options.Explain, each result carries per column an [Attribution]:
// the part of the score due to the column, split into the part due to cuts
// above the value (High) and below it (Low), as the reference's
// AnomalyAttributionVisitor computes it; with shingling a column's parts at
// the shingle's positions are summed. The columns' attributions sum to the
// score. KDA's ATTRIBUTION_SCORE is High + Low, its DIRECTION is HIGH when
// High ≥ Low and LOW otherwise, and its STRENGTH, which KDA never defined,
// is rowtime's |High − Low|: the part of the attribution that points one
// way, from 0 (as much pulls high as low) to the attribution itself (all of
// it one way), in the units of the score. [AppendExplanation] writes KDA's
// JSON of the ANOMALY_EXPLANATION column.
//
// # Bad input
//
// A NaN or infinite value, or one beyond ±[MaxValue] (1e150), a record
// whose values function fails (a missing or non-numeric field), or with a
// number of values other than the number of columns, is refused by Push
// with an error wrapping [ErrValue] and record.ErrRefused; a new key beyond
// Options.MaxKeys with [ErrKeys]. A
// refused record changes no forest.
//
// # Cost
//
// A record costs a descent of every tree (four trees at a time, so that
// their cache misses overlap) and a walk back up until the point lies inside
// a box, plus, when the sampler takes the point, the eviction of the
// heaviest point and an insertion: some 20–30 µs with KDA's defaults on one
// core, without allocation. Nodes, boxes and points live in flat arrays per
// tree, about 24·dims + 60 bytes per sampled point (1.9 MB for KDA's
// defaults and one column). A snapshot holds every tree's nodes, leaves and
// sample, so a restored operator scores exactly as the one that wrote it;
// the boxes are rebuilt. It takes about 4 kB per tree of the default
// sample for one column, 14 kB for a shingle of 4.
package anomaly
