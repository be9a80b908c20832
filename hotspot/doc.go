// Package hotspot finds dense regions in a stream: KDA's
// HOTSPOTS(window, scanRadius, minPoints), as density clustering over the
// last N records, kept up to date record by record.
//
// [Find] clusters a slice of points once. [New] builds an operator that
// clusters the points of the last N records and emits, for every record,
// the record and the hotspots of the window after it entered:
//
//	op, err := hotspot.New(1000, 0.2, 17,
//		func(dst []float64, r Pickup) []float64 { return append(dst, r.Lon, r.Lat) },
//		nil) // *hotspot.Options: Every, OnlyChanges, Dims, PaneSize
//	...
//	err = op.Push(r, func(res hotspot.Result[Pickup]) {
//		buf, _ = res.AppendJSON(buf[:0]) // {"hotspots":[{"density":...,"minValues":[...],"maxValues":[...]}]}
//	})
//
// # Semantics
//
// Clustering is DBSCAN's, with every boundary fixed so that all
// implementations agree. q is in the ε-neighbourhood of p when
// Σ (p_i − q_i)² ≤ ε², summed in float64 in dimension order, and the
// neighbourhood includes p itself. p is a core point when its neighbourhood
// holds at least minPts points. Core points within ε of each other are in one
// cluster; a non-core point within ε of a core point is a border point of
// the cluster of its nearest core point (the earliest-arrived on a tie);
// every other point is noise. Each cluster is a [Hotspot]: its point count,
// its per-coordinate minimum and maximum, and
// density = count / Π max(max_i − min_i, ε). Hotspots are listed by density,
// highest first, then by Min and Max lexicographically ([Compare]).
//
// The operator is driven by record count: Advance and Flush emit nothing. A
// point with a NaN or infinite coordinate, or of the wrong dimension, is
// refused by Push with an error wrapping [ErrPoint] and does not enter the
// window. A [Result]'s hotspots belong to the operator until its next Push
// (copy them with [Result.Clone] to keep them).
//
// # Cost
//
// The operator never re-clusters the window. Neighbour search uses
// github.com/kyroy/kdtree: the window is cut into panes of consecutive
// points ([DefaultPaneSize]); each full pane has a balanced tree built once,
// the newest pane is scanned linearly, and a pane is dropped whole when its
// last point expires (so no tree ever has a point removed). A new point costs
// at most one range search per pane (none when the pane's bounding box is
// out of reach); its neighbours' counts go up and the pairs are
// kept, so the expiry of the oldest point (whose live neighbours are all
// newer) decrements counts without a search. Clusters change only where core
// status changed: new core points merge clusters (the smaller is relabelled),
// and a cluster losing core points is re-examined alone, by a walk that stops
// as soon as the lost points' remaining core neighbours are found connected.
// Memory is O(N + neighbour pairs in the window).
//
// On the workload of package hotspottest (N = 1,000, ε = 0.2, minPts = 17,
// BenchmarkHotspots) a record costs
// a few microseconds, hundreds of times less than running Find over the
// window. Allocations per record are those kdtree's API forces: the slices
// its RangeSearch returns and, amortized, the nodes of a pane's tree.
//
// Operators snapshot their state with [Operator.AppendSnapshot] (the
// window's points, parameters and counters) and [Operator.Restore] rebuilds
// the rest, so a restored operator continues exactly as the original.
//
// Package hotspottest generates the workload of KDA's own HOTSPOTS test.
package hotspot
