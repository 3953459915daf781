package fibedrock_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"go.opentelemetry.io/otel/codes"

	"github.com/traceai-go/traceai/fi"
	"github.com/traceai-go/traceai/instrumentation/fibedrock"
	"github.com/traceai-go/traceai/internal/eventstream"
)

// TestMalformedStreams: a frame with a bad checksum, a frame with an
// impossible length and a body cut off inside a frame each fail the span;
// the SDK reads the bytes as they were sent.
func TestMalformedStreams(t *testing.T) {
	good := converseStream(t, "converse_stream.jsonl")
	first := int(uint32(good[0])<<24 | uint32(good[1])<<16 | uint32(good[2])<<8 | uint32(good[3]))
	badCRC := append([]byte(nil), good...)
	badCRC[first+20] ^= 0x20 // inside the second frame's payload
	badLen := append([]byte(nil), good[:first]...)
	badLen = append(badLen, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0)
	cases := map[string]struct {
		body []byte
		want string
	}{
		"message crc": {badCRC, eventstream.ErrMessageCRC.Error()},
		"length":      {badLen, eventstream.ErrPreludeCRC.Error()},
		"cut off":     {good[:len(good)-7], eventstream.ErrTruncated.Error()},
	}
	for name, tc := range cases {
		tp, sr := recorder()
		s := newStandin(t, func(string, []byte) answer { return streamAnswer(tc.body) })
		var log wireLog
		c := client(s.URL, log.transport(nil, fibedrock.WithTracerProvider(tp)), 1)
		out, err := c.ConverseStream(sessionCtx(), &bedrockruntime.ConverseStreamInput{ModelId: aws.String(claudeProfile),
			Messages: converseInput(claudeProfile).Messages[:1]})
		if err != nil {
			t.Fatal(err)
		}
		for range out.GetStream().Events() {
		}
		// aws-sdk-go-v2 takes a stream cut off inside a frame as its end;
		// the span records it all the same.
		if out.GetStream().Err() == nil && name != "cut off" {
			t.Errorf("%s: the SDK saw no error", name)
		}
		out.GetStream().Close()
		log.check(t, nil)
		if got := log.read[0].Bytes(); !bytes.HasPrefix(tc.body, got) {
			t.Fatalf("%s: the SDK read other bytes", name)
		}
		spans := sr.Ended()
		if len(spans) != 1 || spans[0].Status().Code != codes.Error || !strings.Contains(spans[0].Status().Description, tc.want) {
			t.Fatalf("%s: %d spans, status %v", name, len(spans), spans[0].Status())
		}
		if a := attrs(spans[0]); a["session.id"] != "sess-1" || a["gen_ai.output.messages.0.message.role"] != "assistant" {
			t.Errorf("%s: attributes %v", name, a)
		}
	}
}

// countingBody counts what the transport reads from the network.
type countingBody struct {
	r *bytes.Reader
	n int
}

func (c *countingBody) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}
func (c *countingBody) Close() error { return nil }

// TestStreamNotReadAhead: the transport reads from the network exactly
// what the application asks for, no more, and the span stays open until
// the stream ends.
func TestStreamNotReadAhead(t *testing.T) {
	stream := invokeStream(t, "claude_stream.jsonl")
	tp, sr := recorder()
	body := &countingBody{r: bytes.NewReader(stream)}
	base := rtFunc(func(r *http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/vnd.amazon.eventstream"}}, Body: body, Request: r}, nil
	})
	rt := fibedrock.NewTransport(base, fibedrock.WithTracerProvider(tp))
	req, _ := http.NewRequestWithContext(sessionCtx(), http.MethodPost, "https://bedrock-runtime.us-east-1.amazonaws.com/model/anthropic.claude-sonnet-4-20250514-v1:0/invoke-with-response-stream",
		strings.NewReader(`{"anthropic_version":"bedrock-2023-05-31","max_tokens":64,"messages":[{"role":"user","content":"Hi"}]}`))
	res, err := rt.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	var got []byte
	buf := make([]byte, 13)
	for {
		n, err := res.Body.Read(buf)
		got = append(got, buf[:n]...)
		if body.n != len(got) {
			t.Fatalf("read %d from the network for %d given to the application", body.n, len(got))
		}
		if err == io.EOF {
			break
		}
		if len(sr.Ended()) != 0 {
			t.Fatal("span ended before the stream")
		}
	}
	res.Body.Close()
	if !bytes.Equal(got, stream) {
		t.Fatal("bytes changed")
	}
	a := attrs(sr.Ended()[0])
	want(t, a, map[string]string{"gen_ai.output.messages.0.message.content": "Sunny, 21°C in Paris.", "gen_ai.usage.output_tokens": "12"})
}

// TestStreamClosedEarly and canceled: the span ends, without an error for
// a Close, with the context's error for a cancel.
func TestStreamClosedEarly(t *testing.T) {
	stream := converseStream(t, "converse_stream.jsonl")
	for _, cancel := range []bool{false, true} {
		tp, sr := recorder()
		rt := fibedrock.NewTransport(memStream(stream, len(stream)), fibedrock.WithTracerProvider(tp))
		ctx, stop := context.WithCancel(sessionCtx())
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "https://bedrock-runtime.us-east-1.amazonaws.com/model/"+claudeProfile+"/converse-stream",
			strings.NewReader(`{"messages":[{"role":"user","content":[{"text":"Hi"}]}]}`))
		res, err := rt.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Read(make([]byte, 100))
		if cancel {
			stop()
		} else {
			res.Body.Close()
		}
		// A cancel ends the span from the context's AfterFunc goroutine.
		deadline := time.Now().Add(5 * time.Second)
		for len(sr.Ended()) == 0 && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		spans := sr.Ended()
		if len(spans) != 1 {
			t.Fatalf("cancel=%v: %d spans", cancel, len(spans))
		}
		if got := spans[0].Status().Code; (got == codes.Error) != cancel {
			t.Errorf("cancel=%v: status %v", cancel, spans[0].Status())
		}
		stop()
	}
}

// TestOtherRequestsUntouched: requests that are not runtime calls pass
// through with no span and their body unread.
func TestOtherRequestsUntouched(t *testing.T) {
	tp, sr := recorder()
	body := io.NopCloser(strings.NewReader("x"))
	base := rtFunc(func(r *http.Request) (*http.Response, error) {
		if r.Body != body {
			t.Error("body replaced")
		}
		return &http.Response{StatusCode: 200, Body: http.NoBody, Request: r}, nil
	})
	rt := fibedrock.NewTransport(base, fibedrock.WithTracerProvider(tp))
	for _, u := range []string{"https://bedrock.us-east-1.amazonaws.com/foundation-models", "https://bedrock-runtime.us-east-1.amazonaws.com/model/m/count-tokens", "https://bedrock-runtime.us-east-1.amazonaws.com/async-invoke"} {
		req, _ := http.NewRequest(http.MethodPost, u, nil)
		req.Body = body
		rt.RoundTrip(req)
	}
	if len(sr.Ended()) != 0 {
		t.Fatalf("%d spans", len(sr.Ended()))
	}
}

// TestMasking: WithTraceConfig applies to every attribute, streamed too.
func TestMasking(t *testing.T) {
	cfg := fi.NewTraceConfig()
	cfg.HideInputs, cfg.HideOutputs = true, true
	tp, sr := recorder()
	stream := converseStream(t, "converse_stream.jsonl")
	s := newStandin(t, func(path string, _ []byte) answer {
		if strings.HasSuffix(path, "-stream") {
			return streamAnswer(stream)
		}
		return jsonAnswer(fixture(t, "converse_response.json"))
	})
	c := client(s.URL, fibedrock.NewTransport(nil, fibedrock.WithTracerProvider(tp), fibedrock.WithTraceConfig(cfg)), 1)
	if _, err := c.Converse(sessionCtx(), converseInput(claudeProfile)); err != nil {
		t.Fatal(err)
	}
	out, err := c.ConverseStream(sessionCtx(), &bedrockruntime.ConverseStreamInput{ModelId: aws.String(claudeProfile), Messages: converseInput(claudeProfile).Messages})
	if err != nil {
		t.Fatal(err)
	}
	for range out.GetStream().Events() {
	}
	out.GetStream().Close()
	if len(sr.Ended()) != 2 {
		t.Fatalf("%d spans", len(sr.Ended()))
	}
	for _, sp := range sr.Ended() {
		a := attrs(sp)
		for k, v := range a {
			if strings.HasPrefix(k, "gen_ai.input.messages") || strings.HasPrefix(k, "gen_ai.output.messages") || strings.Contains(v, "Paris") {
				t.Errorf("%s: %s = %q recorded", sp.Name(), k, v)
			}
		}
		if a["gen_ai.usage.total_tokens"] != "2295" || a["session.id"] != "sess-1" {
			t.Errorf("%s: %v", sp.Name(), a)
		}
	}
}

// TestInvokeStreamEveryBoundary: InvokeModelWithResponseStream chunks of
// each family, the stream cut at every byte, give the same span.
func TestInvokeStreamEveryBoundary(t *testing.T) {
	for _, f := range families {
		if f.stream == "" {
			continue
		}
		stream := invokeStream(t, f.stream)
		var first map[string]string
		for cut := 0; cut <= len(stream); cut++ {
			tp, sr := recorder()
			rt := fibedrock.NewTransport(memStream(stream, cut), fibedrock.WithTracerProvider(tp))
			req, _ := http.NewRequestWithContext(sessionCtx(), http.MethodPost, "https://bedrock-runtime.us-east-1.amazonaws.com/model/"+f.model+"/invoke-with-response-stream", strings.NewReader(f.request))
			res, err := rt.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if !bytes.Equal(got, stream) {
				t.Fatalf("%s cut %d: bytes changed", f.name, cut)
			}
			sp := sr.Ended()[0]
			a := attrs(sp)
			if first == nil {
				first = a
				if a["gen_ai.output.messages.0.message.content"] == "" || a["gen_ai.usage.output_tokens"] == "" || sp.Status().Code == codes.Error {
					t.Fatalf("%s: %v %v", f.name, a, sp.Status())
				}
			}
			for _, k := range []string{"gen_ai.output.messages.0.message.content", "gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens", "gen_ai.response.finish_reasons"} {
				if a[k] != first[k] {
					t.Fatalf("%s cut %d: %s = %q, whole %q", f.name, cut, k, a[k], first[k])
				}
			}
		}
	}
}
