package fibedrock_test

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"go.opentelemetry.io/otel/codes"

	"github.com/traceai-go/traceai/fi"
	"github.com/traceai-go/traceai/instrumentation/fibedrock"
)

// families are recorded-shape InvokeModel calls of each model family.
var families = []struct {
	name, model, request, response, stream string
	want                                   map[string]string
}{
	{
		name: "claude", model: "anthropic.claude-sonnet-4-20250514-v1:0",
		request:  `{"anthropic_version":"bedrock-2023-05-31","max_tokens":256,"system":"Be terse.","messages":[{"role":"user","content":[{"type":"text","text":"Weather in Paris?"},{"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBORw0KGgo="}}]}]}`,
		response: "claude_response.json", stream: "claude_stream.jsonl",
		want: map[string]string{
			"gen_ai.system": "anthropic", "gen_ai.operation.name": "chat",
			"gen_ai.request.parameters":                                        `{"anthropic_version": "bedrock-2023-05-31", "max_tokens": 256, "system": "Be terse."}`,
			"gen_ai.input.messages.0.message.role":                             "system",
			"gen_ai.input.messages.0.message.content":                          "Be terse.",
			"gen_ai.input.messages.1.message.contents.0.message_content.text":  "Weather in Paris?",
			"gen_ai.input.messages.1.message.contents.1.message_content.image": "__REDACTED__",
			"gen_ai.response.model":                                            "claude-sonnet-4-20250514",
			"gen_ai.output.messages.0.message.content":                         "Sunny, 21°C in Paris.",
			"gen_ai.response.finish_reasons":                                   `["end_turn"]`,
			"gen_ai.usage.input_tokens":                                        "25", "gen_ai.usage.output_tokens": "12", "gen_ai.usage.total_tokens": "37",
		},
	},
	{
		name: "nova", model: "us.amazon.nova-lite-v1:0",
		request:  `{"schemaVersion":"messages-v1","system":[{"text":"Be terse."}],"messages":[{"role":"user","content":[{"text":"Weather in Paris?"}]}],"inferenceConfig":{"maxTokens":128,"temperature":0.3}}`,
		response: "nova_response.json", stream: "nova_stream.jsonl",
		want: map[string]string{
			"gen_ai.system": "amazon", "gen_ai.request.parameters": `{"maxTokens": 128, "temperature": 0.3}`,
			"gen_ai.input.messages.0.message.role":                            "system",
			"gen_ai.input.messages.1.message.contents.0.message_content.text": "Weather in Paris?",
			"gen_ai.output.messages.0.message.content":                        "Paris is sunny today.",
			"gen_ai.response.finish_reasons":                                  `["end_turn"]`,
			"gen_ai.usage.input_tokens":                                       "14", "gen_ai.usage.output_tokens": "6", "gen_ai.usage.total_tokens": "20",
		},
	},
	{
		name: "llama", model: "meta.llama3-1-70b-instruct-v1:0",
		request:  `{"prompt":"<|begin_of_text|><|start_header_id|>user<|end_header_id|>\nWeather in Paris?<|eot_id|>","max_gen_len":128,"temperature":0.5,"top_p":0.9}`,
		response: "llama_response.json", stream: "llama_stream.jsonl",
		want: map[string]string{
			"gen_ai.system": "meta", "gen_ai.operation.name": "text_completion",
			"gen_ai.request.parameters":                "{\"max_gen_len\": 128, \"temperature\": 0.5, \"top_p\": 0.9}",
			"input.mime_type":                          "text/plain",
			"gen_ai.input.messages.0.message.role":     "user",
			"gen_ai.output.messages.0.message.content": " Paris is sunny, 21°C.",
			"gen_ai.response.finish_reasons":           `["stop"]`,
			"gen_ai.usage.input_tokens":                "18", "gen_ai.usage.output_tokens": "9", "gen_ai.usage.total_tokens": "27",
		},
	},
	{
		name: "mistral", model: "mistral.mistral-7b-instruct-v0:2",
		request:  `{"prompt":"<s>[INST] Weather in Paris? [/INST]","max_tokens":128,"temperature":0.5}`,
		response: "mistral_response.json", stream: "mistral_stream.jsonl",
		want: map[string]string{
			"gen_ai.system": "mistralai", "gen_ai.operation.name": "text_completion",
			"input.value": "<s>[INST] Weather in Paris? [/INST]",
			"gen_ai.output.messages.0.message.content": " Paris is sunny today.",
			"gen_ai.response.finish_reasons":           `["stop"]`,
			"gen_ai.usage.input_tokens":                "12", // the response headers, the stream's metrics
		},
	},
	{
		name: "mistral-chat", model: "mistral.mistral-large-2407-v1:0",
		request:  `{"messages":[{"role":"system","content":"Be terse."},{"role":"user","content":"Weather in Paris?"}],"max_tokens":128}`,
		response: "mistral_chat_response.json",
		want: map[string]string{
			"gen_ai.input.messages.1.message.content":  "Weather in Paris?",
			"gen_ai.request.parameters":                `{"max_tokens": 128}`,
			"gen_ai.output.messages.0.message.content": "Paris is sunny today.",
			"gen_ai.usage.input_tokens":                "12", "gen_ai.usage.output_tokens": "6",
		},
	},
	{
		name: "cohere", model: "cohere.command-r-plus-v1:0",
		request:  `{"preamble":"Be terse.","chat_history":[{"role":"USER","message":"Hi"},{"role":"CHATBOT","message":"Hello!"}],"message":"Weather in Paris?","max_tokens":128}`,
		response: "cohere_response.json", stream: "cohere_stream.jsonl",
		want: map[string]string{
			"gen_ai.system":                            "cohere",
			"gen_ai.input.messages.0.message.role":     "system",
			"gen_ai.input.messages.2.message.role":     "assistant",
			"gen_ai.input.messages.3.message.content":  "Weather in Paris?",
			"gen_ai.request.parameters":                `{"max_tokens": 128}`,
			"gen_ai.output.messages.0.message.content": "Paris is sunny today.",
			"gen_ai.response.finish_reasons":           `["COMPLETE"]`,
			"gen_ai.usage.input_tokens":                "11", "gen_ai.usage.output_tokens": "6",
		},
	},
}

func TestInvokeModelFamilies(t *testing.T) {
	for _, f := range families {
		t.Run(f.name, func(t *testing.T) {
			tp, sr := recorder()
			s := newStandin(t, func(path string, _ []byte) answer {
				if strings.HasSuffix(path, "/invoke-with-response-stream") {
					return streamAnswer(invokeStream(t, f.stream))
				}
				a := jsonAnswer(fixture(t, f.response))
				a.header.Set("X-Amzn-Bedrock-Input-Token-Count", "12")
				a.header.Set("X-Amzn-Bedrock-Output-Token-Count", "6")
				return a
			})
			var log wireLog
			c := client(s.URL, log.transport(nil, fibedrock.WithTracerProvider(tp)), 1)
			out, err := c.InvokeModel(sessionCtx(), &bedrockruntime.InvokeModelInput{
				ModelId: aws.String(f.model), Body: []byte(f.request), ContentType: aws.String("application/json")})
			if err != nil {
				t.Fatal(err)
			}
			if string(out.Body) != string(fixture(t, f.response)) {
				t.Fatal("SDK read another body")
			}
			if f.stream != "" {
				st, err := c.InvokeModelWithResponseStream(sessionCtx(), &bedrockruntime.InvokeModelWithResponseStreamInput{
					ModelId: aws.String(f.model), Body: []byte(f.request), ContentType: aws.String("application/json")})
				if err != nil {
					t.Fatal(err)
				}
				n := 0
				for ev := range st.GetStream().Events() {
					if _, ok := ev.(*types.ResponseStreamMemberChunk); ok {
						n++
					}
				}
				if err := st.GetStream().Err(); err != nil || n != len(lines(t, f.stream)) {
					t.Fatalf("stream: %v, %d chunks", err, n)
				}
				st.GetStream().Close()
			}
			log.check(t, s)
			spans := sr.Ended()
			names := []string{"bedrock.invoke_model", "bedrock.invoke_model_with_response_stream"}
			for i, sp := range spans {
				if sp.Name() != names[i] || sp.Status().Code != codes.Ok {
					t.Errorf("span %d: %s %v", i, sp.Name(), sp.Status())
				}
				a := attrs(sp)
				want(t, a, map[string]string{"gen_ai.provider.name": "aws", "gen_ai.request.model": f.model, "session.id": "sess-1"})
				// Streams have no token-count headers: their counts come
				// from the events (amazon-bedrock-invocationMetrics).
				want(t, a, f.want)
			}
			noSecrets(t, spans)
		})
	}
}

// TestInvokeUnknownBody: a model whose body this package does not know,
// and a body that is not JSON, still get a span with the model, the status
// and the context attributes.
func TestInvokeUnknownBody(t *testing.T) {
	for _, body := range []string{`{"taskType":"TEXT_IMAGE","textToImageParams":{"text":"a lighthouse"}}`, "\x00\x01binary"} {
		tp, sr := recorder()
		s := newStandin(t, func(string, []byte) answer { return jsonAnswer([]byte(`{"images":["aGVsbG8="]}`)) })
		var log wireLog
		c := client(s.URL, log.transport(nil, fibedrock.WithTracerProvider(tp)), 1)
		if _, err := c.InvokeModel(sessionCtx(), &bedrockruntime.InvokeModelInput{ModelId: aws.String("amazon.titan-image-generator-v2:0"), Body: []byte(body)}); err != nil {
			t.Fatal(err)
		}
		log.check(t, s)
		sp := sr.Ended()[0]
		if sp.Status().Code != codes.Ok {
			t.Errorf("status %v", sp.Status())
		}
		want(t, attrs(sp), map[string]string{"gen_ai.request.model": "amazon.titan-image-generator-v2:0", "session.id": "sess-1", "user.id": "user-1", "gen_ai.span.kind": "LLM"})
	}
}

// TestModelIDs: inference profiles and ARNs (whose slashes the SDK
// escapes in the path) are recorded as the application gave them.
func TestModelIDs(t *testing.T) {
	ids := []string{
		"arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3d4e5f6",
		"arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-5-haiku-20241022-v1:0",
		"global.anthropic.claude-sonnet-4-5-20250929-v1:0",
	}
	for _, id := range ids {
		tp, sr := recorder()
		var path string
		s := newStandin(t, func(p string, _ []byte) answer { path = p; return jsonAnswer(fixture(t, "converse_response.json")) })
		c := client(s.URL, fibedrock.NewTransport(nil, fibedrock.WithTracerProvider(tp)), 1)
		if _, err := c.Converse(sessionCtx(), converseInput(id)); err != nil {
			t.Fatal(err)
		}
		if got := attrs(sr.Ended()[0])["gen_ai.request.model"]; got != id {
			t.Errorf("model %q from path %s, want %q", got, path, id)
		}
		if p, _ := url.PathUnescape(path); !strings.Contains(p, id) {
			t.Errorf("path %s", path)
		}
	}
}

// TestErrors: each AWS error ends its span with the error code as the
// exception type and the message; retries are one span per attempt.
func TestErrors(t *testing.T) {
	cases := []struct {
		status  int
		code    string
		msg     string
		target  any
		retries int
	}{
		{429, "ThrottlingException", "Too many requests, please wait before trying again.", new(*types.ThrottlingException), 3},
		{400, "ValidationException", "The provided model identifier is invalid.", new(*types.ValidationException), 1},
		{403, "AccessDeniedException", "You don't have access to the model with the specified model ID.", new(*types.AccessDeniedException), 1},
	}
	for _, tc := range cases {
		tp, sr := recorder()
		s := newStandin(t, func(string, []byte) answer {
			return answer{status: tc.status, header: http.Header{"Content-Type": {"application/json"},
				"X-Amzn-Errortype": {tc.code + ":http://internal.amazon.com/coral/com.amazon.bedrock/"}},
				body: []byte(`{"message":"` + tc.msg + `"}`)}
		})
		var log wireLog
		c := client(s.URL, log.transport(nil, fibedrock.WithTracerProvider(tp)), 3)
		_, err := c.Converse(sessionCtx(), converseInput(claudeProfile))
		if !errors.As(err, tc.target) {
			t.Fatalf("%s: SDK error %v", tc.code, err)
		}
		log.check(t, s)
		spans := sr.Ended()
		if len(spans) != tc.retries {
			t.Fatalf("%s: %d spans for %d attempts", tc.code, len(spans), tc.retries)
		}
		for i, sp := range spans {
			if sp.Status().Code != codes.Error || sp.Status().Description != tc.code+": "+tc.msg {
				t.Errorf("%s: status %v", tc.code, sp.Status())
			}
			exceptionEvent(t, sp.Events(), tc.code)
			a := attrs(sp)
			if a["session.id"] != "sess-1" || a["gen_ai.input.messages.1.message.role"] != "user" {
				t.Errorf("%s: request attributes missing", tc.code)
			}
			if i > 0 && a["gen_ai.request.retry_attempt"] != map[int]string{1: "1", 2: "2"}[i] {
				t.Errorf("%s: attempt %d recorded as %q", tc.code, i, a["gen_ai.request.retry_attempt"])
			}
		}
		noSecrets(t, spans)
	}
}

func TestSuppressTracing(t *testing.T) {
	tp, sr := recorder()
	s := newStandin(t, func(string, []byte) answer { return jsonAnswer(fixture(t, "converse_response.json")) })
	c := client(s.URL, fibedrock.NewTransport(nil, fibedrock.WithTracerProvider(tp)), 1)
	if _, err := c.Converse(fi.SuppressTracing(sessionCtx()), converseInput(claudeProfile)); err != nil {
		t.Fatal(err)
	}
	if n := len(sr.Ended()); n != 0 {
		t.Fatalf("%d spans", n)
	}
}

// TestInvokeModelGuardrail: InvokeModel's guardrail (a request header)
// and its action and trace in the response body.
func TestInvokeModelGuardrail(t *testing.T) {
	tp, sr := recorder()
	resp := `{"amazon-bedrock-guardrailAction":"INTERVENED","amazon-bedrock-trace":{"guardrail":{"input":{"gr-9":{"sensitiveInformationPolicy":{"piiEntities":[{"action":"BLOCKED","match":"jane@example.com","type":"EMAIL"}]}}}}},"content":[{"text":"Sorry, the model cannot answer this question.","type":"text"}],"role":"assistant","stop_reason":"end_turn","type":"message","usage":{"input_tokens":0,"output_tokens":0}}`
	s := newStandin(t, func(string, []byte) answer { return jsonAnswer([]byte(resp)) })
	var log wireLog
	c := client(s.URL, log.transport(nil, fibedrock.WithTracerProvider(tp)), 1)
	_, err := c.InvokeModel(sessionCtx(), &bedrockruntime.InvokeModelInput{ModelId: aws.String("anthropic.claude-3-haiku-20240307-v1:0"),
		GuardrailIdentifier: aws.String("gr-9"), GuardrailVersion: aws.String("DRAFT"), Trace: types.TraceEnabled,
		Body: []byte(families[0].request), ContentType: aws.String("application/json")})
	if err != nil {
		t.Fatal(err)
	}
	log.check(t, s)
	want(t, attrs(sr.Ended()[0]), map[string]string{
		"gen_ai.guardrail.name":            "gr-9",
		"gen_ai.guardrail.result":          "INTERVENED",
		"gen_ai.guardrail.categories":      `["EMAIL"]`,
		"gen_ai.guardrail.modified_output": "Sorry, the model cannot answer this question.",
	})
	noSecrets(t, sr.Ended())
}
