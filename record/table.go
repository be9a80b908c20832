package record

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
	"strings"
)

// Sentinel errors of reference tables, wrapped by a *[TableError] or
// returned from the constructors.
var (
	// ErrSyntax means a table's input is not well-formed: JSON lines that
	// are not JSON objects, or CSV that encoding/csv rejects.
	ErrSyntax = errors.New("record: malformed input")
	// ErrColumns means a row has a different number of values than the
	// table has columns.
	ErrColumns = errors.New("record: wrong number of columns")
	// ErrDuplicateKey means two rows of a table have the same key.
	ErrDuplicateKey = errors.New("record: duplicate key")
	// ErrUnknownColumn names a column the table does not have.
	ErrUnknownColumn = errors.New("record: unknown column")
	// ErrTableSize means a table holds more than 4 GiB of values or
	// 2^31 rows.
	ErrTableSize = errors.New("record: table too large")
)

// A TableError reports a line of a table's input that cannot be loaded.
type TableError struct {
	Line  int    // line of the input, from 1
	Field string // the column at fault, or empty for the line as a whole
	Err   error  // wraps ErrSyntax, ErrColumns, ErrDuplicateKey or ErrUnknownColumn
}

// Error returns a message naming the line and the field.
func (e *TableError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("record: table line %d: %v", e.Line, e.Err)
	}
	return fmt.Sprintf("record: table line %d field %q: %v", e.Line, e.Field, e.Err)
}

// Unwrap returns e.Err.
func (e *TableError) Unwrap() error { return e.Err }

// TableOptions are the optional settings of [ReadCSV] and [ReadJSONLines].
// A nil *TableOptions means the defaults.
type TableOptions struct {
	// Columns names the columns of input without a header row, such as
	// KDA's `101,female,1` rows. When nil, the first row of a CSV file is
	// its header, and the keys of the first object of JSON lines are the
	// columns.
	Columns []string
	// Comma is the CSV field separator; 0 means ','.
	Comma rune
}

// A Table is a reference table (KDA's reference data): rows of string values
// under named columns, keyed by one or more columns, for enriching a stream
// with a join.
//
// A Table is read-only once loaded and safe for concurrent use. It stores
// every value in one string with an index of offsets, plus one map entry
// per row from key to row number, so a table takes little more memory than
// its file.
type Table struct {
	cols   []string
	index  map[string]int // column name to position
	keys   []int          // positions of the key columns
	values string
	ends   []uint32 // ends[r*len(cols)+c]: end of row r's value c in values
	keyBuf string   // NUL-joined keys when the key has several columns
	rows   map[string]int32
}

// keySep separates the parts of a key of several columns. Key values cannot
// contain it.
const keySep = 0

const utf8BOM = "\ufeff"

// ReadCSV loads a table from CSV (RFC 4180, as [encoding/csv] reads it)
// keyed by the columns named in key. Values and column names are trimmed of
// surrounding white space. Loading stops at the first bad line, since a
// partial reference table would silently fail joins: the error is a
// *[TableError] naming the line and, where it applies, the column.
func ReadCSV(r io.Reader, key []string, opts *TableOptions) (*Table, error) {
	if opts == nil {
		opts = &TableOptions{}
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
	var b tableBuilder
	if opts.Columns != nil {
		if err := b.init(opts.Columns, key); err != nil {
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
				return nil, &TableError{Line: pe.Line, Err: fmt.Errorf("%w: %v", ErrSyntax, pe.Err)}
			}
			return nil, err
		}
		line, _ := cr.FieldPos(0)
		if b.cols == nil {
			header := slices.Clone(rec)
			for i := range header {
				header[i] = strings.TrimSpace(header[i])
			}
			if err := b.init(header, key); err != nil {
				return nil, &TableError{Line: line, Err: err}
			}
			continue
		}
		if len(rec) != len(b.cols) {
			return nil, &TableError{Line: line, Err: fmt.Errorf("%w: %d values for %d columns", ErrColumns, len(rec), len(b.cols))}
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
		return nil, errors.New("record: ReadCSV: no header row and no TableOptions.Columns")
	}
	return b.build()
}

// ReadJSONLines loads a table from JSON lines: one flat object per line,
// whose values are strings, numbers (kept as written), booleans or null (an
// empty value). Blank lines are skipped. The columns are opts.Columns, or
// else the keys of the first object in order; a later object may leave a
// column out (its value is empty) but not bring a new one. Errors are as for
// [ReadCSV].
func ReadJSONLines(r io.Reader, key []string, opts *TableOptions) (*Table, error) {
	if opts == nil {
		opts = &TableOptions{}
	}
	var b tableBuilder
	if opts.Columns != nil {
		if err := b.init(opts.Columns, key); err != nil {
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
			return nil, &TableError{Line: line, Err: err}
		}
		if b.cols == nil {
			if err := b.init(slices.Clone(names), key); err != nil {
				return nil, &TableError{Line: line, Err: err}
			}
		}
		row := make([][]byte, len(b.cols))
		for i, k := range names {
			c, ok := b.index[k]
			if !ok {
				return nil, &TableError{Line: line, Field: k, Err: ErrUnknownColumn}
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
		return nil, errors.New("record: ReadJSONLines: no rows and no TableOptions.Columns")
	}
	return b.build()
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

type tableBuilder struct {
	cols  []string
	index map[string]int
	keys  []int
	arena []byte
	ends  []uint32
	lines []int32 // input line of each row, for duplicate-key errors
}

func (b *tableBuilder) init(cols, key []string) error {
	if len(cols) == 0 {
		return errors.New("record: table without columns")
	}
	if len(key) == 0 {
		return errors.New("record: table without key columns")
	}
	b.cols = cols
	b.index = make(map[string]int, len(cols))
	for i, c := range cols {
		if _, dup := b.index[c]; dup {
			return fmt.Errorf("record: column %q named twice", c)
		}
		b.index[c] = i
	}
	for _, k := range key {
		i, ok := b.index[k]
		if !ok {
			return fmt.Errorf("%w: key column %q is not among %q", ErrUnknownColumn, k, cols)
		}
		if slices.Contains(b.keys, i) {
			return fmt.Errorf("record: key column %q named twice", k)
		}
		b.keys = append(b.keys, i)
	}
	return nil
}

func (b *tableBuilder) endRow(line int) error {
	if len(b.arena) > math.MaxUint32 || len(b.lines) >= math.MaxInt32 {
		return &TableError{Line: line, Err: ErrTableSize}
	}
	if len(b.keys) > 1 {
		n := len(b.cols)
		r := len(b.lines)
		for _, k := range b.keys {
			i := r*n + k
			start := uint32(0)
			if i > 0 {
				start = b.ends[i-1]
			}
			if bytes.IndexByte(b.arena[start:b.ends[i]], keySep) >= 0 {
				return &TableError{Line: line, Field: b.cols[k], Err: fmt.Errorf("%w: a key value of several columns holds a NUL byte", ErrSyntax)}
			}
		}
	}
	b.lines = append(b.lines, int32(line))
	return nil
}

func (b *tableBuilder) build() (*Table, error) {
	t := &Table{
		cols:   b.cols,
		index:  b.index,
		keys:   b.keys,
		values: string(b.arena), // an exact-size copy of the grown buffer
		ends:   slices.Clip(b.ends),
	}
	if cap(b.ends) > len(b.ends)+len(b.ends)/8 {
		t.ends = slices.Clone(b.ends)
	}
	b.arena, b.ends = nil, nil
	nrows := len(b.lines)
	t.rows = make(map[string]int32, nrows)
	var keyEnds []int
	if len(t.keys) > 1 {
		var kb []byte
		keyEnds = make([]int, nrows)
		for r := range nrows {
			kb = t.appendKeyOf(kb, r)
			keyEnds[r] = len(kb)
		}
		t.keyBuf = string(kb)
	}
	for r := range nrows {
		var k string
		if len(t.keys) == 1 {
			k = t.field(r, t.keys[0])
		} else {
			start := 0
			if r > 0 {
				start = keyEnds[r-1]
			}
			k = t.keyBuf[start:keyEnds[r]]
		}
		if first, dup := t.rows[k]; dup {
			field := t.cols[t.keys[0]]
			if len(t.keys) > 1 {
				field = ""
			}
			return nil, &TableError{Line: int(b.lines[r]), Field: field,
				Err: fmt.Errorf("%w %q (first on line %d)", ErrDuplicateKey, strings.ReplaceAll(k, "\x00", ","), b.lines[first])}
		}
		t.rows[k] = int32(r)
	}
	return t, nil
}

func (t *Table) appendKeyOf(dst []byte, r int) []byte {
	for i, k := range t.keys {
		if i > 0 {
			dst = append(dst, keySep)
		}
		dst = append(dst, t.field(r, k)...)
	}
	return dst
}

func (t *Table) field(r, c int) string {
	i := r*len(t.cols) + c
	start := uint32(0)
	if i > 0 {
		start = t.ends[i-1]
	}
	return t.values[start:t.ends[i]]
}

// Len returns the number of rows.
func (t *Table) Len() int { return len(t.rows) }

// Columns returns the names of the columns, in order. The caller must not
// modify the slice.
func (t *Table) Columns() []string { return t.cols }

// Column returns the position of the column named name, for [Row.Field].
func (t *Table) Column(name string) (int, bool) {
	i, ok := t.index[name]
	if !ok {
		return -1, false
	}
	return i, true
}

// Key returns the key of a table keyed by several columns as one string,
// for the key function of [Join] and [LeftJoin]: the values in the order
// of the key columns, separated by NUL bytes. For a table keyed by one
// column, it returns that value.
func (t *Table) Key(parts ...string) string { return strings.Join(parts, "\x00") }

// Lookup returns the row whose key columns hold the values key, given in
// the order of the key columns the table was loaded with. The values are
// matched exactly (trim them as the table's values were). It does not
// allocate.
func (t *Table) Lookup(key ...string) (Row, bool) {
	if len(key) != len(t.keys) {
		return Row{}, false
	}
	var r int32
	var ok bool
	if len(key) == 1 {
		r, ok = t.rows[key[0]]
	} else {
		var buf [128]byte
		k := buf[:0]
		for i, p := range key {
			if i > 0 {
				k = append(k, keySep)
			}
			k = append(k, p...)
		}
		r, ok = t.rows[string(k)]
	}
	if !ok {
		return Row{}, false
	}
	return Row{t: t, i: r}, true
}

// Rows calls f for every row, in input order, until f returns false.
func (t *Table) Rows(f func(Row) bool) {
	for i := range len(t.rows) {
		if !f(Row{t: t, i: int32(i)}) {
			return
		}
	}
}

// Size returns the bytes the table holds in its values and offsets, not
// counting the map from keys to rows.
func (t *Table) Size() int { return len(t.values) + 4*len(t.ends) + len(t.keyBuf) }

// A Row is one row of a [Table]. The zero Row is no row: what a left join
// passes for a record without a match. Its values are "".
type Row struct {
	t *Table
	i int32
}

// Found reports whether r is a row of a table, rather than the zero Row of a
// missing match.
func (r Row) Found() bool { return r.t != nil }

// Get returns the value of the column named col, or "" when r is the zero
// Row or the table has no such column. Reading a column by position with
// [Row.Field] skips the search for the name.
func (r Row) Get(col string) string {
	if r.t == nil {
		return ""
	}
	c, ok := r.t.Column(col)
	if !ok {
		return ""
	}
	return r.t.field(int(r.i), c)
}

// Field returns the value in column position c (see [Table.Column]), or ""
// for the zero Row. It panics if c is out of range.
func (r Row) Field(c int) string {
	if r.t == nil {
		return ""
	}
	if c < 0 || c >= len(r.t.cols) {
		panic(fmt.Sprintf("record: Row.Field(%d) of %d columns", c, len(r.t.cols)))
	}
	return r.t.field(int(r.i), c)
}

// Join returns an operator for an inner join of records with t: for each
// record r whose key(r) is the key of a row, it emits join(r, row); a record
// without a match is dropped, as SQL's inner join drops it. For a table keyed
// by one column, key returns that column's value; for one keyed by several,
// it returns [Table.Key] of the values (or use [Table.Lookup] in a [Map] or
// [Filter], which does not allocate). The operator keeps no state.
func Join[R, Out any](t *Table, key func(R) string, join func(R, Row) Out) Operator[R, Out] {
	return joinOp[R, Out]{t: t, key: key, join: join}
}

// LeftJoin is like [Join] but keeps a record without a match: it emits
// join(r, Row{}), whose Found reports false.
func LeftJoin[R, Out any](t *Table, key func(R) string, join func(R, Row) Out) Operator[R, Out] {
	return joinOp[R, Out]{t: t, key: key, join: join, left: true}
}

type joinOp[R, Out any] struct {
	t    *Table
	key  func(R) string
	join func(R, Row) Out
	left bool
}

func (j joinOp[R, Out]) Push(in R, emit func(Out)) error {
	if out, ok, _ := j.step(in); ok && emit != nil {
		emit(out)
	}
	return nil
}

func (j joinOp[R, Out]) step(in R) (Out, bool, error) {
	var row Row
	i, ok := j.t.rows[j.key(in)]
	if ok {
		row = Row{t: j.t, i: i}
	}
	if ok || j.left {
		return j.join(in, row), true, nil
	}
	var zero Out
	return zero, false, nil
}
func (joinOp[R, Out]) Advance(Time, func(Out)) error { return nil }
func (joinOp[R, Out]) Flush(func(Out)) error         { return nil }
func (joinOp[R, Out]) stateless()                    {}
func (joinOp[R, Out]) single() bool                  { return true }
