package kinesis_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/rowtime/rowtime/record/kinesis"
	"github.com/rowtime/rowtime/record/kinesis/kinesistest"
)

func TestFileNameDistinct(t *testing.T) {
	keys := []string{":1", "Ρ", "_3a1", "a", "A", "a/b", "a_2fb", "a.b", ".", "..", "", "x\x00", strings.Repeat("k", 300),
		strings.Repeat("k", 299) + "j", "arn:aws:kinesis:us-east-1:123456789012:stream/s/shardId-000000000000"}
	seen := map[string]string{}
	for _, k := range keys {
		name := kinesis.FileName(k)
		if other, ok := seen[name]; ok {
			t.Fatalf("keys %q and %q share the file %q", k, other, name)
		}
		seen[name] = k
		if len(name) > 255 || strings.ContainsAny(name, "/\x00") || name == "." || name == ".." {
			t.Fatalf("key %q: bad file name %q", k, name)
		}
	}
}

// storeContract checks what every Store must do.
func storeContract(t *testing.T, st kinesis.Store, big int) {
	ctx := context.Background()
	if _, v, err := st.Load(ctx, "k"); !errors.Is(err, kinesis.ErrNotFound) || v != 0 {
		t.Fatalf("Load of a new key: %v, %v", v, err)
	}
	v1, err := st.Save(ctx, "k", []byte("one"), 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Save(ctx, "k", []byte("again"), 0); !errors.Is(err, kinesis.ErrConflict) {
		t.Fatalf("second create: %v, want ErrConflict", err)
	}
	data, v, err := st.Load(ctx, "k")
	if err != nil || v != v1 || string(data) != "one" {
		t.Fatalf("Load = %q %v %v", data, v, err)
	}
	// Two writers read v1; one wins.
	v2, err := st.Save(ctx, "k", []byte("two"), v1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Save(ctx, "k", []byte("stale"), v1); !errors.Is(err, kinesis.ErrConflict) {
		t.Fatalf("stale writer: %v, want ErrConflict", err)
	}
	if data, v, _ := st.Load(ctx, "k"); string(data) != "two" || v != v2 {
		t.Fatalf("after the conflict: %q %v", data, v)
	}
	// Distinct keys that a naive escaping would merge.
	if _, err := st.Save(ctx, ":1", []byte("colon"), 0); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Save(ctx, "Ρ", []byte("rho"), 0); err != nil {
		t.Fatal(err)
	}
	if d, _, _ := st.Load(ctx, ":1"); string(d) != "colon" {
		t.Fatalf(":1 holds %q", d)
	}
	// Large state, then small again, then large, each read back whole.
	v = v2
	for i, size := range []int{big, 10, big + 7, 3 * big} {
		payload := bytes.Repeat([]byte{byte('a' + i)}, size)
		copy(payload, strconv.Itoa(i))
		nv, err := st.Save(ctx, "k", payload, v)
		if err != nil {
			t.Fatalf("save of %d bytes: %v", size, err)
		}
		data, got, err := st.Load(ctx, "k")
		if err != nil || got != nv || !bytes.Equal(data, payload) {
			t.Fatalf("load of %d bytes: %d bytes, version %v (want %v), %v", size, len(data), got, nv, err)
		}
		v = nv
	}
	// Concurrent writers from one version: exactly one wins.
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for w := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			size := 20
			if w%2 == 0 {
				size = 2*big + w
			}
			_, err := st.Save(ctx, "k", bytes.Repeat([]byte{'w'}, size), v)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				wins++
			case !errors.Is(err, kinesis.ErrConflict):
				t.Errorf("writer %d: %v", w, err)
			}
		}()
	}
	wg.Wait()
	if wins != 1 {
		t.Fatalf("%d writers won, want 1", wins)
	}
	if _, got, err := st.Load(ctx, "k"); err != nil || got != v+1 {
		t.Fatalf("after the race: version %v, %v", got, err)
	}
}

func TestFileStore(t *testing.T) {
	dir := t.TempDir()
	storeContract(t, kinesis.FileStore{Dir: filepath.Join(dir, "state")}, 1000)
	// No temporary files are left behind; a file that is not a state file
	// is an error, not empty state.
	names, _ := filepath.Glob(filepath.Join(dir, "state", "*tmp*"))
	if len(names) != 0 {
		t.Fatalf("temporary files left: %v", names)
	}
	st := kinesis.FileStore{Dir: dir}
	if err := os.WriteFile(filepath.Join(dir, kinesis.FileName("x")), []byte("junk"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.Load(context.Background(), "x"); err == nil || errors.Is(err, kinesis.ErrNotFound) {
		t.Fatalf("junk file: %v", err)
	}
	if _, err := st.Save(context.Background(), "x", nil, 0); err == nil {
		t.Fatal("saved over a junk file")
	}
}

func dynamoStore(t *testing.T, opts *kinesis.DynamoDBOptions) (*kinesis.DynamoDBStore, *dynamodb.Client, string) {
	if testing.Short() {
		t.Skip("needs dynalite; not in -short")
	}
	srv := kinesistest.StartDynamoDB(t)
	table := kinesistest.StateTable(t, srv, "rowtime-state")
	db := srv.DynamoDB()
	st := kinesis.NewDynamoDBStore(db, table, opts)
	clients.Store(st, db)
	return st, db, table
}

func TestDynamoDBStore(t *testing.T) {
	clock := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	st, db, table := dynamoStore(t, &kinesis.DynamoDBOptions{ChunkSize: 1000, Grace: 2 * time.Hour, Now: func() time.Time { return clock }})
	storeContract(t, st, 1000)

	// The chunks of replaced states carry the TTL attribute, the current
	// ones do not.
	ctx := context.Background()
	_, v, err := st.Load(ctx, "ttl")
	if !errors.Is(err, kinesis.ErrNotFound) {
		t.Fatal(err)
	}
	v, err = st.Save(ctx, "ttl", bytes.Repeat([]byte{'x'}, 2500), v)
	if err != nil {
		t.Fatal(err)
	}
	first := chunkItems(t, db, table, "ttl")
	if len(first) != 3 {
		t.Fatalf("%d chunks of 2500 bytes, want 3", len(first))
	}
	for k, item := range first {
		if _, ok := item[kinesis.TTLAttribute]; ok {
			t.Fatalf("current chunk %s has a TTL", k)
		}
	}
	if _, err := st.Save(ctx, "ttl", bytes.Repeat([]byte{'y'}, 1500), v); err != nil {
		t.Fatal(err)
	}
	want := strconv.FormatInt(clock.Add(2*time.Hour).Unix(), 10)
	expired, current := 0, 0
	for k, item := range chunkItems(t, db, table, "ttl") {
		ttl, ok := item[kinesis.TTLAttribute].(*types.AttributeValueMemberN)
		if _, old := first[k]; old {
			if !ok || ttl.Value != want {
				t.Fatalf("replaced chunk %s: ttl %v, want %s", k, item[kinesis.TTLAttribute], want)
			}
			expired++
		} else {
			if ok {
				t.Fatalf("current chunk %s has a TTL; first %v", k, first)
			}
			current++
		}
	}
	if expired != 3 || current != 2 {
		t.Fatalf("%d expired and %d current chunks, want 3 and 2", expired, current)
	}

	// A chunk lost under a head (expired by a slow reader) is an error,
	// never a mix of versions.
	for k := range chunkItems(t, db, table, "ttl") {
		if _, ok := first[k]; ok {
			continue
		}
		if _, err := db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(table),
			Key: map[string]types.AttributeValue{"key": &types.AttributeValueMemberS{Value: k}}}); err != nil {
			t.Fatal(err)
		}
		break
	}
	if _, _, err := st.Load(ctx, "ttl"); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Fatalf("missing chunk: %v", err)
	}
}

func TestDynamoDBStoreErrors(t *testing.T) {
	st, _, _ := dynamoStore(t, nil)
	// A store that times out: the error says so, and nothing is saved.
	ctx, cancel := context.WithTimeout(context.Background(), time.Nanosecond)
	defer cancel()
	time.Sleep(time.Millisecond)
	if _, err := st.Save(ctx, "k", []byte("x"), 0); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Save past the deadline: %v", err)
	}
	if _, _, err := st.Load(ctx, "k"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Load past the deadline: %v", err)
	}
	if _, _, err := st.Load(context.Background(), "k"); !errors.Is(err, kinesis.ErrNotFound) {
		t.Fatalf("after the timeout: %v", err)
	}
	// A table that does not exist: a clear error naming it.
	other := kinesis.NewDynamoDBStore(dynamoClient(t, st), "no-such-table", nil)
	if _, _, err := other.Load(context.Background(), "k"); err == nil || !strings.Contains(err.Error(), "no-such-table") {
		t.Fatalf("missing table: %v", err)
	}
	// The default chunk size keeps items under 400 KB.
	big := bytes.Repeat([]byte("0123456789"), 100_000)
	v, err := st.Save(context.Background(), "big", big, 0)
	if err != nil {
		t.Fatal(err)
	}
	if data, got, err := st.Load(context.Background(), "big"); err != nil || got != v || !bytes.Equal(data, big) {
		t.Fatalf("1 MB state: %d bytes, %v", len(data), err)
	}
}

var clients sync.Map

func dynamoClient(t *testing.T, st *kinesis.DynamoDBStore) *dynamodb.Client {
	c, _ := clients.Load(st)
	if c == nil {
		t.Fatal("no client")
	}
	return c.(*dynamodb.Client)
}

// chunkItems returns the chunk items of key, by item key.
func chunkItems(t *testing.T, db *dynamodb.Client, table, key string) map[string]map[string]types.AttributeValue {
	t.Helper()
	out, err := db.Scan(context.Background(), &dynamodb.ScanInput{TableName: aws.String(table)})
	if err != nil {
		t.Fatal(err)
	}
	items := map[string]map[string]types.AttributeValue{}
	for _, item := range out.Items {
		k := item["key"].(*types.AttributeValueMemberS).Value
		if strings.HasPrefix(k, fmt.Sprintf("c:%s#", key)) {
			items[k] = item
		}
	}
	return items
}

// failFlip fails the UpdateItem that makes chunks current, as a Save that
// dies half-way would.
type failFlip struct {
	kinesis.DynamoDBAPI
	fail bool
}

func (f *failFlip) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	if f.fail && strings.Contains(aws.ToString(in.UpdateExpression), "REMOVE") {
		return nil, errors.New("connection reset")
	}
	return f.DynamoDBAPI.UpdateItem(ctx, in, opts...)
}

func TestDynamoDBStoreHalfWay(t *testing.T) {
	_, db, table := dynamoStore(t, nil)
	ff := &failFlip{DynamoDBAPI: db}
	st := kinesis.NewDynamoDBStore(ff, table, &kinesis.DynamoDBOptions{ChunkSize: 100})
	ctx := context.Background()
	v, err := st.Save(ctx, "k", []byte("small"), 0)
	if err != nil {
		t.Fatal(err)
	}
	ff.fail = true
	if _, err := st.Save(ctx, "k", bytes.Repeat([]byte{'z'}, 350), v); err == nil {
		t.Fatal("the failed flip was not reported")
	}
	ff.fail = false
	if data, got, err := st.Load(ctx, "k"); err != nil || got != v || string(data) != "small" {
		t.Fatalf("after a Save that died: %q %v %v", data, got, err)
	}
	orphans := chunkItems(t, db, table, "k")
	if len(orphans) != 4 {
		t.Fatalf("%d chunks left by the dead Save, want 4", len(orphans))
	}
	if _, err := st.Save(ctx, "k", bytes.Repeat([]byte{'q'}, 250), v); err != nil {
		t.Fatal(err)
	}
	for k, item := range chunkItems(t, db, table, "k") {
		_, ttl := item[kinesis.TTLAttribute]
		if _, orphan := orphans[k]; orphan != ttl {
			t.Fatalf("chunk %s: orphan %v, ttl %v", k, orphan, ttl)
		}
	}
	if data, _, err := st.Load(ctx, "k"); err != nil || !bytes.Equal(data, bytes.Repeat([]byte{'q'}, 250)) {
		t.Fatalf("Load = %d bytes, %v", len(data), err)
	}
}

// doubled sends every head write twice, as a client that retries after a
// lost reply does, and returns the second answer (the condition failed).
type doubled struct{ kinesis.DynamoDBAPI }

func (d doubled) PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	if _, err := d.DynamoDBAPI.PutItem(ctx, in, opts...); err != nil {
		return nil, err
	}
	return d.DynamoDBAPI.PutItem(ctx, in, opts...)
}

func (d doubled) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	out, err := d.DynamoDBAPI.UpdateItem(ctx, in, opts...)
	if err != nil || !strings.Contains(aws.ToString(in.UpdateExpression), "REMOVE") {
		return out, err
	}
	return d.DynamoDBAPI.UpdateItem(ctx, in, opts...)
}

func TestDynamoDBStoreRetriedWrite(t *testing.T) {
	_, db, table := dynamoStore(t, nil)
	st := kinesis.NewDynamoDBStore(doubled{db}, table, &kinesis.DynamoDBOptions{ChunkSize: 100})
	ctx := context.Background()
	v, err := st.Save(ctx, "k", []byte("small"), 0)
	if err != nil || v != 1 {
		t.Fatalf("a retried write of our own: %v, %v", v, err)
	}
	if v, err = st.Save(ctx, "k", bytes.Repeat([]byte{'c'}, 250), v); err != nil || v != 2 {
		t.Fatalf("a retried flip of our own: %v, %v", v, err)
	}
	// Another writer's write at that version is still a conflict.
	if _, err := st.Save(ctx, "k", []byte("small"), 1); !errors.Is(err, kinesis.ErrConflict) {
		t.Fatalf("stale writer: %v", err)
	}
}
