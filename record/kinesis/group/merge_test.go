package group

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	sdk "github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/rowtime/rowtime/record"
	"github.com/rowtime/rowtime/record/decode"
	"github.com/rowtime/rowtime/record/kinesis"
)

// mapStore is a kinesis.Store in memory; after is called after each Load.
type mapStore struct {
	mu    sync.Mutex
	data  map[string][]byte
	ver   map[string]kinesis.Version
	after func(key string)
}

func (m *mapStore) Load(_ context.Context, key string) ([]byte, kinesis.Version, error) {
	m.mu.Lock()
	d, v, after := m.data[key], m.ver[key], m.after
	m.mu.Unlock()
	if after != nil {
		after(key)
	}
	if d == nil {
		return nil, 0, fmt.Errorf("%w: %s", kinesis.ErrNotFound, key)
	}
	return d, v, nil
}

func (m *mapStore) Save(_ context.Context, key string, data []byte, prev kinesis.Version) (kinesis.Version, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.ver[key] != prev {
		return 0, fmt.Errorf("%w: %s", kinesis.ErrConflict, key)
	}
	m.data[key], m.ver[key] = append([]byte(nil), data...), prev+1
	return prev + 1, nil
}

type listShards struct {
	KinesisAPI
	ids []string
}

func (l listShards) ListShards(context.Context, *sdk.ListShardsInput, ...func(*sdk.Options)) (*sdk.ListShardsOutput, error) {
	out := &sdk.ListShardsOutput{}
	for _, id := range l.ids {
		out.Shards = append(out.Shards, types.Shard{ShardId: aws.String(id)})
	}
	return out, nil
}

type windows struct {
	mu    sync.Mutex
	files map[string][]byte
}

func (o *windows) Write(_ context.Context, name string, lines []byte) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.files[name] = append([]byte(nil), lines...)
	return nil
}

type count struct {
	End record.Time
	Key string
	N   int64
}

// TestMergeAfterAnotherWorker: worker y's merge round overlaps worker x's,
// which writes a window and moves the progress past it, after which a
// shard drops its partials of that window. y must not write the window
// again from what is left (the window short of that shard's counts): the
// window holds the sum of every shard's partials.
func TestMergeAfterAnotherWorker(t *testing.T) {
	ctx := context.Background()
	st := &mapStore{data: map[string][]byte{}, ver: map[string]kinesis.Version{}}
	out := &windows{files: map[string][]byte{}}
	dec, _ := decode.NewJSON[count]("End", decode.Millis)
	newWorker := func(id string) *Worker[count, count] {
		w, err := New(Config[count, count]{
			Stream: "s", Worker: id, Kinesis: listShards{ids: []string{"a", "b"}},
			DynamoDB: dynamodb.New(dynamodb.Options{Region: "us-east-1"}), LeaseTable: "leases", State: st,
			Format: kinesis.NewJSON[count](dec, nil), Query: func() (record.Operator[record.Of[count], count], error) { return nil, nil },
			Window: func(c count) (record.Time, string) { return c.End, c.Key },
			Merge:  func(a, b count) count { a.N += b.N; return a },
			Output: out,
		})
		if err != nil {
			t.Fatal(err)
		}
		return w
	}
	x, y := newWorker("x"), newWorker("y")
	save := func(shard string, partials ...count) {
		h := header{Watermark: 100}
		for _, p := range partials {
			b, _ := json.Marshal(p)
			h.add(p.End, b)
		}
		key := x.stateKey(shard)
		if _, err := st.Save(ctx, key, append([]byte{0}, h.encode()...), st.ver[key]); err != nil {
			t.Fatal(err)
		}
	}
	save("a", count{50, "k", 1})
	save("b", count{50, "k", 2})

	// Once y has loaded its first item, x merges, and shard a, having seen
	// x's progress, drops its partials of the window.
	var once sync.Once
	st.after = func(string) {
		once.Do(func() {
			st.mu.Lock()
			st.after = nil
			st.mu.Unlock()
			if err := x.Merge(ctx); err != nil {
				t.Error(err)
			}
			save("a")
		})
	}
	if err := y.Merge(ctx); err != nil {
		t.Fatal(err)
	}
	want := `{"End":50,"Key":"k","N":3}` + "\n"
	for name, got := range out.files {
		if string(got) != want {
			t.Errorf("window %s = %q, want %q", name, got, want)
		}
	}
	if len(out.files) != 1 {
		t.Errorf("%d window files, want 1", len(out.files))
	}
}
