package trending

import (
	"errors"
	"fmt"
	"math"

	"github.com/rowtime/rowtime/examples/internal/payload"
	"github.com/rowtime/rowtime/record"
	"github.com/rowtime/rowtime/record/decode"
)

// ErrDecode is wrapped by every error of Decode, beside the decode
// package's own (decode.ErrSyntax, decode.ErrValue, decode.ErrNoTime, ...).
var ErrDecode = errors.New("trending: cannot decode action")

// decoder reads Action payloads, their time from timestamp in Unix
// milliseconds.
var decoder = func() *decode.JSON[Action] {
	d, err := decode.NewJSON[Action](TimeField, decode.Millis)
	if err != nil {
		panic(err) // constant arguments
	}
	return d
}()

// Decode decodes a payload holding one action: {"article_id":…,
// "user_id":…,"action":"click"|"impression","timestamp":<Unix ms>}. Any
// other action is an error, as is a missing timestamp.
//
// The news stream is the busiest of the examples (500,000 records a
// minute), so Decode first tries a scanner for exactly this flat shape (the
// four fields, integers, the two plain action strings, no escapes): about
// 70 ns and no allocation, where the decode package's decoder takes about
// 300 ns and allocates the action string and the one-record buffer. Any
// other payload, valid or not, goes to that decoder, which gives the same
// record or the error.
func Decode(data []byte) (Record, error) {
	if r, ok := scan(data); ok {
		return r, nil
	}
	return decodeFull(data)
}

// decodeFull is the general path of Decode, apart so that its buffer, which
// escapes, costs nothing on the fast path.
func decodeFull(data []byte) (Record, error) {
	r, err := payload.One(decoder, data, ErrDecode)
	if err != nil {
		return Record{}, err
	}
	switch r.Value.Action {
	case Click:
		r.Value.Action = Click // share the constant's memory
	case Impression:
		r.Value.Action = Impression
	default:
		return Record{}, fmt.Errorf("%w: field %q: %q is neither %q nor %q", ErrDecode, "action", r.Value.Action, Click, Impression)
	}
	return r, nil
}

// scan decodes the common shape of the payload: one JSON object with
// exactly the four fields, each once, integers in plain JSON form (at most
// 18 digits), the action "click" or "impression" with no escapes, and
// nothing but whitespace around. It reports false for anything else, and the
// caller then uses the full decoder; for what it accepts it gives what
// encoding/json and the JSON decoder give.
func scan(b []byte) (Record, bool) {
	const (
		fArticle = 1 << iota
		fUser
		fAction
		fTime
		fAll = fArticle | fUser | fAction | fTime
	)
	var (
		r    Record
		ms   int64
		seen int
	)
	i := skipSpace(b, 0)
	if i == len(b) || b[i] != '{' {
		return r, false
	}
	i++
	for {
		i = skipSpace(b, i)
		if i == len(b) || b[i] != '"' {
			return r, false
		}
		key, next, ok := plainString(b, i)
		if !ok {
			return r, false
		}
		i = skipSpace(b, next)
		if i == len(b) || b[i] != ':' {
			return r, false
		}
		i = skipSpace(b, i+1)
		var f int
		switch string(key) {
		case "article_id":
			f = fArticle
			r.Value.ArticleID, i, ok = integer(b, i)
		case "user_id":
			f = fUser
			r.Value.UserID, i, ok = integer(b, i)
		case "timestamp":
			f = fTime
			ms, i, ok = integer(b, i)
		case "action":
			f = fAction
			var v []byte
			v, i, ok = plainString(b, i)
			switch {
			case !ok:
			case string(v) == Click:
				r.Value.Action = Click
			case string(v) == Impression:
				r.Value.Action = Impression
			default:
				ok = false
			}
		}
		if !ok || f == 0 || seen&f != 0 {
			return r, false
		}
		seen |= f
		i = skipSpace(b, i)
		if i == len(b) {
			return r, false
		}
		if b[i] == '}' {
			break
		}
		if b[i] != ',' {
			return r, false
		}
		i++
	}
	if seen != fAll || skipSpace(b, i+1) != len(b) {
		return r, false
	}
	if ms > math.MaxInt64/1_000_000 || ms < math.MinInt64/1_000_000 {
		return r, false
	}
	r.Time = record.Time(ms * 1e6)
	return r, true
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// plainString reads the string starting at b[i] == '"' when it holds only
// printable ASCII and no escapes, and returns its contents and the index
// after its closing quote.
func plainString(b []byte, i int) ([]byte, int, bool) {
	if i >= len(b) || b[i] != '"' {
		return nil, i, false
	}
	for j := i + 1; j < len(b); j++ {
		switch c := b[j]; {
		case c == '"':
			return b[i+1 : j], j + 1, true
		case c == '\\' || c < 0x20 || c >= 0x7f:
			return nil, i, false
		}
	}
	return nil, i, false
}

// integer reads a JSON integer of at most 18 digits (so it fits an int64)
// starting at b[i], followed by a delimiter.
func integer(b []byte, i int) (int64, int, bool) {
	neg := i < len(b) && b[i] == '-'
	if neg {
		i++
	}
	start := i
	var v int64
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		v = v*10 + int64(b[i]-'0')
		i++
	}
	n := i - start
	if n == 0 || n > 18 || (n > 1 && b[start] == '0') {
		return 0, i, false
	}
	if i < len(b) && b[i] != ',' && b[i] != '}' && b[i] != ' ' && b[i] != '\t' && b[i] != '\n' && b[i] != '\r' {
		return 0, i, false // a fraction, an exponent, or garbage
	}
	if neg {
		v = -v
	}
	return v, i, true
}
