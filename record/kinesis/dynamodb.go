package kinesis

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// DynamoDBAPI is the part of the DynamoDB client that DynamoDBStore uses;
// *dynamodb.Client implements it.
type DynamoDBAPI interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
}

// DynamoDBOptions configure a DynamoDBStore. The zero DynamoDBOptions,
// and nil, are the defaults.
type DynamoDBOptions struct {
	// ChunkSize is the most bytes of state kept in one item; larger state
	// is written in chunks of this size. Zero means 350,000, which keeps
	// each item under DynamoDB's 400 KB limit.
	ChunkSize int
	// Grace is how long the chunks of a replaced state live on (their
	// TTL), so that a reader that read the old head can still read them.
	// Zero means one hour.
	Grace time.Duration
	// Now is the clock of the TTL; nil means time.Now.
	Now func() time.Time
}

// DynamoDBStore is a Store over one DynamoDB table. The table needs a
// partition key named "key" of type String and no sort key; turn on Time
// to Live on the attribute "ttl" (aws dynamodb update-time-to-live
// --table-name T --time-to-live-specification
// Enabled=true,AttributeName=ttl), so that the chunks of replaced states
// are deleted. Use on-demand capacity or enough write capacity for one
// write per batch per shard (plus one per chunk for large state).
//
// Each key has a head item, "h:" and the key, holding the version and
// either the state itself (up to ChunkSize bytes) or the generation and
// count of its chunks, items "c:key#generation#index". Every Save is
// conditional on the version read, so of two writers of one key only one
// wins; the other gets ErrConflict. State above ChunkSize is written as
// chunks under a new generation, and made current by one conditional
// update of the head: a reader sees the old state or the new one, never a
// mix. Chunks of replaced states, and of a Save that lost or died
// half-way, get a "ttl" (Unix seconds, now + Grace) for DynamoDB to delete
// them. Loads are strongly consistent and check a CRC-32C of the state.
type DynamoDBStore struct {
	api   DynamoDBAPI
	table string
	chunk int
	grace time.Duration
	now   func() time.Time
}

// NewDynamoDBStore returns the store over table through api.
func NewDynamoDBStore(api DynamoDBAPI, table string, opts *DynamoDBOptions) *DynamoDBStore {
	s := &DynamoDBStore{api: api, table: table, chunk: 350_000, grace: time.Hour, now: time.Now}
	if opts != nil {
		if opts.ChunkSize > 0 {
			s.chunk = opts.ChunkSize
		}
		if opts.Grace > 0 {
			s.grace = opts.Grace
		}
		if opts.Now != nil {
			s.now = opts.Now
		}
	}
	return s
}

// Attribute names of the items.
const (
	attrKey     = "key"
	attrVer     = "ver"
	attrData    = "data"
	attrGen     = "gen"
	attrChunks  = "chunks"
	attrSize    = "size"
	attrCRC     = "crc"
	attrPending = "pending"
	attrPendN   = "pendingChunks"
	attrTTL     = "ttl"
	attrWriter  = "writer" // a random id of the Save that wrote the head
)

// TTLAttribute is the attribute that DynamoDB's Time to Live must be set
// on for a DynamoDBStore's table.
const TTLAttribute = attrTTL

func headKey(key string) string { return "h:" + key }

func chunkKey(key, gen string, i int) string { return "c:" + key + "#" + gen + "#" + strconv.Itoa(i) }

func s(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

func n(v uint64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatUint(v, 10)}
}

func getN(item map[string]types.AttributeValue, name string) (uint64, bool) {
	v, ok := item[name].(*types.AttributeValueMemberN)
	if !ok {
		return 0, false
	}
	u, err := strconv.ParseUint(v.Value, 10, 64)
	return u, err == nil
}

func getS(item map[string]types.AttributeValue, name string) string {
	v, _ := item[name].(*types.AttributeValueMemberS)
	if v == nil {
		return ""
	}
	return v.Value
}

func (st *DynamoDBStore) errf(op, key string, err error) error {
	return fmt.Errorf("kinesis: dynamodb store: %s %s in table %s: %w", op, key, st.table, err)
}

// Load returns the state under key and its version, or an error wrapping
// ErrNotFound.
func (st *DynamoDBStore) Load(ctx context.Context, key string) ([]byte, Version, error) {
	out, err := st.api.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(st.table), ConsistentRead: aws.Bool(true),
		Key: map[string]types.AttributeValue{attrKey: s(headKey(key))},
	})
	if err != nil {
		return nil, 0, st.errf("load", key, err)
	}
	if len(out.Item) == 0 {
		return nil, 0, fmt.Errorf("%w: %s", ErrNotFound, key)
	}
	if _, ok := out.Item[attrVer]; !ok {
		// Only the announcement of a first chunked Save that has not
		// finished: nothing is stored yet.
		return nil, 0, fmt.Errorf("%w: %s", ErrNotFound, key)
	}
	ver, ok := getN(out.Item, attrVer)
	if !ok || ver == 0 {
		return nil, 0, st.errf("load", key, errors.New("head item without a version"))
	}
	crc, ok := getN(out.Item, attrCRC)
	if !ok {
		return nil, 0, st.errf("load", key, errors.New("head item without a checksum"))
	}
	var data []byte
	if b, ok := out.Item[attrData].(*types.AttributeValueMemberB); ok {
		data = b.Value
	} else {
		gen := getS(out.Item, attrGen)
		chunks, ok1 := getN(out.Item, attrChunks)
		size, ok2 := getN(out.Item, attrSize)
		if gen == "" || !ok1 || !ok2 {
			return nil, 0, st.errf("load", key, errors.New("head item with neither data nor chunks"))
		}
		data = make([]byte, 0, size)
		for i := range int(chunks) {
			c, err := st.api.GetItem(ctx, &dynamodb.GetItemInput{
				TableName: aws.String(st.table), ConsistentRead: aws.Bool(true),
				Key: map[string]types.AttributeValue{attrKey: s(chunkKey(key, gen, i))},
			})
			if err != nil {
				return nil, 0, st.errf("load", key, err)
			}
			b, ok := c.Item[attrData].(*types.AttributeValueMemberB)
			if !ok {
				return nil, 0, st.errf("load", key, fmt.Errorf("chunk %d of %d of version %d is missing (replaced and expired while read?)", i, chunks, ver))
			}
			data = append(data, b.Value...)
		}
		if uint64(len(data)) != size {
			return nil, 0, st.errf("load", key, fmt.Errorf("chunks hold %d bytes, the head says %d", len(data), size))
		}
	}
	if uint64(crc32.Checksum(data, castagnoli)) != crc {
		return nil, 0, st.errf("load", key, errors.New("checksum mismatch"))
	}
	return data, Version(ver), nil
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// versionCond is the condition that the head is still at version prev
// (0: it has no version, being absent or only an announcement), with the
// name #v and, for prev above 0, the value :prev.
func versionCond(prev Version) (string, map[string]types.AttributeValue) {
	if prev == 0 {
		return "attribute_not_exists(#v)", map[string]types.AttributeValue{}
	}
	return "#v = :prev", map[string]types.AttributeValue{":prev": n(uint64(prev))}
}

// nilIfEmpty returns nil for an empty map: DynamoDB refuses empty
// expression value maps.
func nilIfEmpty(m map[string]types.AttributeValue) map[string]types.AttributeValue {
	if len(m) == 0 {
		return nil
	}
	return m
}

func isConditionFailed(err error) bool {
	var cf *types.ConditionalCheckFailedException
	return errors.As(err, &cf)
}

// Save replaces the state under key if its version is still prev.
func (st *DynamoDBStore) Save(ctx context.Context, key string, data []byte, prev Version) (Version, error) {
	crc := uint64(crc32.Checksum(data, castagnoli))
	cond, vals := versionCond(prev)
	var g [16]byte
	if _, err := rand.Read(g[:]); err != nil {
		return 0, st.errf("save", key, err)
	}
	gen := hex.EncodeToString(g[:]) // this Save's id, and its chunks' generation
	if len(data) <= st.chunk {
		out, err := st.api.PutItem(ctx, &dynamodb.PutItemInput{
			TableName: aws.String(st.table),
			Item: map[string]types.AttributeValue{
				attrKey: s(headKey(key)), attrVer: n(uint64(prev) + 1), attrCRC: n(crc), attrWriter: s(gen),
				attrData: &types.AttributeValueMemberB{Value: data},
			},
			ConditionExpression: aws.String(cond), ExpressionAttributeNames: map[string]string{"#v": attrVer},
			ExpressionAttributeValues: nilIfEmpty(vals),
			ReturnValues:              types.ReturnValueAllOld,
		})
		if isConditionFailed(err) {
			if st.landed(ctx, key, prev, gen) {
				return prev + 1, nil
			}
			return 0, fmt.Errorf("%w: %s (the caller read version %d)", ErrConflict, key, prev)
		}
		if err != nil {
			return 0, st.errf("save", key, err)
		}
		st.expireOld(ctx, key, out.Attributes, "")
		return prev + 1, nil
	}

	// Chunked: announce the generation in the head (conditional, so a
	// stale writer stops here), write the chunks, then flip the head to
	// them, on condition that the version and the announcement still hold.
	count := (len(data) + st.chunk - 1) / st.chunk
	announce := map[string]types.AttributeValue{":gen": s(gen), ":n": n(uint64(count))}
	for k, v := range vals {
		announce[k] = v
	}
	// With no head yet, this creates one holding only the announcement,
	// which Load reports as not found.
	ann, err := st.api.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(st.table),
		Key:                       map[string]types.AttributeValue{attrKey: s(headKey(key))},
		UpdateExpression:          aws.String("SET #p = :gen, #pn = :n"),
		ConditionExpression:       aws.String(cond),
		ExpressionAttributeNames:  map[string]string{"#v": attrVer, "#p": attrPending, "#pn": attrPendN},
		ExpressionAttributeValues: announce,
		ReturnValues:              types.ReturnValueAllOld,
	})
	if isConditionFailed(err) {
		return 0, fmt.Errorf("%w: %s (the caller read version %d)", ErrConflict, key, prev)
	}
	if err != nil {
		return 0, st.errf("save", key, err)
	}
	// A Save that announced before us and did not finish left chunks.
	if old := getS(ann.Attributes, attrPending); old != "" {
		pn, _ := getN(ann.Attributes, attrPendN)
		st.expire(ctx, key, old, int(pn))
	}
	for i := range count {
		part := data[i*st.chunk : min(len(data), (i+1)*st.chunk)]
		if _, err := st.api.PutItem(ctx, &dynamodb.PutItemInput{
			TableName: aws.String(st.table),
			Item: map[string]types.AttributeValue{
				attrKey: s(chunkKey(key, gen, i)), attrData: &types.AttributeValueMemberB{Value: part},
			},
		}); err != nil {
			st.expire(ctx, key, gen, i)
			return 0, st.errf("save", key, err)
		}
	}
	flipCond := "#p = :gen"
	if prev == 0 {
		flipCond += " AND attribute_not_exists(#v)"
	} else {
		flipCond += " AND #v = :prev"
	}
	flipVals := map[string]types.AttributeValue{
		":gen": s(gen), ":n": n(uint64(count)), ":size": n(uint64(len(data))), ":crc": n(crc), ":ver": n(uint64(prev) + 1),
	}
	for k, v := range vals {
		flipVals[k] = v
	}
	out, err := st.api.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           aws.String(st.table),
		Key:                 map[string]types.AttributeValue{attrKey: s(headKey(key))},
		UpdateExpression:    aws.String("SET #v = :ver, #g = :gen, #c = :n, #s = :size, #crc = :crc, #w = :gen REMOVE #p, #pn, #d"),
		ConditionExpression: aws.String(flipCond),
		ExpressionAttributeNames: map[string]string{"#v": attrVer, "#g": attrGen, "#c": attrChunks, "#s": attrSize,
			"#crc": attrCRC, "#p": attrPending, "#pn": attrPendN, "#d": attrData, "#w": attrWriter},
		ExpressionAttributeValues: flipVals,
		ReturnValues:              types.ReturnValueAllOld,
	})
	if isConditionFailed(err) {
		if st.landed(ctx, key, prev, gen) {
			return prev + 1, nil
		}
		st.expire(ctx, key, gen, count)
		return 0, fmt.Errorf("%w: %s (the caller read version %d)", ErrConflict, key, prev)
	}
	if err != nil {
		// Unknown whether the flip happened: the chunks stay, and the
		// next Save expires them if they are not current.
		return 0, st.errf("save", key, err)
	}
	st.expireOld(ctx, key, out.Attributes, gen)
	return prev + 1, nil
}

// landed reports whether a write whose condition failed was this Save's
// own, applied by an earlier attempt that the client retried (a reply
// lost on the way): the head is at prev+1, written by this Save.
func (st *DynamoDBStore) landed(ctx context.Context, key string, prev Version, id string) bool {
	out, err := st.api.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(st.table), ConsistentRead: aws.Bool(true),
		Key: map[string]types.AttributeValue{attrKey: s(headKey(key))},
	})
	if err != nil {
		return false
	}
	ver, _ := getN(out.Item, attrVer)
	return ver == uint64(prev)+1 && getS(out.Item, attrWriter) == id
}

// expireOld gives the chunks of the replaced head old their TTL, and
// those of an unfinished Save it announced, unless that is current (the
// Save that just made it current).
func (st *DynamoDBStore) expireOld(ctx context.Context, key string, old map[string]types.AttributeValue, current string) {
	if gen := getS(old, attrGen); gen != "" {
		c, _ := getN(old, attrChunks)
		st.expire(ctx, key, gen, int(c))
	}
	if gen := getS(old, attrPending); gen != "" && gen != current {
		c, _ := getN(old, attrPendN)
		st.expire(ctx, key, gen, int(c))
	}
}

// expire sets the TTL of the first count chunks of generation gen. It is
// best effort: the state is right without it, only storage is spent.
func (st *DynamoDBStore) expire(ctx context.Context, key, gen string, count int) {
	ttl := n(uint64(st.now().Add(st.grace).Unix()))
	for i := range count {
		_, _ = st.api.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName:                 aws.String(st.table),
			Key:                       map[string]types.AttributeValue{attrKey: s(chunkKey(key, gen, i))},
			UpdateExpression:          aws.String("SET #t = :t"),
			ConditionExpression:       aws.String("attribute_exists(#k)"),
			ExpressionAttributeNames:  map[string]string{"#t": attrTTL, "#k": attrKey},
			ExpressionAttributeValues: map[string]types.AttributeValue{":t": ttl},
		})
	}
}
