package kinesis

import (
	"errors"
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
)

// randomSeq returns a decimal number of 1 to 57 digits.
func randomSeq(rng *rand.Rand) string {
	n := 1 + rng.IntN(57)
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('0' + rng.IntN(10))
	}
	return string(b)
}

func TestParseSeqAgainstBig(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 5000 {
		a, b := randomSeq(rng), randomSeq(rng)
		if rng.IntN(4) == 0 {
			b = a
		}
		qa, err := ParseSeq(a)
		if err != nil {
			t.Fatalf("ParseSeq(%q): %v", a, err)
		}
		qb, err := ParseSeq(b)
		if err != nil {
			t.Fatalf("ParseSeq(%q): %v", b, err)
		}
		ba, _ := new(big.Int).SetString(a, 10)
		bb, _ := new(big.Int).SetString(b, 10)
		if got, want := qa.Compare(qb), ba.Cmp(bb); got != want {
			t.Fatalf("Compare(%s, %s) = %d, want %d", a, b, got, want)
		}
		if got, want := qa.Less(qb), ba.Cmp(bb) < 0; got != want {
			t.Fatalf("Less(%s, %s) = %v, want %v", a, b, got, want)
		}
		if got := qa.String(); got != ba.String() {
			t.Fatalf("String of %s = %s", a, got)
		}
		if ba.Cmp(bb) >= 0 {
			d := new(big.Int).Sub(ba, bb)
			if got := qa.sub(qb).String(); got != d.String() {
				t.Fatalf("%s - %s = %s, want %s", a, b, got, d)
			}
			back, over := qa.sub(qb).add(qb)
			if over || back != qa {
				t.Fatalf("(%s - %s) + %s != %s", a, b, b, a)
			}
		}
	}
}

func TestParseSeqErrors(t *testing.T) {
	max192 := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 192), big.NewInt(1))
	if q, err := ParseSeq(max192.String()); err != nil || q.String() != max192.String() {
		t.Fatalf("ParseSeq(2^192-1) = %v, %v", q, err)
	}
	over := new(big.Int).Lsh(big.NewInt(1), 192).String()
	for _, s := range []string{"", "12a", "-1", " 1", over, strings.Repeat("9", 60)} {
		if _, err := ParseSeq(s); !errors.Is(err, ErrSequenceNumber) {
			t.Errorf("ParseSeq(%q) = %v, want ErrSequenceNumber", s, err)
		}
	}
	digits := "49590338271490256608559692538361571095921575989136588898"
	for i := range len(digits) {
		for c := range 256 {
			if c >= '0' && c <= '9' {
				continue
			}
			bad := digits[:i] + string([]byte{byte(c)}) + digits[i+1:]
			if _, err := ParseSeq(bad); !errors.Is(err, ErrSequenceNumber) {
				t.Fatalf("ParseSeq(%q) = %v", bad, err)
			}
		}
	}
	if q, err := ParseSeq("000123"); err != nil || q.String() != "123" {
		t.Errorf("leading zeros: %v %v", q, err)
	}
}

func TestFromEventAndSDK(t *testing.T) {
	const seq = "49590338271490256608559692538361571095921575989136588898"
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	ev := events.KinesisEventRecord{
		EventID: "shardId-000000000007:" + seq,
		Kinesis: events.KinesisRecord{SequenceNumber: seq, Data: []byte("x"), PartitionKey: "pk",
			ApproximateArrivalTimestamp: events.SecondsEpochTime{Time: at}},
	}
	r, err := FromEvent(&ev)
	if err != nil {
		t.Fatal(err)
	}
	if r.Shard != "shardId-000000000007" || r.SequenceNumber != seq || r.Seq.String() != seq ||
		r.PartitionKey != "pk" || string(r.Data) != "x" || r.Arrival.UTC() != at {
		t.Fatalf("FromEvent = %+v", r)
	}
	s, err := FromSDK("shardId-000000000007", &types.Record{SequenceNumber: aws.String(seq), Data: []byte("x"),
		PartitionKey: aws.String("pk"), ApproximateArrivalTimestamp: aws.Time(at)})
	if err != nil {
		t.Fatal(err)
	}
	if s.Shard != r.Shard || s.Seq != r.Seq || s.Arrival != r.Arrival || s.PartitionKey != "pk" {
		t.Fatalf("FromSDK = %+v, FromEvent = %+v", s, r)
	}
	ev.Kinesis.SequenceNumber = "x1"
	if _, err := FromEvent(&ev); !errors.Is(err, ErrSequenceNumber) {
		t.Fatalf("bad sequence number: %v", err)
	}
	if _, err := FromSDK("s", &types.Record{}); !errors.Is(err, ErrSequenceNumber) {
		t.Fatalf("no sequence number: %v", err)
	}
}
