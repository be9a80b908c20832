package table

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/rowtime/rowtime/record"
)

// Sentinel errors of reference tables, wrapped by an *[Error] or returned
// from the constructors.
var (
	// ErrSyntax means a table's input is not well-formed: JSON lines that
	// are not JSON objects, or CSV that encoding/csv rejects.
	ErrSyntax = errors.New("table: malformed input")
	// ErrColumns means a row has a different number of values than the
	// table has columns.
	ErrColumns = errors.New("table: wrong number of columns")
	// ErrDuplicateKey means two rows of a table have the same key.
	ErrDuplicateKey = errors.New("table: duplicate key")
	// ErrUnknownColumn names a column the table does not have.
	ErrUnknownColumn = errors.New("table: unknown column")
	// ErrKey means the key columns of a row hold values that the table's
	// [Key] cannot turn into a key, such as "abc" for an [IntKey].
	ErrKey = errors.New("table: bad key")
	// ErrSize means a table holds more than 4 GiB of values or 2^31 rows.
	ErrSize = errors.New("table: table too large")
)

// An Error reports a line of a table's input that cannot be loaded.
type Error struct {
	Line  int    // line of the input, from 1
	Field string // the column at fault, or empty for the line as a whole
	Err   error  // wraps ErrSyntax, ErrColumns, ErrDuplicateKey, ErrUnknownColumn, ErrKey or ErrSize
}

// Error returns a message naming the line and the field.
func (e *Error) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("table: line %d: %v", e.Line, e.Err)
	}
	return fmt.Sprintf("table: line %d field %q: %v", e.Line, e.Field, e.Err)
}

// Unwrap returns e.Err.
func (e *Error) Unwrap() error { return e.Err }

// Options are the optional settings of [ReadCSV] and [ReadJSONLines]. A nil
// *Options means the defaults.
type Options struct {
	// Columns names the columns of input without a header row, such as
	// KDA's `101,female,1` rows. When nil, the first row of a CSV file is
	// its header, and the keys of the first object of JSON lines are the
	// columns.
	Columns []string
	// Comma is the CSV field separator; 0 means ','.
	Comma rune
}

// A Key says which columns key a table and how their values make a key of
// type K. [StringKey] and [IntKey] cover a key of one column; [KeyOf] builds
// any other, such as a key of several columns in an array or a struct.
//
// The key is parsed once per row when the table is loaded, so a join
// looks a record up by a K of its own (an int64 user id, say) without
// formatting it as a string first.
type Key[K comparable] struct {
	cols  []string
	parse func(values []string) (K, error)
}

// StringKey keys a table by the values of the column col, as they are
// (trimmed of surrounding white space, as every value is).
func StringKey(col string) Key[string] {
	return Key[string]{cols: []string{col}, parse: func(v []string) (string, error) { return v[0], nil }}
}

// IntKey keys a table by the values of the column col read as base-10
// int64s ([strconv.ParseInt]). A value that does not parse fails the load
// with an error wrapping [ErrKey].
func IntKey(col string) Key[int64] {
	return Key[int64]{cols: []string{col}, parse: func(v []string) (int64, error) { return strconv.ParseInt(v[0], 10, 64) }}
}

// KeyOf keys a table by the columns cols: parse receives their values, in
// the order of cols, and returns the row's key, or an error that fails the
// load (wrapped in an *[Error] and in [ErrKey]). parse must not keep the
// slice, which is reused.
//
// A key of several columns can be an array, such as
//
//	table.KeyOf(func(v []string) ([2]string, error) { return [2]string(v), nil }, "region", "ticker")
//
// or a struct of the parsed values.
func KeyOf[K comparable](parse func(values []string) (K, error), cols ...string) Key[K] {
	return Key[K]{cols: slices.Clone(cols), parse: parse}
}

// Columns returns the names of the key columns, in order.
func (k Key[K]) Columns() []string { return slices.Clone(k.cols) }

// A Table is a reference table (KDA's reference data): rows of string values
// under named columns, keyed by a key of type K made from one or more
// columns (see [Key]), for enriching a stream with a [Join].
//
// A Table is read-only once loaded and safe for concurrent use. It stores
// every value in one string with an index of offsets, plus one map entry
// per row from key to row number, so a table takes little more memory than
// its file.
type Table[K comparable] struct {
	data *data
	rows map[K]int32
}

// data is the part of a table that does not depend on its key type, which
// a [Row] points to.
type data struct {
	cols   []string
	index  map[string]int // column name to position
	values string
	ends   []uint32 // ends[r*len(cols)+c]: end of row r's value c in values
}

const utf8BOM = "\ufeff"

// ReadCSV loads a table from CSV (RFC 4180, as [encoding/csv] reads it)
// keyed by key. Values and column names are trimmed of
// surrounding white space. Loading stops at the first bad line, since a
// partial reference table would silently fail joins: the error is a
// *[Error] naming the line and, where it applies, the column.
func ReadCSV[K comparable](r io.Reader, key Key[K], opts *Options) (*Table[K], error) {
	if opts == nil {
		opts = &Options{}
	}
	// A UTF-8 byte-order mark is no part of the first value, with or
	// without a header row.
	br := bufio.NewReader(r)
	if b, err := br.Peek(len(utf8BOM)); err == nil && string(b) == utf8BOM {
		br.Discard(len(utf8BOM))
	}
	cr := csv.NewReader(br)
	cr.ReuseRecord = true
	cr.FieldsPerRecord = -1 // checked here, to name the error our way
	if opts.Comma != 0 {
		cr.Comma = opts.Comma
	}
	var b builder
	if opts.Columns != nil {
		if err := b.init(opts.Columns, key.cols); err != nil {
			return nil, err
		}
	}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, &Error{Line: pe.Line, Err: fmt.Errorf("%w: %v", ErrSyntax, pe.Err)}
			}
			return nil, err
		}
		line, _ := cr.FieldPos(0)
		if b.cols == nil {
			header := slices.Clone(rec)
			for i := range header {
				header[i] = strings.TrimSpace(header[i])
			}
			if err := b.init(header, key.cols); err != nil {
				return nil, &Error{Line: line, Err: err}
			}
			continue
		}
		if len(rec) != len(b.cols) {
			return nil, &Error{Line: line, Err: fmt.Errorf("%w: %d values for %d columns", ErrColumns, len(rec), len(b.cols))}
		}
		for _, v := range rec {
			b.arena = append(b.arena, strings.TrimSpace(v)...)
			b.ends = append(b.ends, uint32(len(b.arena)))
		}
		if err := b.endRow(line); err != nil {
			return nil, err
		}
	}
	if b.cols == nil {
		return nil, errors.New("table: ReadCSV: no header row and no Options.Columns")
	}
	return build(&b, key)
}

// ReadJSONLines loads a table from JSON lines: one flat object per line,
// whose values are strings, numbers (kept as written), booleans or null (an
// empty value). Blank lines are skipped. The columns are opts.Columns, or
// else the keys of the first object in order; a later object may leave a
// column out (its value is empty) but not bring a new one. Errors are as for
// [ReadCSV].
func ReadJSONLines[K comparable](r io.Reader, key Key[K], opts *Options) (*Table[K], error) {
	if opts == nil {
		opts = &Options{}
	}
	var b builder
	if opts.Columns != nil {
		if err := b.init(opts.Columns, key.cols); err != nil {
			return nil, err
		}
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), math.MaxInt32)
	var names []string
	var vals [][]byte
	for line := 1; sc.Scan(); line++ {
		text := bytes.TrimSpace(sc.Bytes())
		if len(text) == 0 {
			continue
		}
		names, vals = names[:0], vals[:0]
		if err := flatObject(text, func(k string, v []byte) { names = append(names, k); vals = append(vals, v) }); err != nil {
			return nil, &Error{Line: line, Err: err}
		}
		if b.cols == nil {
			if err := b.init(slices.Clone(names), key.cols); err != nil {
				return nil, &Error{Line: line, Err: err}
			}
		}
		row := make([][]byte, len(b.cols))
		for i, k := range names {
			c, ok := b.index[k]
			if !ok {
				return nil, &Error{Line: line, Field: k, Err: ErrUnknownColumn}
			}
			row[c] = vals[i]
		}
		for _, v := range row {
			b.arena = append(b.arena, bytes.TrimSpace(v)...)
			b.ends = append(b.ends, uint32(len(b.arena)))
		}
		if err := b.endRow(line); err != nil {
			return nil, err
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if b.cols == nil {
		return nil, errors.New("table: ReadJSONLines: no rows and no Options.Columns")
	}
	return build(&b, key)
}

// flatObject calls f for each key and value of a flat JSON object: strings
// unquoted, numbers as written, booleans as "true" and "false", null empty.
func flatObject(text []byte, f func(string, []byte)) error {
	dec := json.NewDecoder(bytes.NewReader(text))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		return fmt.Errorf("%w: not a JSON object", ErrSyntax)
	}
	seen := map[string]bool{}
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return fmt.Errorf("%w: %v", ErrSyntax, err)
		}
		k := kt.(string)
		if seen[k] {
			return fmt.Errorf("%w: key %q twice", ErrSyntax, k)
		}
		seen[k] = true
		vt, err := dec.Token()
		if err != nil {
			return fmt.Errorf("%w: %v", ErrSyntax, err)
		}
		switch v := vt.(type) {
		case string:
			f(k, []byte(v))
		case json.Number:
			f(k, []byte(v))
		case bool:
			f(k, []byte(fmt.Sprint(v)))
		case nil:
			f(k, nil)
		default:
			return fmt.Errorf("%w: field %q holds an object or array, not a value", ErrSyntax, k)
		}
	}
	if _, err := dec.Token(); err != nil {
		return fmt.Errorf("%w: %v", ErrSyntax, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("%w: data after the object", ErrSyntax)
	}
	return nil
}

type builder struct {
	cols  []string
	index map[string]int
	keys  []int // positions of the key columns
	arena []byte
	ends  []uint32
	lines []int32 // input line of each row, for errors
}

func (b *builder) init(cols, key []string) error {
	if len(cols) == 0 {
		return errors.New("table: table without columns")
	}
	if len(key) == 0 {
		return errors.New("table: table without key columns")
	}
	b.cols = cols
	b.index = make(map[string]int, len(cols))
	for i, c := range cols {
		if _, dup := b.index[c]; dup {
			return fmt.Errorf("table: column %q named twice", c)
		}
		b.index[c] = i
	}
	for _, k := range key {
		i, ok := b.index[k]
		if !ok {
			return fmt.Errorf("%w: key column %q is not among %q", ErrUnknownColumn, k, cols)
		}
		if slices.Contains(b.keys, i) {
			return fmt.Errorf("table: key column %q named twice", k)
		}
		b.keys = append(b.keys, i)
	}
	return nil
}

func (b *builder) endRow(line int) error {
	if len(b.arena) > math.MaxUint32 || len(b.lines) >= math.MaxInt32 {
		return &Error{Line: line, Err: ErrSize}
	}
	b.lines = append(b.lines, int32(line))
	return nil
}

func build[K comparable](b *builder, key Key[K]) (*Table[K], error) {
	d := &data{
		cols:   b.cols,
		index:  b.index,
		values: string(b.arena), // an exact-size copy of the grown buffer
		ends:   slices.Clip(b.ends),
	}
	if cap(b.ends) > len(b.ends)+len(b.ends)/8 {
		d.ends = slices.Clone(b.ends)
	}
	b.arena, b.ends = nil, nil
	nrows := len(b.lines)
	t := &Table[K]{data: d, rows: make(map[K]int32, nrows)}
	field := ""
	if len(b.keys) == 1 {
		field = d.cols[b.keys[0]]
	}
	vals := make([]string, len(b.keys))
	for r := range nrows {
		for i, c := range b.keys {
			vals[i] = d.field(r, c)
		}
		k, err := key.parse(vals)
		if err != nil {
			return nil, &Error{Line: int(b.lines[r]), Field: field, Err: fmt.Errorf("%w: %w", ErrKey, err)}
		}
		if first, dup := t.rows[k]; dup {
			return nil, &Error{Line: int(b.lines[r]), Field: field,
				Err: fmt.Errorf("%w %s (first on line %d)", ErrDuplicateKey, showKey(k), b.lines[first])}
		}
		t.rows[k] = int32(r)
	}
	return t, nil
}

// showKey formats a key for an error: a string quoted, anything else as
// fmt's %v prints it.
func showKey(k any) string {
	if s, ok := k.(string); ok {
		return strconv.Quote(s)
	}
	return fmt.Sprintf("%v", k)
}

func (d *data) field(r, c int) string {
	i := r*len(d.cols) + c
	start := uint32(0)
	if i > 0 {
		start = d.ends[i-1]
	}
	return d.values[start:d.ends[i]]
}

// Len returns the number of rows.
func (t *Table[K]) Len() int { return len(t.rows) }

// Columns returns the names of the columns, in order. The caller must not
// modify the slice.
func (t *Table[K]) Columns() []string { return t.data.cols }

// Column returns the position of the column named name, for [Row.Field].
func (t *Table[K]) Column(name string) (int, bool) { return t.data.column(name) }

func (d *data) column(name string) (int, bool) {
	i, ok := d.index[name]
	if !ok {
		return -1, false
	}
	return i, true
}

// Lookup returns the row whose key is key. A string key is matched exactly
// (trim it as the table's values were). It does not allocate.
func (t *Table[K]) Lookup(key K) (Row, bool) {
	r, ok := t.rows[key]
	if !ok {
		return Row{}, false
	}
	return Row{d: t.data, i: r}, true
}

// Rows calls f for every row, in input order, until f returns false.
func (t *Table[K]) Rows(f func(Row) bool) {
	for i := range len(t.rows) {
		if !f(Row{d: t.data, i: int32(i)}) {
			return
		}
	}
}

// Size returns the bytes the table holds in its values and offsets, not
// counting the map from keys to rows.
func (t *Table[K]) Size() int { return len(t.data.values) + 4*len(t.data.ends) }

// A Row is one row of a [Table]. The zero Row is no row: what a left join
// passes for a record without a match. Its values are "".
type Row struct {
	d *data
	i int32
}

// Found reports whether r is a row of a table, rather than the zero Row of a
// missing match.
func (r Row) Found() bool { return r.d != nil }

// Get returns the value of the column named col, or "" when r is the zero
// Row or the table has no such column. Reading a column by position with
// [Row.Field] skips the search for the name.
func (r Row) Get(col string) string {
	if r.d == nil {
		return ""
	}
	c, ok := r.d.column(col)
	if !ok {
		return ""
	}
	return r.d.field(int(r.i), c)
}

// Field returns the value in column position c (see [Table.Column]), or ""
// for the zero Row. It panics if c is out of range.
func (r Row) Field(c int) string {
	if r.d == nil {
		return ""
	}
	if c < 0 || c >= len(r.d.cols) {
		panic(fmt.Sprintf("table: Row.Field(%d) of %d columns", c, len(r.d.cols)))
	}
	return r.d.field(int(r.i), c)
}

// Join returns an operator for an inner join of records with t: for each
// record r whose key(r) is the key of a row, it emits the result of
// join(r, row); a record without a match is dropped, as SQL's inner join
// drops it. The operator keeps no state, emits at most one result per
// record, and composes as [record.FilterMap] does.
//
// When join returns an error, Push returns it and emits nothing. Whether it
// is a refusal is join's to say, as for [record.MapErr]: wrap
// [record.ErrRefused] in it for a record that matched a row it cannot be
// joined with (a value of the row that does not parse for this record, say),
// so that the caller counts the record and goes on; return a plain error for
// one it could not handle this time, so that the caller restores and
// replays.
func Join[R any, K comparable, Out any](t *Table[K], key func(R) K, join func(R, Row) (Out, error)) record.Operator[R, Out] {
	return record.FilterMap(func(in R) (Out, bool, error) {
		i, ok := t.rows[key(in)]
		if !ok {
			var zero Out
			return zero, false, nil
		}
		out, err := join(in, Row{d: t.data, i: i})
		return out, err == nil, err
	})
}

// LeftJoin is like [Join] but keeps a record without a match: it emits the
// result of join(r, Row{}), whose Found reports false.
func LeftJoin[R any, K comparable, Out any](t *Table[K], key func(R) K, join func(R, Row) (Out, error)) record.Operator[R, Out] {
	return record.FilterMap(func(in R) (Out, bool, error) {
		var row Row
		if i, ok := t.rows[key(in)]; ok {
			row = Row{d: t.data, i: i}
		}
		out, err := join(in, row)
		return out, err == nil, err
	})
}
