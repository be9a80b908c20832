package trending

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/rowtime/rowtime/record/table"
)

// Group is the part of a user that the query groups by: gender and segment,
// or neither when the user is not in the users table (Known is false, and
// the output shows null for both, as a SQL LEFT JOIN does).
type Group struct {
	Gender  string
	Segment int64
	Known   bool
}

// ErrUsers is wrapped by the errors of LoadUsers.
var ErrUsers = errors.New("trending: users table")

// Users is the reference table of the news example: user_id → (gender,
// segment_id). The zero Users is an empty table.
//
// The join runs once per record, so the table is laid out for it: the few
// distinct groups are stored once, and users point at them by a small
// index, through a slice indexed by user_id when the ids are dense (as they
// are in the example: 1..100,000) and a map otherwise.
type Users struct {
	groups []Group          // distinct groups; index 0 is the zero Group
	dense  []uint32         // user_id → index into groups, when ids are dense
	sparse map[int64]uint32 // user_id → index into groups, otherwise
	n      int
	table  *table.Table[string]
}

// maxDense bounds the dense index: ids up to this, and up to 4 slots per
// user, use the slice.
const maxDense = 1 << 24

// LoadUsers reads a users table in the example's CSV form with rowtime's
// reference-table loader (table.ReadCSV): rows of user_id,gender,segment_id
// with no header (as in "101,female,1"), values trimmed of surrounding
// spaces, keyed by user_id. A row with the wrong number of columns or a
// user_id seen twice is an error naming its line (a *table.Error); a
// user_id or segment_id that is not an integer is an error naming the value.
func LoadUsers(r io.Reader) (*Users, error) {
	t, err := table.ReadCSV(r, table.StringKey("user_id"), &table.Options{Columns: UserColumns})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUsers, err)
	}
	rows := make(map[int64]Group, t.Len())
	n := 0
	t.Rows(func(row table.Row) bool {
		n++
		var id, seg int64
		id, err = strconv.ParseInt(row.Field(0), 10, 64)
		if err != nil {
			err = fmt.Errorf("%w: row %d: user_id %q is not an integer", ErrUsers, n, row.Field(0))
			return false
		}
		seg, err = strconv.ParseInt(row.Field(2), 10, 64)
		if err != nil {
			err = fmt.Errorf("%w: row %d: segment_id %q is not an integer", ErrUsers, n, row.Field(2))
			return false
		}
		if _, dup := rows[id]; dup { // "7" and "07" are one user
			err = fmt.Errorf("%w: row %d: user_id %d appears twice", ErrUsers, n, id)
			return false
		}
		rows[id] = Group{Gender: row.Field(1), Segment: seg, Known: true}
		return true
	})
	if err != nil {
		return nil, err
	}
	u := newUsers(rows)
	u.table = t
	return u, nil
}

// UserColumns are the columns of the users table.
var UserColumns = []string{"user_id", "gender", "segment_id"}

// Table returns the reference table the users were loaded from (nil for
// the zero Users).
func (u *Users) Table() *table.Table[string] {
	if u == nil {
		return nil
	}
	return u.table
}

func newUsers(rows map[int64]Group) *Users {
	u := &Users{groups: []Group{{}}, n: len(rows)}
	index := map[Group]uint32{}
	var maxID int64
	dense := true
	for id := range rows {
		maxID = max(maxID, id)
		if id < 0 {
			dense = false
		}
	}
	dense = dense && maxID <= maxDense && maxID <= 4*int64(len(rows))+1024
	if dense {
		u.dense = make([]uint32, maxID+1)
	} else {
		u.sparse = make(map[int64]uint32, len(rows))
	}
	for id, g := range rows {
		gi, ok := index[g]
		if !ok {
			gi = uint32(len(u.groups))
			g.Gender = strings.Clone(g.Gender) // not the CSV reader's buffer
			u.groups = append(u.groups, g)
			index[g] = gi
		}
		if dense {
			u.dense[id] = gi
		} else {
			u.sparse[id] = gi
		}
	}
	return u
}

// Lookup returns the group of user id: the left join. A user not in the
// table gives the zero Group (Known false).
func (u *Users) Lookup(id int64) Group {
	if u == nil {
		return Group{}
	}
	if uint64(id) < uint64(len(u.dense)) {
		return u.groups[u.dense[id]]
	}
	if gi, ok := u.sparse[id]; ok {
		return u.groups[gi]
	}
	return Group{}
}

// Len returns the number of users in the table.
func (u *Users) Len() int {
	if u == nil {
		return 0
	}
	return u.n
}

// Parameters of the generated workload, those of the news example.
const (
	UsersTotal    = 100_000 // user ids 1..UsersTotal appear in the stream
	UsersKnownPct = 90      // percent of them in the users table
	Segments      = 10      // segment ids 1..Segments
	Articles      = 5_000   // article ids 1..Articles, Zipf popularity
	ClickPct      = 10      // percent of actions that are clicks
	PerMinute     = 500_000 // records per minute of event time
	ZipfS         = 1.1     // Zipf exponent of article popularity
)

// Genders of the generated users table.
var Genders = [2]string{"female", "male"}

// GenerateUsers returns the users table of the workload for seed, as CSV
// text with no header: UsersKnownPct percent of the user ids 1..UsersTotal,
// in increasing order, each with a gender and a segment drawn uniformly.
func GenerateUsers(seed uint64) []byte {
	rng := rand.New(rand.NewPCG(seed, 0x7573657273))
	var b bytes.Buffer
	b.Grow(UsersTotal * 16)
	var line []byte
	for id := int64(1); id <= UsersTotal; id++ {
		if rng.IntN(100) >= UsersKnownPct {
			continue
		}
		line = strconv.AppendInt(line[:0], id, 10)
		line = append(line, ',')
		line = append(line, Genders[rng.IntN(len(Genders))]...)
		line = append(line, ',')
		line = strconv.AppendInt(line, 1+rng.Int64N(Segments), 10)
		line = append(line, '\n')
		b.Write(line)
	}
	return b.Bytes()
}
