package hotspot

import (
	"fmt"
	"math"
	"strconv"
)

// AppendJSON appends the result's hotspots in KDA's HOTSPOTS_RESULT form,
// {"hotspots":[{"density":D,"minValues":[...],"maxValues":[...]}]}, with
// numbers written as encoding/json writes a float64. The record is not
// written. A density too large for float64 (possible only when ε^dims
// underflows) cannot be written in JSON: AppendJSON then returns dst
// unchanged and an error wrapping [ErrInvalid].
func (r Result[R]) AppendJSON(dst []byte) ([]byte, error) {
	return AppendJSON(dst, r.Hotspots)
}

// AppendJSON appends hs in KDA's HOTSPOTS_RESULT form, as
// [Result.AppendJSON] does.
func AppendJSON(dst []byte, hs []Hotspot) ([]byte, error) {
	for _, h := range hs {
		if math.IsInf(h.Density, 0) || math.IsNaN(h.Density) {
			return dst, fmt.Errorf("%w: density %v has no JSON form", ErrInvalid, h.Density)
		}
	}
	b := append(dst, `{"hotspots":[`...)
	for i, h := range hs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"density":`...)
		b = appendFloat(b, h.Density)
		b = append(b, `,"minValues":`...)
		b = appendFloats(b, h.Min)
		b = append(b, `,"maxValues":`...)
		b = appendFloats(b, h.Max)
		b = append(b, '}')
	}
	return append(b, "]}"...), nil
}

func appendFloats(b []byte, xs []float64) []byte {
	b = append(b, '[')
	for i, x := range xs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendFloat(b, x)
	}
	return append(b, ']')
}

// appendFloat writes f the way encoding/json writes a float64: the shortest
// representation, in 'f' form unless the magnitude is below 1e-6 or at least
// 1e21, and then in 'e' form with a two-digit exponent shortened to one.
func appendFloat(b []byte, f float64) []byte {
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// clean up e-09 to e-9
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}
