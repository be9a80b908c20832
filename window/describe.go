package window

import (
	"fmt"
	"path"
	"reflect"
	"strings"

	"github.com/rowtime/rowtime/aggregate"
	"github.com/rowtime/rowtime/record"
	"github.com/rowtime/rowtime/record/codec"
)

// describeAggregate names an aggregate for a snapshot descriptor: its own
// description when it gives one, else its implementing type (without type
// arguments, which name the record type, not what is stored) and the codec
// shapes of its accumulator and result.
func describeAggregate[R, A, V any](f aggregate.Func[R, A, V]) string {
	if d, ok := f.(aggregate.Describer); ok {
		return d.Describe()
	}
	t := reflect.TypeOf(f)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	name := t.Name()
	if i := strings.IndexByte(name, '['); i >= 0 {
		name = name[:i]
	}
	if p := t.PkgPath(); p != "" {
		name = path.Base(p) + "." + name
	}
	return fmt.Sprintf("%s(%s) %s", name, record.Shape(reflect.TypeFor[A]()), record.Shape(reflect.TypeFor[V]()))
}

// codecErr reports whether values of type T round-trip through
// codec.Append: the codec refuses a type (a struct with unexported
// fields, a func, a channel, an interface) whatever the value, so a snapshot
// refuses it before writing any state, also when no value of the type is
// held yet.
func codecErr[T any](what string) error {
	if err := codec.Check[T](); err != nil {
		return fmt.Errorf("%s type %v: %w", what, reflect.TypeFor[T](), err)
	}
	return nil
}
