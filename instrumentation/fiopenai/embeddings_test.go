package fiopenai_test

import (
	"bytes"
	"net/http"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	goopenai "github.com/sashabaranov/go-openai"
	"go.opentelemetry.io/otel/codes"

	"github.com/traceai-go/traceai/fi"
	"github.com/traceai-go/traceai/instrumentation/fiopenai"
)

func TestEmbeddingsOpenAIGo(t *testing.T) {
	s := newChatReplay(t, chatReply{status: 200, fixture: "embeddings_response.json"})
	tp, sr := chatRecorder()
	c := chatOAClient(s, tp)
	res, err := c.Embeddings.New(chatCtx(), openai.EmbeddingNewParams{
		Model:      openai.EmbeddingModelTextEmbedding3Small,
		Input:      openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: []string{"The food was delicious", "and the waiter..."}},
		Dimensions: openai.Int(3),
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Data) != 2 || res.Data[1].Embedding[2] != -0.011224461 {
		t.Fatalf("client read %+v", res.Data)
	}
	sp := chatOneSpan(t, sr)
	if sp.Name() != "CreateEmbeddingResponse" || sp.Status().Code == codes.Error {
		t.Errorf("span %q status %v", sp.Name(), sp.Status())
	}
	chatWant(t, sp, map[string]string{
		"gen_ai.span.kind":                             "EMBEDDING",
		"gen_ai.provider.name":                         "openai",
		"gen_ai.operation.name":                        "embeddings",
		"session.id":                                   "sess-1",
		"user.id":                                      "user-1",
		"embedding.model_name":                         "text-embedding-3-small",
		"gen_ai.request.model":                         "text-embedding-3-small",
		"gen_ai.response.model":                        "text-embedding-3-small",
		"gen_ai.request.parameters":                    `{"model": "text-embedding-3-small", "dimensions": 3}`,
		"embedding.embeddings.0.embedding.text":        "The food was delicious",
		"embedding.embeddings.1.embedding.text":        "and the waiter...",
		"embedding.embeddings.0.embedding.vector":      "[0.0023064255,-0.009327292,0.015797347]",
		"embedding.embeddings.1.embedding.vector":      "[-0.0021510434,0.0048839855,-0.011224461]",
		"gen_ai.embeddings.dimension.count":            "3",
		"gen_ai.usage.input_tokens":                    "9",
		"gen_ai.usage.total_tokens":                    "9",
		"input.mime_type":                              "application/json",
		"input.value":                                  `{"input": ["The food was delicious", "and the waiter..."], "model": "text-embedding-3-small", "dimensions": 3}`,
		"output.value":                                 "",
		"gen_ai.usage.output_tokens":                   "",
		"embedding.embeddings.2.embedding.text":        "",
		"gen_ai.output.messages.0.message.role":        "",
		"gen_ai.input.messages.0.message.content":      "",
		"embedding.embeddings.0.embedding.vector.dims": "",
	})
}

func TestEmbeddingsGoOpenAIBase64(t *testing.T) {
	s := newChatReplay(t, chatReply{status: 200, fixture: "embeddings_base64_response.json"})
	tp, sr := chatRecorder()
	c := chatGoClient(s, tp)
	res, err := c.CreateEmbeddings(chatCtx(), goopenai.EmbeddingRequest{
		Input:          "Hello, world",
		Model:          goopenai.SmallEmbedding3,
		EncodingFormat: goopenai.EmbeddingEncodingFormatBase64,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Data) != 2 || res.Data[0].Embedding[1] != -0.5 {
		t.Fatalf("client read %+v", res.Data)
	}
	sp := chatOneSpan(t, sr)
	chatWant(t, sp, map[string]string{
		"gen_ai.span.kind":                        "EMBEDDING",
		"embedding.embeddings.0.embedding.text":   "Hello, world",
		"input.value":                             `"Hello, world"`,
		"embedding.embeddings.0.embedding.vector": "[0.25,-0.5,1]",
		"embedding.embeddings.1.embedding.vector": "[0.125,0.75,-2]",
		"gen_ai.usage.input_tokens":               "7",
		"session.id":                              "sess-1",
	})
}

func TestEmbeddingsHideVectors(t *testing.T) {
	s := newChatReplay(t, chatReply{status: 200, fixture: "embeddings_response.json"})
	tp, sr := chatRecorder()
	cfg := fi.NewTraceConfig()
	cfg.HideEmbeddingVectors = true
	c := openai.NewClient(option.WithBaseURL(s.URL+"/v1"), option.WithAPIKey(chatAPIKey), option.WithMaxRetries(0),
		option.WithMiddleware(fiopenai.Middleware(fiopenai.WithTracerProvider(tp), fiopenai.WithTraceConfig(cfg))))
	if _, err := c.Embeddings.New(chatCtx(), openai.EmbeddingNewParams{
		Model: openai.EmbeddingModelTextEmbedding3Small,
		Input: openai.EmbeddingNewParamsInputUnion{OfString: openai.String("x")},
	}); err != nil {
		t.Fatal(err)
	}
	chatWant(t, chatOneSpan(t, sr), map[string]string{
		"embedding.embeddings.0.embedding.vector": "",
		"embedding.embeddings.0.embedding.text":   "x",
		"embedding.model_name":                    "text-embedding-3-small",
	})
}

func TestEmbeddingsHTTPError(t *testing.T) {
	s := newChatReplay(t, chatReply{status: 401, fixture: "chat_error_401.json"})
	tp, sr := chatRecorder()
	c := chatOAClient(s, tp)
	_, err := c.Embeddings.New(chatCtx(), openai.EmbeddingNewParams{
		Model: openai.EmbeddingModelTextEmbedding3Small,
		Input: openai.EmbeddingNewParamsInputUnion{OfString: openai.String("x")},
	})
	if err == nil {
		t.Fatal("no error")
	}
	sp := chatOneSpan(t, sr)
	if sp.Status().Code != codes.Error || len(sp.Events()) == 0 {
		t.Errorf("status %v, events %v", sp.Status(), sp.Events())
	}
	chatWant(t, sp, map[string]string{"embedding.embeddings.0.embedding.text": "x", "session.id": "sess-1"})
}

// A response the client reads byte for byte as the server sent it.
func TestEmbeddingsBodyUnchanged(t *testing.T) {
	s := newChatReplay(t, chatReply{status: 200, fixture: "embeddings_base64_response.json"})
	tp, _ := chatRecorder()
	hc := &http.Client{Transport: fiopenai.NewTransport(nil, fiopenai.WithTracerProvider(tp))}
	req, _ := http.NewRequestWithContext(chatCtx(), http.MethodPost, s.URL+"/v1/embeddings",
		bytes.NewReader([]byte(`{"model":"text-embedding-3-small","input":"x","encoding_format":"base64"}`)))
	res, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	got.ReadFrom(res.Body)
	res.Body.Close()
	if !bytes.Equal(got.Bytes(), chatFixture(t, "embeddings_base64_response.json")) {
		t.Error("body changed")
	}
}
