package decode

import (
	"bytes"
	"encoding"
	"fmt"
	"reflect"
	"strconv"
	"unicode/utf8"
	"unsafe"

	"github.com/rowtime/rowtime/record"
)

// CSVOptions are the settings of a [CSV] decoder. The zero CSVOptions read
// comma-separated columns in the order of T's fields.
type CSVOptions struct {
	// Comma is the column delimiter, KDA's RecordColumnDelimiter; zero
	// means ','. It may not be a quote, '\r' or '\n'.
	Comma rune
	// Columns names the columns in order, KDA's schema mapping: each name
	// is matched to a field of T as encoding/json matches a key (json tags
	// apply; exactly, or else case-insensitively). A column no field has
	// is read past, unless it is the time column. Nil means one column per
	// field of T, in the order of the fields.
	Columns []string
	// Header says the first line of each payload is a header naming its
	// columns, which then take the place of Columns for that payload.
	Header bool
}

// A CSV decodes payloads of CSV lines into records of type [record.Of][T],
// as KDA's schema mapping read CSV records: one record per line (blank lines
// are skipped, "\r\n" ends a line too), columns split at the delimiter, a
// column in double quotes may hold the delimiter and doubled quotes ("")
// but not a line break. An empty column leaves its field zero (nil for a
// pointer), KDA's NULL. T must be a struct whose columns are strings,
// booleans, integers, floats, pointers to those, or types with an
// UnmarshalText method.
//
// A CSV holds no state after construction and is safe for concurrent use.
type CSV[T any] struct {
	root    *codec
	comma   []byte
	cols    []int // field of each column, -1 for none
	timeCol int   // column of the time, -1 for none (Arrival, or Header)
	column  string
	format  Format
	header  bool
}

// NewCSV returns a decoder of CSV lines that takes the event time from the
// column named column, read in format: for [Seconds] and [Millis] a
// number, for the others the text. With [Arrival], column must be empty.
func NewCSV[T any](column string, format Format, opts *CSVOptions) (*CSV[T], error) {
	if opts == nil {
		opts = &CSVOptions{}
	}
	if _, err := timePath("NewCSV", column, format); err != nil {
		return nil, err
	}
	c := codecFor(reflect.TypeFor[T]())
	if c.kind != kStruct {
		return nil, fmt.Errorf("decode: NewCSV: %v is not a struct type", c.typ)
	}
	for _, f := range c.fields {
		if !csvKind(f.codec) {
			return nil, fmt.Errorf("decode: NewCSV: field %q of type %v cannot hold a CSV column", f.name, f.codec.typ)
		}
	}
	comma := opts.Comma
	if comma == 0 {
		comma = ','
	}
	if comma == '"' || comma == '\r' || comma == '\n' || !utf8.ValidRune(comma) {
		return nil, fmt.Errorf("decode: NewCSV: invalid delimiter %q", comma)
	}
	d := &CSV[T]{root: c, comma: utf8.AppendRune(nil, comma), column: column, format: format, header: opts.Header, timeCol: -1}
	names := opts.Columns
	if names == nil {
		for _, f := range c.fields {
			names = append(names, f.name)
		}
	}
	d.cols, d.timeCol = d.mapColumns(names)
	if !d.header && format != Arrival && d.timeCol < 0 {
		return nil, fmt.Errorf("decode: NewCSV: no column %q among %q", column, names)
	}
	return d, nil
}

func csvKind(c *codec) bool {
	switch c.kind {
	case kString, kBool, kInt, kUint, kFloat32, kFloat64:
		return true
	case kPointer:
		return csvKind(c.elem)
	case kFallback:
		return reflect.PointerTo(c.typ).Implements(textUnmarshalerType)
	}
	return false
}

// mapColumns returns the field of each named column and the time column.
func (d *CSV[T]) mapColumns(names []string) ([]int, int) {
	cols := make([]int, len(names))
	timeCol := -1
	for k, n := range names {
		cols[k] = d.root.lookup([]byte(n), 0)
		if d.format != Arrival && columnMatches(n, d.column) {
			timeCol = k
		}
	}
	return cols, timeCol
}

// columnMatches matches a column name as a key is matched to a field.
func columnMatches(name, want string) bool {
	return name == want || string(foldName([]byte(name))) == string(foldName([]byte(want)))
}

// Append decodes every CSV line of data, appends the records to dst and
// returns the extended slice. arrival is used with [Arrival] and ignored
// otherwise. A line that cannot be decoded does not stop the others:
// Append skips it and returns, after decoding the rest, an [Errors] with
// one *[Error] per skipped line.
func (d *CSV[T]) Append(dst []record.Of[T], data []byte, arrival record.Time) ([]record.Of[T], error) {
	return appendOne(d, dst, data, arrival)
}

// AppendBatch is [CSV.Append] for every payload of a batch in turn; the
// Record of each *[Error] is the index of its payload.
func (d *CSV[T]) AppendBatch(dst []record.Of[T], batch []Payload) ([]record.Of[T], error) {
	return appendBatch(d, dst, batch)
}

var bom = []byte("\ufeff")

func (d *CSV[T]) appendPayload(dst []record.Of[T], data []byte, arrival record.Time, rec int, batch bool, errs Errors) ([]record.Of[T], Errors) {
	data = bytes.TrimPrefix(data, bom)
	cols, timeCol := d.cols, d.timeCol
	needHeader := d.header
	var cells [32][]byte
	var buf []byte
	fail := func(line int, field string, err error) {
		errs = append(errs, &Error{Record: rec, Line: line, Field: field, Err: err, batch: batch})
	}
	names := func(k int) string {
		if k < len(cols) && cols[k] >= 0 {
			return d.root.fields[cols[k]].name
		}
		if k == timeCol {
			return d.column
		}
		return "#" + strconv.Itoa(k+1)
	}
	for line, rest := 1, data; len(rest) > 0; line++ {
		text := rest
		if nl := bytes.IndexByte(rest, '\n'); nl >= 0 {
			text, rest = rest[:nl], rest[nl+1:]
		} else {
			rest = nil
		}
		text = bytes.TrimSuffix(text, []byte{'\r'})
		if len(bytes.TrimSpace(text)) == 0 {
			continue
		}
		row, err := splitCSV(cells[:0], text, d.comma, &buf)
		if err != nil {
			fail(line, "", err)
			if needHeader {
				return dst, errs // without its header the payload means nothing
			}
			continue
		}
		if needHeader {
			needHeader = false
			hdr := make([]string, len(row))
			for k, c := range row {
				hdr[k] = string(c)
			}
			cols, timeCol = d.mapColumns(hdr)
			if d.format != Arrival && timeCol < 0 {
				fail(line, d.column, fmt.Errorf("%w: the header %q has no time column", ErrNoTime, hdr))
				return dst, errs
			}
			continue
		}
		if len(row) != len(cols) {
			fail(line, "", fmt.Errorf("%w: %d columns, want %d", ErrValue, len(row), len(cols)))
			continue
		}
		dst = append(dst, record.Of[T]{})
		slot := &dst[len(dst)-1]
		bad := false
		// The strings of a record share one allocation.
		n := 0
		for k, cell := range row {
			if f := cols[k]; f >= 0 && d.root.fields[f].codec.kind == kString {
				n += len(cell)
			}
		}
		var arena []byte
		if n > 0 {
			arena = make([]byte, 0, n)
		}
		for k, cell := range row {
			f := cols[k]
			if f < 0 {
				continue
			}
			fd := &d.root.fields[f]
			if fd.codec.kind == kString {
				if len(cell) > 0 {
					at := len(arena)
					arena = append(arena, cell...)
					*(*string)(unsafe.Add(unsafe.Pointer(&slot.Value), fd.offset)) = unsafe.String(&arena[at], len(cell))
				}
				continue
			}
			if err := storeCell(fd.codec, unsafe.Add(unsafe.Pointer(&slot.Value), fd.offset), cell); err != nil {
				fail(line, names(k), fmt.Errorf("%w: %v", ErrValue, err))
				bad = true
				break
			}
		}
		if !bad {
			switch {
			case d.format == Arrival:
				slot.Time = arrival
			case len(bytes.TrimSpace(row[timeCol])) == 0:
				fail(line, names(timeCol), ErrNoTime)
				bad = true
			default:
				t, err := d.format.fromText(row[timeCol])
				if err != nil {
					fail(line, names(timeCol), err)
					bad = true
				}
				slot.Time = t
			}
		}
		if bad {
			*slot = record.Of[T]{}
			dst = dst[:len(dst)-1]
		}
	}
	return dst, errs
}

// splitCSV appends the columns of one line to dst. A quoted column with
// doubled quotes is unescaped into *buf; the columns are valid until the
// next call.
func splitCSV(dst [][]byte, text, comma []byte, buf *[]byte) ([][]byte, error) {
	*buf = (*buf)[:0]
	for {
		if len(text) == 0 || text[0] != '"' {
			end := bytes.Index(text, comma)
			cell := text
			if end >= 0 {
				cell = text[:end]
			}
			if bytes.IndexByte(cell, '"') >= 0 {
				return dst, fmt.Errorf("%w: bare \" in a column without quotes", ErrSyntax)
			}
			dst = append(dst, cell)
			if end < 0 {
				return dst, nil
			}
			text = text[end+len(comma):]
			continue
		}
		// A quoted column: up to a quote not doubled.
		i := 1
		start := len(*buf)
		simple := true
		for {
			q := bytes.IndexByte(text[i:], '"')
			if q < 0 {
				return dst, fmt.Errorf("%w: a quoted column does not end on its line", ErrSyntax)
			}
			if i+q+1 < len(text) && text[i+q+1] == '"' {
				*buf = append(*buf, text[i:i+q+1]...)
				simple = false
				i += q + 2
				continue
			}
			if simple {
				dst = append(dst, text[1:i+q])
			} else {
				*buf = append(*buf, text[i:i+q]...)
				dst = append(dst, (*buf)[start:len(*buf):len(*buf)])
			}
			i += q + 1
			break
		}
		text = text[i:]
		if len(text) == 0 {
			return dst, nil
		}
		if !bytes.HasPrefix(text, comma) {
			return dst, fmt.Errorf("%w: extraneous text after a quoted column", ErrSyntax)
		}
		text = text[len(comma):]
	}
}

// storeCell converts the text of a column into the field at p.
func storeCell(c *codec, p ptr, cell []byte) error {
	if c.kind == kString {
		*(*string)(p) = string(cell)
		return nil
	}
	if c.kind == kFallback {
		u := reflect.NewAt(c.typ, p).Interface().(encoding.TextUnmarshaler)
		if err := u.UnmarshalText(cell); err != nil {
			return fmt.Errorf("%q: %w", cell, err)
		}
		return nil
	}
	cell = bytes.TrimSpace(cell)
	if len(cell) == 0 {
		return nil // NULL: zero, or a nil pointer
	}
	if c.kind == kPointer {
		pp := (*unsafe.Pointer)(p)
		if *pp == nil {
			*pp = reflect.New(c.typ.Elem()).UnsafePointer()
		}
		return storeCell(c.elem, *pp, cell)
	}
	s := unsafeString(cell)
	switch c.kind {
	case kBool:
		v, err := strconv.ParseBool(s)
		if err != nil {
			return fmt.Errorf("%q is not a boolean", cell)
		}
		*(*bool)(p) = v
	case kInt:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || !fitsInt(n, c.size) {
			return fmt.Errorf("%q is not an integer of type %v", cell, c.typ)
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
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil || !fitsUint(n, c.size) {
			return fmt.Errorf("%q is not an integer of type %v", cell, c.typ)
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
	case kFloat32:
		n, err := strconv.ParseFloat(s, 32)
		if err != nil {
			return fmt.Errorf("%q is not a number of type %v", cell, c.typ)
		}
		*(*float32)(p) = float32(n)
	case kFloat64:
		n, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return fmt.Errorf("%q is not a number of type %v", cell, c.typ)
		}
		*(*float64)(p) = n
	}
	return nil
}
