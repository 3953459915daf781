package fiopenai

import (
	"bytes"
	"testing"
)

// FuzzEmbeddings: any embeddings request or response body parses without
// panicking; a request that parses names its model.
func FuzzEmbeddings(f *testing.F) {
	for _, b := range chatFuzzSeeds(f, "embeddings_*response.json") {
		f.Add([]byte(`{"model":"text-embedding-3-small","input":["a","b"]}`), b)
	}
	f.Add([]byte(`{"input":[[1,2],3,"x",null]}`), []byte(`{"data":[{"embedding":"AAA="},{"embedding":"!!"},{"embedding":{"a":1}},{"index":-1,"embedding":[1,"x",null]}],"usage":[]}`))
	f.Add([]byte(`[]`), []byte(`"x"`))
	f.Fuzz(func(t *testing.T, req, res []byte) {
		attrs, ok := parseEmbeddingsRequest(req)
		if ok && chatKVMap(attrs)["input.mime_type"] == "" {
			t.Fatal("parsed request without input.mime_type")
		}
		_ = parseEmbeddingsResponse(res)
	})
}

// FuzzCompletion: any legacy completions request, response or stream
// chunk parses without panicking.
func FuzzCompletion(f *testing.F) {
	for _, b := range chatFuzzSeeds(f, "completion_*") {
		f.Add([]byte(`{"model":"gpt-3.5-turbo-instruct","prompt":"x"}`), b)
	}
	f.Add([]byte(`{"prompt":[1,[2],"a",{}]}`), []byte(`{"choices":[{"index":"x","text":5},{"index":99999999999}],"usage":"x","error":7}`))
	f.Fuzz(func(t *testing.T, req, res []byte) {
		if _, _, ok := parseCompletionRequest(req); !ok {
			return
		}
		var r completionResult
		r.read(res)
		for line := range bytes.Lines(res) {
			r.event(bytes.TrimPrefix(bytes.TrimSuffix(line, []byte("\n")), []byte("data: ")))
		}
		_ = r.attrs()
	})
}
