package fiopenai

import (
	"strings"
	"testing"
)

// Fuzz targets of the Responses API parsing, seeded from the recorded
// fixtures; a normal test run runs the seeds only.

// FuzzResponsesRequest: any request body parses without panicking, and a
// body that parses yields input.value and no negative message index.
func FuzzResponsesRequest(f *testing.F) {
	for _, b := range chatFuzzSeeds(f, "responses_*request.json") {
		f.Add(b)
	}
	f.Add([]byte(`{"model":"gpt-4o","instructions":"Be brief.","input":"Hi","stream":true}`))
	f.Add([]byte(`{"instructions":7,"input":[null,1,"x",{"type":"message","content":[{"type":"input_image","image_url":{}},7]},{"type":"function_call","arguments":{}},{"role":"user","content":{"a":1}},{"type":"reasoning","summary":"x"},{"type":"computer_call","action":[]}],"tools":{}}`))
	f.Add([]byte(`{"input":{"a":"\ud800"},"tools":[null,1]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		attrs, _, ok := parseResponsesRequest(body)
		if !ok {
			return
		}
		if chatKVMap(attrs)["input.value"] == "" {
			t.Fatal("parsed request without input.value")
		}
		for _, kv := range attrs {
			if kv.Key == "" || strings.Contains(string(kv.Key), ".-") {
				t.Fatalf("bad key %q", kv.Key)
			}
		}
	})
}

// FuzzResponsesStream sends a fuzzed request and answers it with a fuzzed
// event stream through NewTransport: no panic, the bytes pass through
// unchanged, and the span ends.
func FuzzResponsesStream(f *testing.F) {
	reqs := chatFuzzSeeds(f, "responses_*request.json")
	for i, b := range chatFuzzSeeds(f, "responses_*.sse") {
		f.Add(reqs[i%len(reqs)], b)
	}
	f.Add([]byte(`{"stream":true}`), []byte("data: {\"type\":\"response.output_item.added\",\"output_index\":-3,\"item\":{}}\n\ndata: {\"type\":\"response.output_text.delta\",\"output_index\":1e40,\"delta\":7}\n\n"))
	f.Add([]byte(`{}`), []byte("data: {\"type\":\"response.completed\",\"response\":{\"output\":[{\"type\":\"image_generation_call\",\"result\":1},{\"type\":\"x_call\"}],\"usage\":[]}}\r\ndata: {}\n\n:c\nevent: error\ndata: {\"type\":\"error\",\"error\":\"x\"}"))
	f.Fuzz(func(t *testing.T, req, res []byte) {
		for _, s := range fuzzStream(t, "responses", req, res) {
			for _, kv := range s.Attributes() {
				if strings.Contains(string(kv.Key), ".-") {
					t.Fatalf("negative index key %s", kv.Key)
				}
			}
		}
	})
}

// FuzzResponsesResponse: any whole response body, under any status, gives
// attributes or an error without panicking.
func FuzzResponsesResponse(f *testing.F) {
	for _, b := range chatFuzzSeeds(f, "responses_*response.json") {
		f.Add(b, 200)
	}
	for _, b := range chatFuzzSeeds(f, "responses_error_*.json") {
		f.Add(b, 400)
	}
	f.Add([]byte(`{"status":"failed","error":{"code":1},"output":[{"type":"message","content":"x"},{"type":"function_call","arguments":"{}"}]}`), 200)
	f.Fuzz(func(t *testing.T, body []byte, status int) {
		fuzzWhole(t, "Response", &respResult{}, body, status)
	})
}
