// Package aggregate provides mergeable aggregate functions over records: the
// SQL aggregates COUNT, SUM, AVG, MIN and MAX, and the contract (Func) that the
// windowed operators of rowtime run them through.
package aggregate
