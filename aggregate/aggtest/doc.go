// Package aggtest checks that an aggregate.Func obeys the algebra written
// down in package aggregate, on random input from a generator.
//
// It is for authors of aggregates, as testing/slogtest is for authors of
// slog handlers:
//
//	func TestMyAgg(t *testing.T) {
//		gen := func(rng *rand.Rand) Reading { return Reading{Temp: rng.NormFloat64()} }
//		aggtest.Run(t, MyAgg(), gen, nil)
//	}
//
// The laws, checked on every trial's stream (results compared with
// Options.Equal):
//   - identity: merging a zero accumulator into a, or a into a zero one,
//     leaves a's result unchanged;
//   - associativity: (a⊕b)⊕c and a⊕(b⊕c) give the same result;
//   - merge: adding a stream to one accumulator gives the same result as
//     adding consecutive runs of it to separate accumulators and merging them
//     in order (runs may be empty);
//   - merge-src: Merge(dst, src) leaves src's result unchanged, also after
//     further Adds to dst (the two share no memory);
//   - remove, for a Func that is an aggregate.Remover: removing records
//     oldest-first while adding new ones (a sliding window), newest-first
//     (LIFO), and from a merged accumulator gives the result of adding only
//     the records that remain;
//   - codec, for a Func that is an aggregate.StateCodec: AppendState appends
//     (it keeps dst's bytes) and ReadState reads back exactly what it wrote,
//     ignoring what follows; the decoded accumulator gives the same result and
//     behaves the same under further Adds and Merges; truncations of an
//     encoding (up to 64 lengths, evenly spaced) are errors that leave the
//     receiver unchanged.
//
// An approximate aggregate states, with Options.InRange, the streams on which
// these laws hold exactly (for a top-K summary: at most its capacity of
// distinct items); the kit shortens longer streams until they qualify.
package aggtest
