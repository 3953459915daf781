package fibedrock_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/document"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/traceai-go/traceai/fi/semconv"
	"github.com/traceai-go/traceai/instrumentation/fibedrock"
)

const claudeProfile = "us.anthropic.claude-sonnet-4-20250514-v1:0"

var pngBytes = bytes.Repeat([]byte{0x89, 'P', 'N', 'G', 1, 2, 3}, 40)

func converseInput(model string) *bedrockruntime.ConverseInput {
	return &bedrockruntime.ConverseInput{
		ModelId: aws.String(model),
		System: []types.SystemContentBlock{
			&types.SystemContentBlockMemberText{Value: "You are a terse weather assistant."},
			&types.SystemContentBlockMemberText{Value: "Answer in one line."},
		},
		Messages: []types.Message{
			{Role: types.ConversationRoleUser, Content: []types.ContentBlock{
				&types.ContentBlockMemberText{Value: "What's the weather in Paris? Here is the sky:"},
				&types.ContentBlockMemberImage{Value: types.ImageBlock{Format: types.ImageFormatPng, Source: &types.ImageSourceMemberBytes{Value: pngBytes}}},
				&types.ContentBlockMemberImage{Value: types.ImageBlock{Format: types.ImageFormatJpeg, Source: &types.ImageSourceMemberS3Location{Value: types.S3Location{Uri: aws.String("s3://wx-bucket/sky.jpg")}}}},
			}},
			{Role: types.ConversationRoleAssistant, Content: []types.ContentBlock{
				&types.ContentBlockMemberToolUse{Value: types.ToolUseBlock{ToolUseId: aws.String("tooluse_1"), Name: aws.String("get_weather"),
					Input: document.NewLazyDocument(map[string]any{"city": "Paris"})}},
			}},
			{Role: types.ConversationRoleUser, Content: []types.ContentBlock{
				&types.ContentBlockMemberToolResult{Value: types.ToolResultBlock{ToolUseId: aws.String("tooluse_1"),
					Content: []types.ToolResultContentBlock{&types.ToolResultContentBlockMemberText{Value: "21°C, sunny"}}}},
			}},
		},
		InferenceConfig: &types.InferenceConfiguration{MaxTokens: aws.Int32(512), Temperature: aws.Float32(0.5)},
		ToolConfig: &types.ToolConfiguration{Tools: []types.Tool{&types.ToolMemberToolSpec{Value: types.ToolSpecification{
			Name: aws.String("get_weather"), Description: aws.String("Current weather of a city"),
			InputSchema: &types.ToolInputSchemaMemberJson{Value: document.NewLazyDocument(map[string]any{
				"type": "object", "properties": map[string]any{"city": map[string]any{"type": "string"}}})},
		}}}},
	}
}

func TestConverse(t *testing.T) {
	tp, sr := recorder()
	s := newStandin(t, func(path string, _ []byte) answer { return jsonAnswer(fixture(t, "converse_response.json")) })
	var log wireLog
	c := client(s.URL, log.transport(nil, fibedrock.WithTracerProvider(tp)), 1)
	out, err := c.Converse(sessionCtx(), converseInput(claudeProfile))
	if err != nil {
		t.Fatal(err)
	}
	if m := out.Output.(*types.ConverseOutputMemberMessage); len(m.Value.Content) != 3 {
		t.Fatalf("SDK read %+v", m.Value.Content)
	}
	log.check(t, s)
	spans := sr.Ended()
	if len(spans) != 1 || spans[0].Name() != "bedrock.converse" || spans[0].Status().Code != codes.Ok {
		t.Fatalf("%d spans", len(spans))
	}
	a := attrs(spans[0])
	want(t, a, map[string]string{
		"gen_ai.span.kind":                     "LLM",
		"gen_ai.provider.name":                 "aws",
		"gen_ai.system":                        "anthropic",
		"gen_ai.operation.name":                "chat",
		"gen_ai.request.model":                 claudeProfile,
		"gen_ai.response.model":                claudeProfile,
		"session.id":                           "sess-1",
		"user.id":                              "user-1",
		"gen_ai.request.parameters":            `{"maxTokens": 512, "temperature": 0.5}`,
		"gen_ai.input.messages.0.message.role": "system",
		"gen_ai.input.messages.0.message.contents.0.message_content.text":  "You are a terse weather assistant. Answer in one line.",
		"gen_ai.input.messages.1.message.role":                             "user",
		"gen_ai.input.messages.1.message.contents.0.message_content.text":  "What's the weather in Paris? Here is the sky:",
		"gen_ai.input.messages.1.message.contents.1.message_content.type":  "image",
		"gen_ai.input.messages.1.message.contents.1.message_content.image": "__REDACTED__",
		"gen_ai.input.messages.1.message.contents.2.message_content.image": "s3://wx-bucket/sky.jpg",
		"gen_ai.input.images": `["s3://wx-bucket/sky.jpg"]`,
		"gen_ai.input.messages.2.message.tool_calls.0.tool_call.id":                  "tooluse_1",
		"gen_ai.input.messages.2.message.tool_calls.0.tool_call.function.name":       "get_weather",
		"gen_ai.input.messages.2.message.tool_calls.0.tool_call.function.arguments":  `{"city": "Paris"}`,
		"gen_ai.input.messages.3.message.tool_call_id":                               "tooluse_1",
		"gen_ai.input.messages.3.message.content":                                    "21°C, sunny",
		"gen_ai.tool.definitions.0.tool.json_schema":                                 `{"toolSpec": {"description": "Current weather of a city", "inputSchema": {"json": {"properties": {"city": {"type": "string"}}, "type": "object"}}, "name": "get_weather"}}`,
		"gen_ai.output.messages.0.message.role":                                      "assistant",
		"gen_ai.output.messages.0.message.content":                                   "Let me check the weather in Paris.",
		"gen_ai.output.messages.0.message.contents.0.message_content.type":           "thinking",
		"gen_ai.output.messages.0.message.tool_calls.0.tool_call.function.name":      "get_weather",
		"gen_ai.output.messages.0.message.tool_calls.0.tool_call.function.arguments": `{"city": "Paris", "unit": "celsius"}`,
		"gen_ai.response.finish_reasons":                                             `["tool_use"]`,
		"output.value":                                                               "Let me check the weather in Paris.",
		"gen_ai.usage.input_tokens":                                                  "1184",
		"gen_ai.usage.output_tokens":                                                 "87",
		"gen_ai.usage.total_tokens":                                                  "2295",
		"gen_ai.usage.input_tokens.cache_read":                                       "1024",
	})
	if strings.Contains(a["input.value"], "iVBOR") || !strings.Contains(a["input.value"], `"bytes": "__REDACTED__"`) {
		t.Errorf("image bytes in input.value: %s", a["input.value"])
	}
	noSecrets(t, spans)
}

func TestConverseGuardrail(t *testing.T) {
	tp, sr := recorder()
	s := newStandin(t, func(string, []byte) answer { return jsonAnswer(fixture(t, "converse_guardrail.json")) })
	var log wireLog
	c := client(s.URL, log.transport(nil, fibedrock.WithTracerProvider(tp)), 1)
	in := converseInput("amazon.nova-pro-v1:0")
	in.GuardrailConfig = &types.GuardrailConfiguration{GuardrailIdentifier: aws.String("gr-1a2b3c"), GuardrailVersion: aws.String("1"), Trace: types.GuardrailTraceEnabled}
	if _, err := c.Converse(sessionCtx(), in); err != nil {
		t.Fatal(err)
	}
	log.check(t, s)
	a := attrs(sr.Ended()[0])
	want(t, a, map[string]string{
		"gen_ai.guardrail.name":            "gr-1a2b3c",
		"gen_ai.guardrail.result":          "INTERVENED",
		"gen_ai.guardrail.categories":      `["VIOLENCE","Weapons"]`,
		"gen_ai.guardrail.modified_output": "Sorry, I can't help with that request.",
		"gen_ai.response.finish_reasons":   `["guardrail_intervened"]`,
		"gen_ai.system":                    "amazon",
	})
}

func TestConverseStream(t *testing.T) {
	tp, sr := recorder()
	stream := converseStream(t, "converse_stream.jsonl")
	s := newStandin(t, func(string, []byte) answer { return streamAnswer(stream) })
	var log wireLog
	c := client(s.URL, log.transport(nil, fibedrock.WithTracerProvider(tp)), 1)
	out, err := c.ConverseStream(sessionCtx(), &bedrockruntime.ConverseStreamInput{
		ModelId:  aws.String(claudeProfile),
		Messages: converseInput(claudeProfile).Messages[:1],
	})
	if err != nil {
		t.Fatal(err)
	}
	var text strings.Builder
	for ev := range out.GetStream().Events() {
		if d, ok := ev.(*types.ConverseStreamOutputMemberContentBlockDelta); ok {
			if tx, ok := d.Value.Delta.(*types.ContentBlockDeltaMemberText); ok {
				text.WriteString(tx.Value)
			}
		}
	}
	if err := out.GetStream().Err(); err != nil {
		t.Fatal(err)
	}
	out.GetStream().Close()
	if text.String() != "Let me check the weather in Paris." {
		t.Fatalf("SDK read %q", text.String())
	}
	log.check(t, s)
	spans := sr.Ended()
	if len(spans) != 1 || spans[0].Name() != "bedrock.converse_stream" || spans[0].Status().Code != codes.Ok {
		t.Fatalf("%d spans %v", len(spans), spans[0].Status())
	}
	checkStreamSpan(t, spans[0])
}

// checkStreamSpan asserts what converse_stream.jsonl must give a span.
func checkStreamSpan(t testing.TB, sp sdktrace.ReadOnlySpan) {
	t.Helper()
	want(t, attrs(sp), map[string]string{
		"session.id":                                                                 "sess-1",
		"gen_ai.request.model":                                                       claudeProfile,
		"gen_ai.output.messages.0.message.role":                                      "assistant",
		"gen_ai.output.messages.0.message.content":                                   "Let me check the weather in Paris.",
		"gen_ai.output.messages.0.message.tool_calls.0.tool_call.id":                 "tooluse_kZJMlvQmRJ6eAyJE5GIl7Q",
		"gen_ai.output.messages.0.message.tool_calls.0.tool_call.function.name":      "get_weather",
		"gen_ai.output.messages.0.message.tool_calls.0.tool_call.function.arguments": `{"city": "Paris"}`,
		"gen_ai.response.finish_reasons":                                             `["tool_use"]`,
		"gen_ai.usage.input_tokens":                                                  "1184",
		"gen_ai.usage.output_tokens":                                                 "87",
		"gen_ai.usage.total_tokens":                                                  "2295",
		"gen_ai.usage.input_tokens.cache_read":                                       "1024",
	})
	if ev := sp.Events(); len(ev) == 0 || ev[0].Name != semconv.FirstTokenStreamEvent {
		t.Errorf("events %v", ev)
	}
}

// TestConverseStreamEveryBoundary sends the stream through the real SDK in
// two reads cut at every byte, and checks the bytes and the span each time.
func TestConverseStreamEveryBoundary(t *testing.T) {
	stream := converseStream(t, "converse_stream.jsonl")
	for cut := 1; cut < len(stream); cut++ {
		tp, sr := recorder()
		var log wireLog
		base := memStream(stream, cut)
		c := client("http://bedrock.invalid", log.transport(base, fibedrock.WithTracerProvider(tp)), 1)
		out, err := c.ConverseStream(sessionCtx(), &bedrockruntime.ConverseStreamInput{ModelId: aws.String(claudeProfile),
			Messages: converseInput(claudeProfile).Messages[:1]})
		if err != nil {
			t.Fatal(err)
		}
		for range out.GetStream().Events() {
		}
		if err := out.GetStream().Err(); err != nil {
			t.Fatalf("cut %d: %v", cut, err)
		}
		out.GetStream().Close()
		log.check(t, nil)
		if got := log.read[0].Bytes(); !bytes.Equal(got, stream) {
			t.Fatalf("cut %d: bytes changed", cut)
		}
		spans := sr.Ended()
		if len(spans) != 1 {
			t.Fatalf("cut %d: %d spans", cut, len(spans))
		}
		a := attrs(spans[0])
		if a["gen_ai.output.messages.0.message.content"] != "Let me check the weather in Paris." || a["gen_ai.usage.total_tokens"] != "2295" ||
			a["gen_ai.output.messages.0.message.tool_calls.0.tool_call.function.arguments"] != `{"city": "Paris"}` {
			t.Fatalf("cut %d: %v", cut, a)
		}
	}
}

func TestConverseStreamException(t *testing.T) {
	tp, sr := recorder()
	full := converseStream(t, "converse_stream.jsonl")
	// Three frames, then the service's exception.
	n := 0
	for i := 0; i < 3; i++ {
		n += int(uint32(full[n])<<24 | uint32(full[n+1])<<16 | uint32(full[n+2])<<8 | uint32(full[n+3]))
	}
	stream := exceptionFrame(t, append([]byte(nil), full[:n]...), "throttlingException", "Too many tokens, please wait before trying again.")
	s := newStandin(t, func(string, []byte) answer { return streamAnswer(stream) })
	var log wireLog
	c := client(s.URL, log.transport(nil, fibedrock.WithTracerProvider(tp)), 1)
	out, err := c.ConverseStream(sessionCtx(), &bedrockruntime.ConverseStreamInput{ModelId: aws.String(claudeProfile),
		Messages: converseInput(claudeProfile).Messages[:1]})
	if err != nil {
		t.Fatal(err)
	}
	for range out.GetStream().Events() {
	}
	var te *types.ThrottlingException
	if !errors.As(out.GetStream().Err(), &te) {
		t.Fatalf("SDK error %v", out.GetStream().Err())
	}
	out.GetStream().Close()
	log.check(t, s)
	sp := sr.Ended()[0]
	if sp.Status().Code != codes.Error || sp.Status().Description != "ThrottlingException: Too many tokens, please wait before trying again." {
		t.Fatalf("status %v", sp.Status())
	}
	if a := attrs(sp); a["gen_ai.output.messages.0.message.content"] != "Let me check the weather in Paris." {
		t.Errorf("partial output %q", a["gen_ai.output.messages.0.message.content"])
	}
	exceptionEvent(t, sp.Events(), "ThrottlingException")
}
