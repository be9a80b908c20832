// Package statetest measures the state that the example queries and the
// operators carry between invocations: the snapshot bytes of the auction and
// trending operators after a minute of their default workloads (the auction
// state must fit Lambda's 1 MB time-window state, base64 in a
// map[string]string), and the time and bytes of snapshot and restore for
// the cases the operators are sized by: 1,000 keys with SUM, a distinct
// count in its HyperLogLog phase, a 1,000-point hotspot window. It also
// checks, for the two example queries, that a snapshot and restore at any
// point of a stream changes none of the results.
//
// It holds only tests and benchmarks:
//
//	go test -v -run Size ./examples/internal/statetest
//	go test -run '^$' -bench . ./examples/internal/statetest
package statetest
