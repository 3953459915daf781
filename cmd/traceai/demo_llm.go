package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/openai/openai-go/v3/option"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/traceai-go/traceai/fi"
	"github.com/traceai-go/traceai/fi/semconv"
)

// llmMiddleware records one LLM (or EMBEDDING) span per OpenAI request.
//
// Local stand-in for fiopenai.Middleware, which had not landed when the
// demo was written; swap it in once instrumentation/fiopenai exists. It
// reads what it needs from a copy of the bytes and never changes what the
// client reads.
func llmMiddleware(tp trace.TracerProvider) option.Middleware {
	tracer := fi.NewTracer(fi.WithTracerProvider(tp), fi.WithInstrumentationName("github.com/traceai-go/traceai/cmd/traceai/demo"))
	return func(req *http.Request, next option.MiddlewareNext) (*http.Response, error) {
		kind, name := semconv.SpanKindLLM, "ChatCompletion"
		if strings.HasSuffix(req.URL.Path, "/embeddings") {
			kind, name = semconv.SpanKindEmbedding, "CreateEmbeddings"
		}
		var body []byte
		if req.GetBody != nil {
			if rc, err := req.GetBody(); err == nil {
				body, _ = io.ReadAll(rc)
				rc.Close()
			}
		}
		var in struct {
			Model  string `json:"model"`
			Stream bool   `json:"stream"`
		}
		_ = json.Unmarshal(body, &in)
		ctx, span := tracer.Start(req.Context(), name, kind, trace.WithSpanKind(trace.SpanKindClient))
		span.SetAttributes(
			semconv.GenAIProviderName.String(semconv.ProviderOpenAI.String()),
			semconv.GenAIRequestModel.String(in.Model),
		)
		if len(body) > 0 {
			span.SetInput(string(body), semconv.MimeTypeJSON)
		}
		resp, err := next(req.WithContext(ctx))
		if err != nil {
			span.RecordError(err)
			span.End()
			return resp, err
		}
		if resp.StatusCode >= 400 {
			span.RecordError(fmt.Errorf("openai: HTTP %d", resp.StatusCode))
			span.End()
			return resp, nil
		}
		resp.Body = &recordingBody{ReadCloser: resp.Body, span: span, stream: in.Stream}
		return resp, nil
	}
}

// recordingBody copies the response as the client reads it and sets the
// output attributes when the body ends.
type recordingBody struct {
	io.ReadCloser
	span   *fi.Span
	stream bool
	buf    bytes.Buffer
	ended  bool
}

func (b *recordingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if b.buf.Len() < 4<<20 {
		b.buf.Write(p[:n])
	}
	if err == io.EOF {
		b.end()
	}
	return n, err
}

func (b *recordingBody) Close() error {
	b.end()
	return b.ReadCloser.Close()
}

type tokenUsage struct {
	PromptTokens     int64 `json:"prompt_tokens"`
	CompletionTokens int64 `json:"completion_tokens"`
	TotalTokens      int64 `json:"total_tokens"`
}

func (b *recordingBody) end() {
	if b.ended {
		return
	}
	b.ended = true
	defer b.span.End()
	var u *tokenUsage
	var model, text string
	if b.stream {
		sc := bufio.NewScanner(bytes.NewReader(b.buf.Bytes()))
		sc.Buffer(make([]byte, 64<<10), 4<<20)
		for sc.Scan() {
			line, ok := strings.CutPrefix(sc.Text(), "data: ")
			if !ok || line == "[DONE]" {
				continue
			}
			var ch struct {
				Model   string `json:"model"`
				Choices []struct {
					Delta struct {
						Content string `json:"content"`
					} `json:"delta"`
				} `json:"choices"`
				Usage *tokenUsage `json:"usage"`
			}
			if json.Unmarshal([]byte(line), &ch) != nil {
				continue
			}
			model = ch.Model
			for _, c := range ch.Choices {
				text += c.Delta.Content
			}
			if ch.Usage != nil {
				u = ch.Usage
			}
		}
		b.span.SetOutput(text)
	} else {
		var out struct {
			Model string      `json:"model"`
			Usage *tokenUsage `json:"usage"`
		}
		_ = json.Unmarshal(b.buf.Bytes(), &out)
		model, u = out.Model, out.Usage
		b.span.SetOutput(b.buf.String(), semconv.MimeTypeJSON)
	}
	attrs := []attribute.KeyValue{}
	if model != "" {
		attrs = append(attrs, semconv.GenAIResponseModel.String(model))
	}
	if u != nil {
		attrs = append(attrs,
			semconv.GenAIUsageInputTokens.Int64(u.PromptTokens),
			semconv.GenAIUsageOutputTokens.Int64(u.CompletionTokens),
			semconv.GenAIUsageTotalTokens.Int64(u.TotalTokens))
	}
	b.span.SetAttributes(attrs...)
}
