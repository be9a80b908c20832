package auction

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/rowtime/rowtime/record"
)

// ErrDecode is wrapped by every error of Decode.
var ErrDecode = errors.New("auction: cannot decode bid")

// Decode decodes one payload of the blockchain example: a JSON object with
// the fields of Bid and EventTimestamp in Unix seconds, as a number or a
// numeric string (a fraction of a second is kept to the nanosecond).
func Decode(payload []byte) (Record, error) {
	var w struct {
		Bid
		EventTimestamp json.RawMessage `json:"EventTimestamp"`
	}
	if err := json.Unmarshal(payload, &w); err != nil {
		return Record{}, fmt.Errorf("%w: %v", ErrDecode, err)
	}
	t, err := seconds(w.EventTimestamp)
	if err != nil {
		return Record{}, fmt.Errorf("%w: field %s: %v", ErrDecode, TimeField, err)
	}
	return Record{Time: t, Value: w.Bid}, nil
}

func seconds(raw json.RawMessage) (record.Time, error) {
	s := strings.TrimSpace(string(raw))
	if s == "" || s == "null" {
		return 0, errors.New("missing")
	}
	if s[0] == '"' {
		if err := json.Unmarshal(raw, &s); err != nil {
			return 0, err
		}
		s = strings.TrimSpace(s)
	}
	return parseSeconds(s)
}

// parseSeconds parses a decimal number of seconds exactly, to the
// nanosecond (digits beyond the ninth decimal are truncated toward negative
// infinity), and falls back to floating point for exponent forms.
func parseSeconds(s string) (record.Time, error) {
	const maxSec = math.MaxInt64 / 1_000_000_000
	intPart, frac, hasFrac := strings.Cut(s, ".")
	if i, err := strconv.ParseInt(intPart, 10, 64); err == nil && (!hasFrac || digits(frac)) {
		if i > maxSec || i < -maxSec {
			return 0, fmt.Errorf("%s seconds is out of range", s)
		}
		var ns int64
		for k := range 9 {
			ns *= 10
			if k < len(frac) {
				ns += int64(frac[k] - '0')
			}
		}
		neg := strings.HasPrefix(intPart, "-")
		if neg && len(frac) > 9 && strings.Trim(frac[9:], "0") != "" {
			ns++ // floor below the nanosecond
		}
		if neg {
			ns = -ns
		}
		return record.Time(i*1e9 + ns), nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("%q is not a number of seconds", s)
	}
	ns := math.Floor(f * 1e9)
	if ns >= math.MaxInt64 || ns < math.MinInt64 {
		return 0, fmt.Errorf("%s seconds is out of range", s)
	}
	return record.Time(ns), nil
}

func digits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
