package decode

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// maxDepth is encoding/json's limit on nesting: 10,000 arrays and objects
// inside one another are accepted, one more is a syntax error.
const maxDepth = 10000

// A state decodes one JSON object of a payload: a validating scanner that
// follows encoding/json's grammar and fills the fields of the record as it
// goes. Syntax errors stop it (err); a value that does not fit its field is
// remembered (verr) and the scan goes on, because encoding/json reports a
// syntax error anywhere in the input before any type error.
type state struct {
	data  []byte
	i     int
	depth int
	err   *syntaxError
	verr  error      // the first value that did not fit
	vpath string     // the field it was for
	names [16]string // the fields being decoded, outermost first
	nname int        // how deep in fields the decoder is, maybe beyond names
	buf   []byte     // scratch for strings with escapes

	// The time field: its path, each name also folded; how many objects
	// on the path the scan is inside; and the value found at the deepest
	// level of the path (timeLevel names matched), the last such one.
	tpath     []string
	tfold     []string
	chain     int
	timeLevel int
	timeStart int
	timeEnd   int

	// failed collects the starts of objects that begin a line and were
	// still open when a syntax error stopped the scan: each of them
	// would fail the same way on its own, which saves trying them again.
	failed []int

	steps int // values scanned, for tests that bound the work

	// Strings the record keeps, set aside until it is complete.
	pend      [16]pending
	npend     int
	pendBytes int
	esc       []byte // decoded strings with escapes, for pend
	inSlice   int    // how many slices the decoder is inside
}

type syntaxError struct {
	msg string
	off int
}

func (s *state) fail(msg string) {
	if s.err == nil {
		s.err = &syntaxError{msg: msg, off: s.i}
	}
}

func (s *state) failChar(context string) {
	if s.i >= len(s.data) {
		s.fail("unexpected end of JSON input")
		return
	}
	s.fail(fmt.Sprintf("invalid character %s %s", quoteChar(s.data[s.i]), context))
}

// quoteChar is encoding/json's formatting of a byte in a syntax error.
func quoteChar(c byte) string {
	if c == '\'' {
		return `'\''`
	}
	if c == '"' {
		return `'"'`
	}
	s := strconv.Quote(string(rune(c)))
	return "'" + s[1:len(s)-1] + "'"
}

func (s *state) valueError(err error) {
	if s.verr == nil {
		s.verr = err
		s.vpath = joinPath(s.names[:min(s.nname, len(s.names))])
	}
}

func joinPath(p []string) string {
	switch len(p) {
	case 0:
		return ""
	case 1:
		return p[0]
	}
	n := len(p) - 1
	for _, e := range p {
		n += len(e)
	}
	b := make([]byte, 0, n)
	for k, e := range p {
		if k > 0 {
			b = append(b, '.')
		}
		b = append(b, e...)
	}
	return string(b)
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func (s *state) skipSpace() {
	for s.i < len(s.data) && s.data[s.i] <= ' ' && isSpace(s.data[s.i]) {
		s.i++
	}
}

// lineStart reports whether the byte at i is the first one of its line
// after spaces and tabs.
func lineStart(data []byte, i int) bool {
	for j := i - 1; j >= 0; j-- {
		switch data[j] {
		case '\n':
			return true
		case ' ', '\t', '\r':
		default:
			return false
		}
	}
	return true
}

// value decodes the value at s.i into p by c, or skips it when c is nil.
func (s *state) value(c *codec, p ptr) {
	s.steps++
	s.skipSpace()
	if s.i >= len(s.data) {
		s.fail("unexpected end of JSON input")
		return
	}
	if c != nil && c.kind == kFallback {
		s.fallback(c, p)
		return
	}
	switch ch := s.data[s.i]; {
	case ch == '{':
		if c != nil && c.kind == kPointer {
			c, p = s.alloc(c, p)
		}
		if c != nil && c.kind != kStruct {
			s.valueError(typeError("object", c.typ))
			c = nil
		}
		s.object(c, p)
	case ch == '[':
		if c != nil && c.kind == kPointer {
			c, p = s.alloc(c, p)
		}
		if c != nil && c.kind != kSlice {
			s.valueError(typeError("array", c.typ))
			c = nil
		}
		if c == nil {
			s.array(nil, nil)
			return
		}
		s.inSlice++
		s.array(c, p)
		s.inSlice--
	case ch == '"':
		start := s.i
		if c == nil {
			s.skipStr()
			return
		}
		str, ok := s.str()
		if !ok {
			return
		}
		if c.kind == kPointer {
			c, p = s.alloc(c, p)
		}
		if c.kind != kString {
			s.valueError(typeError("string", c.typ))
			return
		}
		s.keep((*string)(p), str, start)
	case ch == '-' || ch >= '0' && ch <= '9':
		start := s.i
		if !s.number() || c == nil {
			return
		}
		if c.kind == kPointer {
			c, p = s.alloc(c, p)
		}
		s.storeNumber(c, p, s.data[start:s.i], false)
	case ch == 't' || ch == 'f':
		v := ch == 't'
		if !s.literal() || c == nil {
			return
		}
		if c.kind == kPointer {
			c, p = s.alloc(c, p)
		}
		if c.kind != kBool {
			s.valueError(typeError("bool", c.typ))
			return
		}
		*(*bool)(p) = v
	case ch == 'n':
		if !s.literal() || c == nil {
			return
		}
		// null sets a slice or a pointer to nil and leaves anything
		// else as it was.
		switch c.kind {
		case kSlice:
			*(*[]byte)(p) = nil
		case kPointer:
			*(*unsafe.Pointer)(p) = nil
		}
	default:
		s.failChar("looking for beginning of value")
	}
}

// alloc follows the pointers of type c.typ at p to the value they point
// to, allocating each one that is nil, as encoding/json does, and returns
// that value and its codec.
func (s *state) alloc(c *codec, p ptr) (*codec, ptr) {
	for c.kind == kPointer {
		pp := (*unsafe.Pointer)(p)
		if *pp == nil {
			*pp = reflect.New(c.typ.Elem()).UnsafePointer()
		}
		p, c = *pp, c.elem
	}
	return c, p
}

func typeError(what string, t reflect.Type) error {
	return fmt.Errorf("cannot unmarshal %s into Go value of type %v", what, t)
}

// A pending string is one the record keeps, to be copied out of the input
// when the record is complete.
type pending struct {
	dst     *string
	off, n  int
	escaped bool // in s.esc, not in s.data
}

// keep stores str, decoded for a record to keep, in *dst. The strings of a
// record share one allocation: they are set aside until the record is
// complete (flush) and then copied into a buffer of their total size.
// start is the offset of the string's opening quote. A string inside a
// slice, whose storage may move as the slice grows, or beyond the room set
// aside, is allocated at once.
func (s *state) keep(dst *string, str []byte, start int) {
	if s.inSlice > 0 || s.npend == len(s.pend) || len(str) == 0 {
		*dst = string(str)
		return
	}
	pd := pending{dst: dst, n: len(str)}
	if len(str) > 0 && &str[0] == &s.data[start+1] {
		pd.off = start + 1
	} else {
		pd.off, pd.escaped = len(s.esc), true
		s.esc = append(s.esc, str...)
	}
	s.pend[s.npend] = pd
	s.npend++
	s.pendBytes += len(str)
}

// flush gives the set-aside strings of a complete record their storage.
func (s *state) flush() {
	if s.npend == 0 {
		return
	}
	buf := make([]byte, 0, s.pendBytes)
	for _, pd := range s.pend[:s.npend] {
		at := len(buf)
		if pd.escaped {
			buf = append(buf, s.esc[pd.off:pd.off+pd.n]...)
		} else {
			buf = append(buf, s.data[pd.off:pd.off+pd.n]...)
		}
		*pd.dst = unsafe.String(&buf[at], pd.n)
	}
	s.discard()
}

// discard forgets the set-aside strings of a record that failed.
func (s *state) discard() {
	s.npend, s.pendBytes, s.esc = 0, 0, s.esc[:0]
}

// fallback skips the value at s.i and has encoding/json decode its bytes
// into p: a type implementing json.Unmarshaler, a map, an interface.
func (s *state) fallback(c *codec, p ptr) {
	start := s.i
	s.value(nil, nil)
	if s.err != nil || p == nil {
		return
	}
	if err := json.Unmarshal(s.data[start:s.i], reflect.NewAt(c.typ, p).Interface()); err != nil {
		s.valueError(err)
	}
}

// object scans the object at s.i == '{' into the struct at p, or skips it
// when c is nil.
func (s *state) object(c *codec, p ptr) {
	s.steps++
	open := s.i
	s.i++
	s.depth++
	if s.depth > maxDepth {
		s.fail("exceeded max depth")
		s.noteFailed(open)
		return
	}
	level := s.depth
	onPath := s.chain == level-1 && level <= len(s.tpath)
	hint := 0
	s.skipSpace()
	if s.i < len(s.data) && s.data[s.i] == '}' {
		s.i++
		s.depth--
		return
	}
	for {
		s.skipSpace()
		if s.i >= len(s.data) || s.data[s.i] != '"' {
			s.failChar("looking for beginning of object key string")
			s.noteFailed(open)
			return
		}
		key, ok := s.str()
		if !ok {
			s.noteFailed(open)
			return
		}
		var fc *codec
		var fp ptr
		var f *field
		if c != nil {
			if k := c.lookup(key, hint); k >= 0 {
				f = &c.fields[k]
				fc, fp = f.codec, unsafe.Add(p, f.offset)
				hint = k + 1
			}
		}
		isTime := onPath && s.isTimeKey(key, level)
		if isTime {
			// This value replaces what an earlier one of the same
			// name held on the path.
			if s.timeLevel >= level {
				s.timeLevel, s.timeStart = 0, -1
			}
			if level < len(s.tpath) {
				s.chain = level
			}
		}
		s.skipSpace()
		if s.i >= len(s.data) || s.data[s.i] != ':' {
			s.failChar("after object key")
			s.noteFailed(open)
			return
		}
		s.i++
		if f != nil {
			if s.nname < len(s.names) {
				s.names[s.nname] = f.name
			}
			s.nname++
		}
		s.skipSpace()
		vstart := s.i
		if f != nil && f.quoted {
			s.quoted(fc, fp)
		} else {
			s.value(fc, fp)
		}
		if f != nil {
			s.nname--
		}
		if s.err != nil {
			s.noteFailed(open)
			return
		}
		if isTime {
			s.chain = level - 1
			if s.timeLevel <= level {
				s.timeStart, s.timeEnd, s.timeLevel = vstart, s.i, level
			}
		}
		s.skipSpace()
		if s.i >= len(s.data) {
			s.fail("unexpected end of JSON input")
			s.noteFailed(open)
			return
		}
		switch s.data[s.i] {
		case ',':
			s.i++
			continue
		case '}':
			s.i++
			s.depth--
			return
		}
		s.failChar("after object key:value pair")
		s.noteFailed(open)
		return
	}
}

// noteFailed remembers an object that begins a line and failed.
func (s *state) noteFailed(open int) {
	if s.depth > 1 && lineStart(s.data, open) {
		s.failed = append(s.failed, open)
	}
}

func (s *state) isTimeKey(key []byte, level int) bool {
	if string(key) == s.tpath[level-1] {
		return true
	}
	eq, ok := equalFoldASCII(key, s.tfold[level-1])
	if ok {
		return eq
	}
	return string(foldName(key)) == s.tfold[level-1]
}

// array scans the array at s.i == '[' into the slice at p, or skips it
// when c is nil, following encoding/json: the slice is reset to length 0
// and grown as elements arrive, an empty array gives an empty slice.
func (s *state) array(c *codec, p ptr) {
	s.i++
	s.depth++
	if s.depth > maxDepth {
		s.fail("exceeded max depth")
		return
	}
	var v reflect.Value
	var esize uintptr
	if c != nil {
		v = reflect.NewAt(c.typ, p).Elem()
		esize = c.typ.Elem().Size()
	}
	n := 0
	s.skipSpace()
	if s.i < len(s.data) && s.data[s.i] == ']' {
		s.i++
		s.depth--
		if c != nil {
			v.Set(reflect.MakeSlice(c.typ, 0, 0))
		}
		return
	}
	for {
		var ep ptr
		var ec *codec
		if c != nil {
			if n >= v.Cap() {
				v.Grow(1)
			}
			if n >= v.Len() {
				v.SetLen(n + 1)
			}
			ec = c.elem
			ep = unsafe.Add(v.UnsafePointer(), uintptr(n)*esize)
		}
		s.value(ec, ep)
		if s.err != nil {
			return
		}
		n++
		s.skipSpace()
		if s.i >= len(s.data) {
			s.fail("unexpected end of JSON input")
			return
		}
		switch s.data[s.i] {
		case ',':
			s.i++
			continue
		case ']':
			s.i++
			s.depth--
			if c != nil && n < v.Len() {
				v.SetLen(n)
			}
			return
		}
		s.failChar("after array element")
		return
	}
}

// Bytes of a string the scanner must stop at, eight at a time: the bit
// tricks find a byte equal to '"' or '\\' or below 0x20 (and, for str, one
// of 0x80 or more) in a word, with no false negatives.
const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

func stopBytes(x uint64) uint64 {
	q := x ^ (lsb * '"')
	b := x ^ (lsb * '\\')
	return ((q - lsb) &^ q & msb) | ((b - lsb) &^ b & msb) | ((x - lsb*0x20) &^ x & msb)
}

// plainRun returns how many bytes from data[i] on, in whole words, hold no
// byte stopBytes finds, nor (with ascii) any byte of 0x80 or more.
func plainRun(data []byte, i int, ascii bool) int {
	j := i
	for j+8 <= len(data) {
		x := binary.LittleEndian.Uint64(data[j:])
		m := stopBytes(x)
		if ascii {
			m |= x & msb
		}
		if m != 0 {
			break
		}
		j += 8
	}
	return j - i
}

// skipStr scans the string at s.i == '"' without decoding it.
func (s *state) skipStr() {
	data := s.data
	i := s.i + 1
	i += plainRun(data, i, false)
	for i < len(data) {
		c := data[i]
		if c == '"' {
			s.i = i + 1
			return
		}
		if c == '\\' || c < ' ' {
			s.endString(i)
			return
		}
		i++
	}
	s.i = i
	s.fail("unexpected end of JSON input")
}

// str scans the string at s.i == '"' and returns its contents as
// encoding/json decodes them: escapes resolved, invalid UTF-8 and lone
// surrogates replaced by U+FFFD. The bytes are the input's own when it
// needs no change, else s.buf's; they are valid until the next call.
func (s *state) str() ([]byte, bool) {
	data := s.data
	start := s.i + 1
	i := start + plainRun(data, start, true)
	for i < len(data) {
		c := data[i]
		if c == '"' {
			s.i = i + 1
			return data[start:i], true
		}
		if c == '\\' || c < ' ' || c >= utf8.RuneSelf {
			break
		}
		i++
	}
	if !s.endString(i) {
		return nil, false
	}
	b, ok := unquote(s.buf[:0], data[start:s.i-1])
	if !ok {
		s.fail("invalid string")
		return nil, false
	}
	s.buf = b
	return b, true
}

// endString validates the rest of a string from offset i, inside it, and
// sets s.i after its closing quote.
func (s *state) endString(i int) bool {
	data := s.data
	for i < len(data) {
		c := data[i]
		switch {
		case c == '"':
			s.i = i + 1
			return true
		case c == '\\':
			i++
			if i >= len(data) {
				s.i = i
				s.fail("unexpected end of JSON input")
				return false
			}
			switch data[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i++
			case 'u':
				i++
				for k := 0; k < 4; k++ {
					if i >= len(data) {
						s.i = i
						s.fail("unexpected end of JSON input")
						return false
					}
					if !isHex(data[i]) {
						s.i = i
						s.failChar("in \\u hexadecimal character escape")
						return false
					}
					i++
				}
			default:
				s.i = i
				s.failChar("in string escape code")
				return false
			}
		case c < ' ':
			s.i = i
			s.failChar("in string literal")
			return false
		default:
			i++
		}
	}
	s.i = i
	s.fail("unexpected end of JSON input")
	return false
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// unescape maps the byte after a backslash to the byte it stands for.
var unescape = [256]byte{'"': '"', '\\': '\\', '/': '/', '\'': '\'', 'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t'}

// unquote appends the contents of a JSON string, without its quotes, to
// dst, as encoding/json's unquoteBytes decodes them (this is its port).
func unquote(dst, s []byte) ([]byte, bool) {
	for r := 0; r < len(s); {
		switch c := s[r]; {
		case c == '\\':
			r++
			if r >= len(s) {
				return dst, false
			}
			switch e := s[r]; {
			case unescape[e] != 0:
				dst = append(dst, unescape[e])
				r++
			case e != 'u':
				return dst, false
			default:
				r--
				rr := getu4(s[r:])
				if rr < 0 {
					return dst, false
				}
				r += 6
				if utf16.IsSurrogate(rr) {
					rr1 := getu4(s[r:])
					if dec := utf16.DecodeRune(rr, rr1); dec != unicode.ReplacementChar {
						r += 6
						dst = utf8.AppendRune(dst, dec)
						break
					}
					rr = unicode.ReplacementChar
				}
				dst = utf8.AppendRune(dst, rr)
			}
		case c == '"', c < ' ':
			return dst, false
		case c < utf8.RuneSelf:
			dst = append(dst, c)
			r++
		default:
			rr, size := utf8.DecodeRune(s[r:])
			r += size
			dst = utf8.AppendRune(dst, rr)
		}
	}
	return dst, true
}

func getu4(s []byte) rune {
	if len(s) < 6 || s[0] != '\\' || s[1] != 'u' {
		return -1
	}
	var r rune
	for _, c := range s[2:6] {
		switch {
		case '0' <= c && c <= '9':
			c = c - '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r*16 + rune(c)
	}
	return r
}

// number scans a JSON number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *state) number() bool {
	data, i := s.data, s.i
	if data[i] == '-' {
		i++
	}
	switch {
	case i < len(data) && data[i] == '0':
		i++
	case i < len(data) && data[i] >= '1' && data[i] <= '9':
		for i < len(data) && data[i] >= '0' && data[i] <= '9' {
			i++
		}
	default:
		s.i = i
		s.failChar("in numeric literal")
		return false
	}
	if i < len(data) && data[i] == '.' {
		i++
		if i >= len(data) || data[i] < '0' || data[i] > '9' {
			s.i = i
			s.failChar("after decimal point in numeric literal")
			return false
		}
		for i < len(data) && data[i] >= '0' && data[i] <= '9' {
			i++
		}
	}
	if i < len(data) && (data[i] == 'e' || data[i] == 'E') {
		i++
		if i < len(data) && (data[i] == '+' || data[i] == '-') {
			i++
		}
		if i >= len(data) || data[i] < '0' || data[i] > '9' {
			s.i = i
			s.failChar("in exponent of numeric literal")
			return false
		}
		for i < len(data) && data[i] >= '0' && data[i] <= '9' {
			i++
		}
	}
	s.i = i
	return true
}

// literal scans true, false or null.
func (s *state) literal() bool {
	var want string
	switch s.data[s.i] {
	case 't':
		want = "true"
	case 'f':
		want = "false"
	default:
		want = "null"
	}
	for k := 0; k < len(want); k++ {
		if s.i >= len(s.data) {
			s.fail("unexpected end of JSON input")
			return false
		}
		if s.data[s.i] != want[k] {
			s.failChar("in literal " + want + " (expecting " + quoteChar(want[k]) + ")")
			return false
		}
		s.i++
	}
	return true
}

// storeNumber stores the number text item into p by c. quoted says the
// text came from inside a string under the ",string" option.
func (s *state) storeNumber(c *codec, p ptr, item []byte, quoted bool) {
	switch c.kind {
	case kInt:
		n, ok := parseInt(item)
		if !ok || !fitsInt(n, c.size) {
			s.valueError(typeError("number "+string(item), c.typ))
			return
		}
		switch c.size {
		case 1:
			*(*int8)(p) = int8(n)
		case 2:
			*(*int16)(p) = int16(n)
		case 4:
			*(*int32)(p) = int32(n)
		default:
			*(*int64)(p) = n
		}
	case kUint:
		n, err := strconv.ParseUint(unsafeString(item), 10, 64)
		if err != nil || !fitsUint(n, c.size) {
			s.valueError(typeError("number "+string(item), c.typ))
			return
		}
		switch c.size {
		case 1:
			*(*uint8)(p) = uint8(n)
		case 2:
			*(*uint16)(p) = uint16(n)
		case 4:
			*(*uint32)(p) = uint32(n)
		default:
			*(*uint64)(p) = n
		}
	case kFloat64:
		n, err := strconv.ParseFloat(unsafeString(item), 64)
		if err != nil {
			s.valueError(typeError("number "+string(item), c.typ))
			return
		}
		*(*float64)(p) = n
	case kFloat32:
		n, err := strconv.ParseFloat(unsafeString(item), 32)
		if err != nil || math.Abs(n) > math.MaxFloat32 {
			s.valueError(typeError("number "+string(item), c.typ))
			return
		}
		*(*float32)(p) = float32(n)
	default:
		if quoted {
			s.valueError(fmt.Errorf("invalid use of ,string struct tag, trying to unmarshal %q into %v", item, c.typ))
			return
		}
		s.valueError(typeError("number", c.typ))
	}
}

// parseInt is strconv.ParseInt(item, 10, 64) without the string, quick for
// up to 18 digits.
func parseInt(item []byte) (int64, bool) {
	b := item
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	if len(b) == 0 || len(b) > 18 {
		n, err := strconv.ParseInt(unsafeString(item), 10, 64)
		return n, err == nil
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

func fitsInt(n int64, size uintptr) bool {
	switch size {
	case 1:
		return n == int64(int8(n))
	case 2:
		return n == int64(int16(n))
	case 4:
		return n == int64(int32(n))
	}
	return true
}

func fitsUint(n uint64, size uintptr) bool {
	switch size {
	case 1:
		return n == uint64(uint8(n))
	case 2:
		return n == uint64(uint16(n))
	case 4:
		return n == uint64(uint32(n))
	}
	return true
}

func unsafeString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// quoted decodes a field with the ",string" option, as encoding/json
// does: the value is null (which changes nothing) or a string holding the
// JSON text of the value.
func (s *state) quoted(c *codec, p ptr) {
	s.skipSpace()
	if s.i >= len(s.data) {
		s.fail("unexpected end of JSON input")
		return
	}
	switch s.data[s.i] {
	case 'n':
		s.literal()
		return
	case '"':
	default:
		s.value(nil, nil)
		if s.err == nil {
			s.valueError(fmt.Errorf("invalid use of ,string struct tag, trying to unmarshal unquoted value into %v", c.typ))
		}
		return
	}
	str, ok := s.str()
	if !ok {
		return
	}
	item := str
	bad := func() {
		s.valueError(fmt.Errorf("invalid use of ,string struct tag, trying to unmarshal %q into %v", item, c.typ))
	}
	if len(item) == 0 {
		bad()
		return
	}
	switch ch := item[0]; {
	case ch == 'n':
		if string(item) != "null" {
			bad()
		}
	case ch == 't' || ch == 'f':
		if string(item) != "true" && string(item) != "false" {
			bad()
			return
		}
		if c.kind != kBool {
			bad()
			return
		}
		*(*bool)(p) = ch == 't'
	case ch == '"':
		u, ok := unquoteQuoted(item)
		if !ok {
			bad()
			return
		}
		if c.kind != kString {
			s.valueError(typeError("string", c.typ))
			return
		}
		*(*string)(p) = string(u)
	case ch == '-' || ch >= '0' && ch <= '9':
		if c.kind == kString || c.kind == kBool {
			bad()
			return
		}
		s.storeNumber(c, p, item, true)
	default:
		bad()
	}
}

// unquoteQuoted is unquoteBytes on a whole quoted text.
func unquoteQuoted(item []byte) ([]byte, bool) {
	if len(item) < 2 || item[0] != '"' || item[len(item)-1] != '"' {
		return nil, false
	}
	return unquote(nil, item[1:len(item)-1])
}
