package fiopenai

import (
	"encoding/base64"
	"encoding/binary"
	"math"
	"net/http"

	"github.com/tidwall/gjson"
	"go.opentelemetry.io/otel/attribute"

	"github.com/traceai-go/traceai/fi/semconv"
	"github.com/traceai-go/traceai/internal/llmparse"
)

// Embeddings (POST .../embeddings): one EMBEDDING span named
// CreateEmbeddingResponse, as the reference names it.

// maxEmbeddingTexts bounds the per-input attributes of one request; a batch
// of thousands of texts would otherwise make a span of megabytes.
const maxEmbeddingTexts = 256

// startEmbeddings parses an embeddings request. A body that is not a JSON
// object passes through untraced.
func startEmbeddings(req *http.Request, body []byte) (llmparse.Call, bool) {
	attrs, ok := parseEmbeddingsRequest(body)
	if !ok {
		return nil, false
	}
	return &embeddingsCall{exchange: exchange{provider: provider(req)}, attrs: attrs}, true
}

func parseEmbeddingsRequest(body []byte) (llmparse.Attrs, bool) {
	if !gjson.ValidBytes(body) {
		return nil, false
	}
	root := gjson.ParseBytes(body)
	if !root.IsObject() {
		return nil, false
	}
	f := gjson.GetManyBytes(body, "model", "input")
	model, input := f[0].String(), f[1]
	attrs := make(llmparse.Attrs, 0, 12)
	attrs.Add(semconv.GenAIOperationName.String("embeddings"))
	attrs.Str(semconv.GenAIRequestModel, model)
	attrs.Str(semconv.EmbeddingModelName, model)
	requestParameters(&attrs, body, "input")
	switch {
	case input.Type == gjson.String:
		attrs.Str(semconv.EmbeddingKey(0, semconv.EmbeddingText), input.Str)
		// The reference records a single input as its JSON text.
		attrs.Str(semconv.InputValue, llmparse.Format([]byte(input.Raw)))
	case input.IsArray():
		i := 0
		input.ForEach(func(_, v gjson.Result) bool {
			// Token-id inputs (numbers, lists of numbers) have no text.
			if v.Type == gjson.String {
				attrs.Str(semconv.EmbeddingKey(i, semconv.EmbeddingText), v.Str)
			}
			i++
			return i < maxEmbeddingTexts
		})
		attrs.Str(semconv.InputValue, llmparse.Format(body))
	default:
		attrs.Str(semconv.InputValue, llmparse.Format(body))
	}
	attrs.Str(semconv.InputMimeType, string(semconv.MimeTypeJSON))
	return attrs, true
}

// embeddingsCall is one traced embeddings request.
type embeddingsCall struct {
	exchange
	attrs llmparse.Attrs
}

func (c *embeddingsCall) Span() (string, semconv.SpanKind, []attribute.KeyValue) {
	return "CreateEmbeddingResponse", semconv.SpanKindEmbedding, c.attrs
}

// Response: an embeddings answer is one JSON document, whatever its
// Content-Type says.
func (c *embeddingsCall) Response(res *http.Response) llmparse.Framing {
	c.status = res.StatusCode
	return llmparse.FramingJSON
}

func (c *embeddingsCall) Event([]byte) {}

func (c *embeddingsCall) End() ([]attribute.KeyValue, error) {
	if err := c.httpError(); err != nil {
		return nil, err
	}
	return parseEmbeddingsResponse(c.body), nil
}

// parseEmbeddingsResponse returns the attributes of an embeddings response:
// the model, the token usage and each vector under its index, base64
// vectors (encoding_format "base64") decoded to floats as the reference does.
func parseEmbeddingsResponse(body []byte) llmparse.Attrs {
	if !gjson.ValidBytes(body) {
		return nil
	}
	root := gjson.ParseBytes(body)
	if !root.IsObject() {
		return nil
	}
	attrs := make(llmparse.Attrs, 0, 8)
	dims := 0
	n := 0
	root.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "model":
			attrs.Str(semconv.EmbeddingModelName, v.String())
			attrs.Str(semconv.GenAIResponseModel, v.String())
		case "usage":
			u := gjson.GetMany(v.Raw, "prompt_tokens", "total_tokens")
			if u[0].Exists() {
				attrs.Int(semconv.GenAIUsageInputTokens, u[0].Int())
			}
			if u[1].Exists() {
				attrs.Int(semconv.GenAIUsageTotalTokens, u[1].Int())
			}
		case "data":
			v.ForEach(func(_, d gjson.Result) bool {
				if n >= maxEmbeddingTexts {
					return false
				}
				f := gjson.GetMany(d.Raw, "index", "embedding")
				idx := n
				if f[0].Exists() {
					idx = int(f[0].Int())
				}
				if vec := vector(f[1]); vec != nil {
					attrs.Add(semconv.EmbeddingKey(idx, semconv.EmbeddingVector).Float64Slice(vec))
					dims = len(vec)
				}
				n++
				return true
			})
		}
		return true
	})
	if dims > 0 {
		attrs.Int(semconv.GenAIEmbeddingsDimensionCount, int64(dims))
	}
	return attrs
}

// vector reads an embedding: a JSON list of numbers, or the base64 text of
// little-endian float32s.
func vector(v gjson.Result) []float64 {
	switch {
	case v.IsArray():
		out := make([]float64, 0, 256)
		v.ForEach(func(_, x gjson.Result) bool {
			out = append(out, x.Float())
			return true
		})
		return out
	case v.Type == gjson.String:
		raw, err := base64.StdEncoding.DecodeString(v.Str)
		if err != nil || len(raw)%4 != 0 {
			return nil
		}
		out := make([]float64, len(raw)/4)
		for i := range out {
			out[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:])))
		}
		return out
	}
	return nil
}
