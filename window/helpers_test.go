package window

import (
	"fmt"
	"strings"
	"time"

	"github.com/rowtime/rowtime/record"
)

// tev is the record type of the tests: a time, a key and an integer value.
type tev struct {
	T   record.Time
	Key string
	V   int64
}

func (e tev) EventTime() record.Time { return e.T }

func tevKey(e tev) string { return e.Key }

// tevSum sums V exactly.
type tevSum struct{}

func (tevSum) Add(a *int64, r tev)    { *a += r.V }
func (tevSum) Merge(dst, src *int64)  { *dst += *src }
func (tevSum) Result(a *int64) int64  { return *a }
func (tevSum) Remove(a *int64, r tev) { *a -= r.V }

// tevMax keeps the largest V; the zero state is empty.
type tevMaxState struct {
	V   int64
	Set bool
}

type tevMax struct{}

func (tevMax) Add(a *tevMaxState, r tev) {
	if !a.Set || r.V > a.V {
		*a = tevMaxState{r.V, true}
	}
}

func (tevMax) Merge(dst, src *tevMaxState) {
	if src.Set && (!dst.Set || src.V > dst.V) {
		*dst = *src
	}
}

func (tevMax) Result(a *tevMaxState) int64 { return a.V }

// tevList lists the values in merge order. Its state holds a slice, so it
// also catches an operator that merges into a shallow copy it does not own.
type tevList struct{}

func (tevList) Add(a *[]int64, r tev)   { *a = append(*a, r.V) }
func (tevList) Merge(dst, src *[]int64) { *dst = append(*dst, *src...) }
func (tevList) Result(a *[]int64) string {
	var b strings.Builder
	for i, v := range *a {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprint(&b, v)
	}
	return b.String()
}

// tevCounting is tevSum that counts its own calls.
type tevCounting struct{ calls *int }

func (c tevCounting) Add(a *int64, r tev)   { *c.calls++; *a += r.V }
func (c tevCounting) Merge(dst, src *int64) { *c.calls++; *dst += *src }
func (c tevCounting) Result(a *int64) int64 { return *a }

// collectTev runs op over recs, then flushes, and returns the results.
func collectTev[K comparable, V any](op *Agg[tev, K, V], recs []tev) ([]Result[K, V], error) {
	return record.Collect[tev, Result[K, V]](op, recs)
}

// fmtResults formats results compactly, times as durations since the epoch:
// "[0s,10s) a 1; [0s,10s) a 5 update".
func fmtResults[K, V any](rs []Result[K, V]) string {
	var b strings.Builder
	for i, r := range rs {
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "[%v,%v) %v %v", time.Duration(r.Start), time.Duration(r.End), r.Key, r.Value)
		if r.Update {
			b.WriteString(" update")
		}
	}
	return b.String()
}
