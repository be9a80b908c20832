// Package plot holds the number formatting and escaping that the examples'
// SVG drawings share.
package plot

import (
	"encoding/xml"
	"math"
	"strconv"
	"strings"
)

// NiceStep returns the 1, 2 or 5 times a power of ten nearest above d, an
// axis step a reader takes in at a glance; 1 for a d that is not positive
// and finite.
func NiceStep(d float64) float64 {
	if d <= 0 || math.IsNaN(d) || math.IsInf(d, 0) {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(d)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= d {
			return m * p
		}
	}
	return 10 * p
}

// Tick formats an axis value with as many decimals as the step needs.
func Tick(v, step float64) string {
	dec := max(0, int(-math.Floor(math.Log10(step))))
	if math.Abs(v) < step/1e6 {
		v = 0
	}
	return strconv.FormatFloat(v, 'f', dec, 64)
}

// Num formats a number for labels: at most 4 decimals, trailing zeros cut.
func Num(f float64) string {
	s := strconv.FormatFloat(f, 'f', 4, 64)
	return strings.TrimRight(strings.TrimRight(s, "0"), ".")
}

// Esc escapes s for XML text and attribute values.
func Esc(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}
