package table

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/rowtime/rowtime/record"
)

type click struct {
	User int64
	Page string
}

// TestIntKey checks a table keyed by integers: records look rows up by
// their own int64, values that do not parse fail the load on their line,
// and integers written differently are the same key.
func TestIntKey(t *testing.T) {
	users, err := ReadCSV(strings.NewReader("user_id,segment\n101,a\n 0102 ,b\n-7,c\n"), IntKey("user_id"), nil)
	if err != nil {
		t.Fatal(err)
	}
	for id, want := range map[int64]string{101: "a", 102: "b", -7: "c"} {
		if r, ok := users.Lookup(id); !ok || r.Get("segment") != want {
			t.Errorf("Lookup(%d) = %q, %v; want %q", id, r.Get("segment"), ok, want)
		}
	}
	if _, ok := users.Lookup(103); ok {
		t.Error("Lookup(103) found a row")
	}
	for _, tc := range []struct {
		data string
		want error
		line int
	}{
		{"user_id,segment\n101,a\nx,b\n", ErrKey, 3},
		{"user_id,segment\n101,a\n99999999999999999999,b\n", ErrKey, 3},
		{"user_id,segment\n101,a\n0101,b\n", ErrDuplicateKey, 3},
	} {
		_, err := ReadCSV(strings.NewReader(tc.data), IntKey("user_id"), nil)
		var e *Error
		if !errors.Is(err, tc.want) || !errors.As(err, &e) || e.Line != tc.line || e.Field != "user_id" {
			t.Errorf("%q: got %v, want %v on line %d field user_id", tc.data, err, tc.want, tc.line)
		}
	}
}

// TestKeyOf checks a key of several columns parsed into a struct, and
// that an error of the parse function fails the load wrapping both ErrKey
// and the function's own error.
func TestKeyOf(t *testing.T) {
	type regionID struct {
		Region string
		ID     int
	}
	errBad := errors.New("bad id")
	key := KeyOf(func(v []string) (regionID, error) {
		id, err := strconv.Atoi(v[1])
		if err != nil {
			return regionID{}, errBad
		}
		return regionID{v[0], id}, nil
	}, "region", "id")
	if got := key.Columns(); len(got) != 2 || got[0] != "region" || got[1] != "id" {
		t.Fatalf("Columns() = %q", got)
	}
	tab, err := ReadJSONLines(strings.NewReader(`{"id":1,"region":"eu","name":"x"}
{"id":1,"region":"us","name":"y"}
{"id":2,"region":"eu","name":"z"}`), key, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r, ok := tab.Lookup(regionID{"us", 1}); !ok || r.Get("name") != "y" {
		t.Fatalf("Lookup(us, 1) = %q, %v", r.Get("name"), ok)
	}
	_, err = ReadJSONLines(strings.NewReader(`{"id":1,"region":"eu"}
{"id":"one","region":"eu"}`), key, nil)
	var e *Error
	if !errors.Is(err, ErrKey) || !errors.Is(err, errBad) || !errors.As(err, &e) || e.Line != 2 || e.Field != "" {
		t.Fatalf("got %v, want ErrKey wrapping errBad on line 2", err)
	}
}

// TestJoinError checks the errors of a join function: a refusal leaves the
// record with the caller and the pipeline unchanged, any other error comes
// back as it is, and neither emits anything.
func TestJoinError(t *testing.T) {
	users, err := ReadCSV(strings.NewReader("101,3\n102,x\n"), IntKey("id"), &Options{Columns: []string{"id", "weight"}})
	if err != nil {
		t.Fatal(err)
	}
	errDown := errors.New("down")
	join := func(c click, r Row) (string, error) {
		if c.Page == "" {
			return "", errDown
		}
		w, err := strconv.Atoi(r.Get("weight"))
		if err != nil {
			return "", fmt.Errorf("%w: user %d: weight %q", record.ErrRefused, c.User, r.Get("weight"))
		}
		return fmt.Sprint(c.Page, "x", w), nil
	}
	for _, op := range []record.Operator[click, string]{
		Join(users, func(c click) int64 { return c.User }, join),
		LeftJoin(users, func(c click) int64 { return c.User }, join),
		// The refusal of a join behind a stateless stage is still one.
		record.Then(record.Map(func(c click) click { return c }), Join(users, func(c click) int64 { return c.User }, join)),
	} {
		var out []string
		emit := func(s string) { out = append(out, s) }
		if err := op.Push(click{101, "/a"}, emit); err != nil {
			t.Fatal(err)
		}
		if err := op.Push(click{102, "/b"}, emit); !record.IsRefused(err) {
			t.Errorf("row with a bad weight: %v, want a refusal", err)
		}
		if err := op.Push(click{101, ""}, emit); !errors.Is(err, errDown) || record.IsRefused(err) {
			t.Errorf("failing join: %v, want errDown, not a refusal", err)
		}
		if len(out) != 1 || out[0] != "/ax3" {
			t.Errorf("emitted %q, want [/ax3]", out)
		}
	}
	// Without a match the inner join drops the record; the left join
	// passes the zero Row to the join function, which refuses it here.
	if err := Join(users, func(c click) int64 { return c.User }, join).Push(click{999, "/c"}, nil); err != nil {
		t.Errorf("inner join without a match: %v", err)
	}
	if err := LeftJoin(users, func(c click) int64 { return c.User }, join).Push(click{999, "/c"}, nil); !record.IsRefused(err) {
		t.Errorf("left join without a match: %v, want the join function's refusal", err)
	}
}
