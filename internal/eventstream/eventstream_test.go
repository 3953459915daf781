package eventstream_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"testing"

	awses "github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"

	"github.com/traceai-go/traceai/internal/eventstream"
)

// sample is three messages as Bedrock sends them, with every header type.
func sample(t testing.TB) ([]byte, []awses.Message) {
	t.Helper()
	msgs := []awses.Message{
		{Headers: awses.Headers{
			{Name: ":event-type", Value: awses.StringValue("messageStart")},
			{Name: ":content-type", Value: awses.StringValue("application/json")},
			{Name: ":message-type", Value: awses.StringValue("event")},
		}, Payload: []byte(`{"p":"abcdefghijklmnopqrstuvwxyzABCDEFGHI","role":"assistant"}`)},
		{Headers: awses.Headers{
			{Name: "b", Value: awses.BoolValue(true)}, {Name: "f", Value: awses.BoolValue(false)},
			{Name: "i8", Value: awses.Int8Value(-3)}, {Name: "i16", Value: awses.Int16Value(300)},
			{Name: "i32", Value: awses.Int32Value(70000)}, {Name: "i64", Value: awses.Int64Value(1 << 40)},
			{Name: "by", Value: awses.BytesValue([]byte{0, 1, 2})},
			{Name: "ts", Value: awses.TimestampValue{}},
			{Name: "u", Value: awses.UUIDValue{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}},
		}, Payload: nil},
		{Headers: awses.Headers{{Name: ":message-type", Value: awses.StringValue("exception")},
			{Name: ":exception-type", Value: awses.StringValue("throttlingException")}},
			Payload: []byte(`{"message":"Too many requests, please wait before trying again."}`)},
	}
	var buf bytes.Buffer
	enc := awses.NewEncoder()
	for _, m := range msgs {
		if err := enc.Encode(&buf, m); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes(), msgs
}

func decodeAll(t testing.TB, stream []byte, chunks func(int) int) ([]*eventstream.Message, error) {
	var d eventstream.Decoder
	var got []*eventstream.Message
	for i := 0; i < len(stream); {
		n := min(chunks(i), len(stream)-i)
		if err := d.Feed(stream[i:i+n], func(m *eventstream.Message) { got = append(got, m) }); err != nil {
			return got, err
		}
		i += n
	}
	return got, d.Close()
}

func same(t testing.TB, got []*eventstream.Message, want []awses.Message) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d messages, want %d", len(got), len(want))
	}
	for i := range want {
		if !bytes.Equal(got[i].Payload, want[i].Payload) || len(got[i].Headers) != len(want[i].Headers) {
			t.Fatalf("message %d: payload %q headers %d", i, got[i].Payload, len(got[i].Headers))
		}
		for j, h := range want[i].Headers {
			var raw bytes.Buffer
			awses.EncodeHeaders(&raw, awses.Headers{h})
			re, _ := eventstream.Append(nil, &eventstream.Message{Headers: []eventstream.Header{got[i].Headers[j]}})
			// Compare header encodings: name, type and value bytes.
			if !bytes.Contains(re, raw.Bytes()) {
				t.Fatalf("message %d header %s: got %+v", i, h.Name, got[i].Headers[j])
			}
		}
	}
}

// TestSplitAtEveryBoundary feeds the stream cut in two at every byte, and
// one byte at a time, and checks every message against AWS's encoder.
func TestSplitAtEveryBoundary(t *testing.T) {
	stream, want := sample(t)
	for cut := 0; cut <= len(stream); cut++ {
		got, err := decodeAll(t, stream, func(i int) int {
			if i < cut {
				return cut - i
			}
			return len(stream)
		})
		if err != nil {
			t.Fatalf("cut %d: %v", cut, err)
		}
		same(t, got, want)
	}
	got, err := decodeAll(t, stream, func(int) int { return 1 })
	if err != nil {
		t.Fatal(err)
	}
	same(t, got, want)
	if got[2].Get(":exception-type") != "throttlingException" || got[0].Get(":event-type") != "messageStart" || got[0].Get("none") != "" {
		t.Fatal("Get")
	}
}

// TestAppendMatchesAWS encodes the same messages as AWS's encoder does.
func TestAppendMatchesAWS(t *testing.T) {
	stream, want := sample(t)
	got, _ := decodeAll(t, stream, func(int) int { return len(stream) })
	var out []byte
	for _, m := range got {
		var err error
		if out, err = eventstream.Append(out, m); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(out, stream) {
		t.Fatal("encodings differ")
	}
	_ = want
	if _, err := eventstream.Append(nil, &eventstream.Message{Headers: []eventstream.Header{{Name: "", Type: eventstream.TypeString}}}); err == nil {
		t.Fatal("empty header name encoded")
	}
	if _, err := eventstream.Append(nil, &eventstream.Message{Headers: []eventstream.Header{{Name: "x", Type: eventstream.TypeInt32, Value: []byte{1}}}}); err == nil {
		t.Fatal("short int32 encoded")
	}
}

func reCRC(b []byte) []byte {
	binary.BigEndian.PutUint32(b[8:12], crc32.ChecksumIEEE(b[:8]))
	n := len(b)
	binary.BigEndian.PutUint32(b[n-4:], crc32.ChecksumIEEE(b[:n-4]))
	return b
}

func TestMalformed(t *testing.T) {
	stream, _ := sample(t)
	first := int(binary.BigEndian.Uint32(stream))
	one := func() []byte { return append([]byte(nil), stream[:first]...) }
	cases := []struct {
		name string
		b    []byte
		want error
	}{
		{"prelude crc", func() []byte { b := one(); b[9] ^= 1; return b }(), eventstream.ErrPreludeCRC},
		{"message crc", func() []byte { b := one(); b[len(b)-1] ^= 1; return b }(), eventstream.ErrMessageCRC},
		{"payload flipped", func() []byte { b := one(); b[first-10] ^= 1; return b }(), eventstream.ErrMessageCRC},
		{"total too short", reCRC(func() []byte {
			b := make([]byte, 16)
			binary.BigEndian.PutUint32(b, 15)
			return b
		}()), eventstream.ErrLength},
		{"total too long", reCRC(func() []byte {
			b := make([]byte, 16)
			binary.BigEndian.PutUint32(b, eventstream.MaxMessageLen+1)
			return b
		}()), eventstream.ErrLength},
		{"headers past the end", reCRC(func() []byte {
			b := make([]byte, 16)
			binary.BigEndian.PutUint32(b, 16)
			binary.BigEndian.PutUint32(b[4:], 1)
			return b
		}()), eventstream.ErrLength},
		{"headers too long", reCRC(func() []byte {
			b := make([]byte, 16)
			binary.BigEndian.PutUint32(b, eventstream.MaxMessageLen)
			binary.BigEndian.PutUint32(b[4:], eventstream.MaxHeadersLen+1)
			return b
		}()), eventstream.ErrLength},
		{"header type", reCRC(func() []byte {
			b := make([]byte, 16+3)
			binary.BigEndian.PutUint32(b, 19)
			binary.BigEndian.PutUint32(b[4:], 3)
			copy(b[12:], []byte{1, 'x', 42})
			return b
		}()), eventstream.ErrHeader},
		{"header value cut", reCRC(func() []byte {
			b := make([]byte, 16+5)
			binary.BigEndian.PutUint32(b, 21)
			binary.BigEndian.PutUint32(b[4:], 5)
			copy(b[12:], []byte{1, 'x', 7, 0, 9})
			return b
		}()), eventstream.ErrHeader},
		{"cut off", stream[:len(stream)-3], eventstream.ErrTruncated},
		{"cut in prelude", stream[:first+5], eventstream.ErrTruncated},
	}
	for _, tc := range cases {
		for _, chunk := range []int{1, 7, len(tc.b)} {
			_, err := decodeAll(t, tc.b, func(int) int { return chunk })
			if !errors.Is(err, tc.want) {
				t.Errorf("%s, chunks of %d: %v, want %v", tc.name, chunk, err, tc.want)
			}
		}
	}
	// After an error, nothing more is decoded.
	var d eventstream.Decoder
	bad := one()
	bad[9] ^= 1
	n := 0
	d.Feed(bad, func(*eventstream.Message) { n++ })
	if err := d.Feed(stream, func(*eventstream.Message) { n++ }); err != eventstream.ErrPreludeCRC || n != 0 || d.Err() == nil {
		t.Fatalf("after error: %v, %d messages", err, n)
	}
}

// TestPayloadNotAliased: a message's slices survive the caller reusing its
// read buffer.
func TestPayloadNotAliased(t *testing.T) {
	stream, want := sample(t)
	buf := append([]byte(nil), stream...)
	var d eventstream.Decoder
	var got []*eventstream.Message
	d.Feed(buf, func(m *eventstream.Message) { got = append(got, m) })
	for i := range buf {
		buf[i] = 0
	}
	same(t, got, want)
}

// FuzzEventStream checks the decoder against AWS's on arbitrary bytes: the
// same messages, or both fail; and the result does not depend on how the
// bytes are split.
func FuzzEventStream(f *testing.F) {
	stream, _ := sample(f)
	f.Add(stream, uint16(5))
	f.Add(stream[:40], uint16(1))
	f.Add([]byte{0, 0, 0, 16, 0, 0, 0, 0}, uint16(3))
	f.Fuzz(func(t *testing.T, b []byte, split uint16) {
		whole, errWhole := decodeAll(t, b, func(int) int { return len(b) })
		step := int(split%64) + 1
		parts, errParts := decodeAll(t, b, func(int) int { return step })
		if fmt.Sprint(errWhole) != fmt.Sprint(errParts) || len(whole) != len(parts) {
			t.Fatalf("split %d: %v vs %v, %d vs %d messages", step, errWhole, errParts, len(whole), len(parts))
		}
		for i := range whole {
			if !bytes.Equal(whole[i].Payload, parts[i].Payload) || len(whole[i].Headers) != len(parts[i].Headers) {
				t.Fatalf("message %d differs by split", i)
			}
		}
		// AWS's decoder reads the same messages.
		r := bytes.NewReader(b)
		dec := awses.NewDecoder()
		for i := 0; ; i++ {
			m, err := dec.Decode(r, nil)
			if err != nil {
				if i < len(whole) {
					t.Fatalf("AWS decoder failed at message %d of %d: %v", i, len(whole), err)
				}
				break
			}
			if i >= len(whole) {
				// AWS accepts what we refuse only where we are stricter
				// (empty header names).
				if errWhole == nil || !errors.Is(errWhole, eventstream.ErrHeader) {
					t.Fatalf("AWS decoded message %d, we stopped: %v", i, errWhole)
				}
				break
			}
			if !bytes.Equal(m.Payload, whole[i].Payload) || len(m.Headers) != len(whole[i].Headers) {
				t.Fatalf("message %d differs from AWS's", i)
			}
		}
	})
}
