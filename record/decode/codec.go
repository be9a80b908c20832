package decode

import (
	"cmp"
	"encoding"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
	"unsafe"
)

// A kind is how the specialised decoder fills a value of one Go type.
type kind uint8

const (
	kFallback kind = iota // encoding/json decodes the value's bytes
	kString
	kBool
	kInt
	kUint
	kFloat32
	kFloat64
	kStruct
	kSlice
	kPointer
)

// A codec is the plan for decoding one Go type, built once by reflection.
type codec struct {
	kind kind
	typ  reflect.Type
	size uintptr // of an integer kind, in bytes

	fields []field        // kStruct, in the order encoding/json keeps them
	exact  map[string]int // kStruct with many fields: name to index
	folded map[string]int // kStruct with many fields: folded name to first index

	elem *codec // kSlice, kPointer
}

// A field is one JSON name of a struct, after encoding/json's rules for tags
// and embedded structs.
type field struct {
	name   string
	folded string // foldName(name)
	offset uintptr
	quoted bool // the ",string" option, for a kind that honours it
	codec  *codec
}

// manyFields is the size from which a struct finds its fields through maps
// rather than by comparing the key with each name in turn.
const manyFields = 16

var (
	unmarshalerType     = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
	numberType          = reflect.TypeFor[json.Number]()
)

var codecs sync.Map // reflect.Type to *codec

// codecFor returns the plan for t. Plans are cached: a recursive type is
// planned once, its cycle closed through the cache of the build.
func codecFor(t reflect.Type) *codec {
	if c, ok := codecs.Load(t); ok {
		return c.(*codec)
	}
	c := build(t, map[reflect.Type]*codec{})
	got, _ := codecs.LoadOrStore(t, c)
	return got.(*codec)
}

func build(t reflect.Type, seen map[reflect.Type]*codec) *codec {
	if c, ok := seen[t]; ok {
		return c
	}
	c := &codec{typ: t}
	seen[t] = c
	if t.Implements(unmarshalerType) || reflect.PointerTo(t).Implements(unmarshalerType) ||
		t.Implements(textUnmarshalerType) || reflect.PointerTo(t).Implements(textUnmarshalerType) ||
		t == numberType {
		return c // kFallback
	}
	switch t.Kind() {
	case reflect.String:
		c.kind = kString
	case reflect.Bool:
		c.kind = kBool
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		c.kind, c.size = kInt, t.Size()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		c.kind, c.size = kUint, t.Size()
	case reflect.Float32:
		c.kind = kFloat32
	case reflect.Float64:
		c.kind = kFloat64
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return c // base64 and its variants: encoding/json's
		}
		c.elem = build(t.Elem(), seen)
		c.kind = kSlice
	case reflect.Pointer:
		c.elem = build(t.Elem(), seen)
		if c.elem.kind == kFallback {
			return c
		}
		c.kind = kPointer
	case reflect.Struct:
		if fs, ok := structFields(t, seen); ok {
			c.kind, c.fields = kStruct, fs
			if len(fs) >= manyFields {
				c.exact = make(map[string]int, len(fs))
				c.folded = make(map[string]int, len(fs))
				for i, f := range fs {
					c.exact[f.name] = i
					if _, ok := c.folded[f.folded]; !ok {
						c.folded[f.folded] = i
					}
				}
			}
		}
	}
	// Maps, interfaces, arrays, channels and functions stay kFallback:
	// encoding/json decodes them (or rejects them) itself.
	return c
}

// A jsonField is a field as encoding/json's typeFields finds it.
type jsonField struct {
	name   string
	tag    bool
	index  []int
	typ    reflect.Type
	quoted bool
}

// structFields lists the fields of struct type t as encoding/json decodes
// them: exported fields and those promoted from embedded structs, named by
// their tags, hidden by Go's rules for embedding modified by tags. It is a
// port of typeFields in encoding/json (Go 1.26), which decides what a key
// means; ok is false when a field is reached through an embedded pointer,
// which the specialised decoder leaves to encoding/json (it allocates the
// pointer, or fails for an unexported type, as it meets the key).
func structFields(t reflect.Type, seen map[reflect.Type]*codec) ([]field, bool) {
	current := []jsonField{}
	next := []jsonField{{typ: t}}
	var count, nextCount map[reflect.Type]int
	visited := map[reflect.Type]bool{}
	var fields []jsonField
	for len(next) > 0 {
		current, next = next, current[:0]
		count, nextCount = nextCount, map[reflect.Type]int{}
		for _, f := range current {
			if visited[f.typ] {
				continue
			}
			visited[f.typ] = true
			for i := 0; i < f.typ.NumField(); i++ {
				sf := f.typ.Field(i)
				if sf.Anonymous {
					t := sf.Type
					if t.Kind() == reflect.Pointer {
						t = t.Elem()
					}
					if !sf.IsExported() && t.Kind() != reflect.Struct {
						continue
					}
				} else if !sf.IsExported() {
					continue
				}
				tag := sf.Tag.Get("json")
				if tag == "-" {
					continue
				}
				name, opts, _ := strings.Cut(tag, ",")
				if !isValidTag(name) {
					name = ""
				}
				index := make([]int, len(f.index)+1)
				copy(index, f.index)
				index[len(f.index)] = i
				ft := sf.Type
				if ft.Name() == "" && ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				quoted := false
				if hasOption(opts, "string") {
					switch ft.Kind() {
					case reflect.Bool,
						reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
						reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
						reflect.Float32, reflect.Float64,
						reflect.String:
						quoted = true
					}
				}
				if name != "" || !sf.Anonymous || ft.Kind() != reflect.Struct {
					tagged := name != ""
					if name == "" {
						name = sf.Name
					}
					fields = append(fields, jsonField{name: name, tag: tagged, index: index, typ: ft, quoted: quoted})
					if count[f.typ] > 1 {
						fields = append(fields, fields[len(fields)-1])
					}
					continue
				}
				nextCount[ft]++
				if nextCount[ft] == 1 {
					next = append(next, jsonField{name: ft.Name(), index: index, typ: ft})
				}
			}
		}
	}
	slices.SortFunc(fields, func(a, b jsonField) int {
		if c := strings.Compare(a.name, b.name); c != 0 {
			return c
		}
		if c := cmp.Compare(len(a.index), len(b.index)); c != 0 {
			return c
		}
		if a.tag != b.tag {
			if a.tag {
				return -1
			}
			return +1
		}
		return slices.Compare(a.index, b.index)
	})
	out := fields[:0]
	for advance, i := 0, 0; i < len(fields); i += advance {
		fi := fields[i]
		for advance = 1; i+advance < len(fields); advance++ {
			if fields[i+advance].name != fi.name {
				break
			}
		}
		if advance == 1 {
			out = append(out, fi)
			continue
		}
		// The first dominates, unless two share the top depth and
		// taggedness, when both vanish.
		if fs := fields[i : i+advance]; len(fs[0].index) != len(fs[1].index) || fs[0].tag != fs[1].tag {
			out = append(out, fs[0])
		}
	}
	fields = out
	slices.SortFunc(fields, func(a, b jsonField) int { return slices.Compare(a.index, b.index) })

	res := make([]field, 0, len(fields))
	for _, f := range fields {
		var off uintptr
		st := t
		for k, i := range f.index {
			if st.Kind() == reflect.Pointer {
				return nil, false
			}
			sf := st.Field(i)
			off += sf.Offset
			st = sf.Type
			if k < len(f.index)-1 && st.Kind() == reflect.Pointer {
				return nil, false
			}
		}
		fc := build(st, seen)
		quoted := f.quoted
		if quoted && (st.Kind() == reflect.Pointer || fc.kind == kFallback) {
			return nil, false // encoding/json's: a quoted pointer or unmarshaler
		}
		res = append(res, field{name: f.name, folded: string(foldName([]byte(f.name))), offset: off, quoted: quoted, codec: fc})
	}
	return res, true
}

func hasOption(opts, name string) bool {
	for opts != "" {
		var o string
		o, opts, _ = strings.Cut(opts, ",")
		if o == name {
			return true
		}
	}
	return false
}

// isValidTag is encoding/json's test of a tag name.
func isValidTag(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		switch {
		case strings.ContainsRune("!#$%&()*+-./:;<=>?@[]^_{|}~ ", c):
		case !unicode.IsLetter(c) && !unicode.IsDigit(c):
			return false
		}
	}
	return true
}

// foldName is encoding/json's: foldName(x) == foldName(y) exactly when
// bytes.EqualFold(x, y).
func foldName(in []byte) []byte {
	var arr [32]byte
	return appendFolded(arr[:0], in)
}

func appendFolded(out, in []byte) []byte {
	for i := 0; i < len(in); {
		if c := in[i]; c < utf8.RuneSelf {
			if 'a' <= c && c <= 'z' {
				c -= 'a' - 'A'
			}
			out = append(out, c)
			i++
			continue
		}
		r, n := utf8.DecodeRune(in[i:])
		out = utf8.AppendRune(out, unicode.ToUpper(unicode.ToLower(r)))
		i += n
	}
	return out
}

// equalFoldASCII reports whether key, folded, equals folded, for a key of
// ASCII bytes; ok is false when key holds other bytes.
func equalFoldASCII(key []byte, folded string) (eq, ok bool) {
	if len(key) != len(folded) {
		for _, c := range key {
			if c >= utf8.RuneSelf {
				return false, false
			}
		}
		return false, true
	}
	eq = true
	for i, c := range key {
		if c >= utf8.RuneSelf {
			return false, false
		}
		if 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		}
		if c != folded[i] {
			eq = false
		}
	}
	return eq, true
}

// lookup returns the index of the field the key names, exactly or else
// case-insensitively, or -1. hint is the field expected next.
func (c *codec) lookup(key []byte, hint int) int {
	fs := c.fields
	if hint < len(fs) && fs[hint].name == string(key) {
		return hint
	}
	if c.exact != nil {
		if i, ok := c.exact[string(key)]; ok {
			return i
		}
		if i, ok := c.folded[string(foldName(key))]; ok {
			return i
		}
		return -1
	}
	for i := range fs {
		if fs[i].name == string(key) {
			return i
		}
	}
	for i := range fs {
		eq, ok := equalFoldASCII(key, fs[i].folded)
		if !ok {
			f := foldName(key)
			for j := range fs {
				if fs[j].folded == string(f) {
					return j
				}
			}
			return -1
		}
		if eq {
			return i
		}
	}
	return -1
}

// ptr is the address of a value the decoder fills.
type ptr = unsafe.Pointer
