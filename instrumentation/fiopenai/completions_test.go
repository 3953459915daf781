package fiopenai_test

import (
	"testing"

	"github.com/openai/openai-go/v3"
	goopenai "github.com/sashabaranov/go-openai"
	"go.opentelemetry.io/otel/codes"
)

func completionParams() openai.CompletionNewParams {
	return openai.CompletionNewParams{
		Model:       openai.CompletionNewParamsModelGPT3_5TurboInstruct,
		Prompt:      openai.CompletionNewParamsPromptUnion{OfString: openai.String("Say this is a test")},
		MaxTokens:   openai.Int(7),
		Temperature: openai.Float(0),
	}
}

func TestCompletionOpenAIGo(t *testing.T) {
	s := newChatReplay(t, chatReply{status: 200, fixture: "completion_response.json"})
	tp, sr := chatRecorder()
	c := chatOAClient(s, tp)
	res, err := c.Completions.New(chatCtx(), completionParams())
	if err != nil {
		t.Fatal(err)
	}
	if res.Choices[0].Text != "\n\nThis is indeed a test." {
		t.Fatalf("client read %q", res.Choices[0].Text)
	}
	sp := chatOneSpan(t, sr)
	if sp.Name() != "Completion" || sp.Status().Code == codes.Error {
		t.Errorf("span %q status %v", sp.Name(), sp.Status())
	}
	chatWant(t, sp, map[string]string{
		"gen_ai.span.kind":               "LLM",
		"gen_ai.provider.name":           "openai",
		"gen_ai.operation.name":          "text_completion",
		"session.id":                     "sess-1",
		"user.id":                        "user-1",
		"gen_ai.request.model":           "gpt-3.5-turbo-instruct:20230824-v2",
		"gen_ai.response.model":          "gpt-3.5-turbo-instruct:20230824-v2",
		"gen_ai.response.id":             "cmpl-B4x7Y1nq9vQ2kTzR8mW3",
		"gen_ai.response.finish_reasons": `["stop"]`,
		"gen_ai.request.parameters":      `{"model": "gpt-3.5-turbo-instruct", "max_tokens": 7, "temperature": 0}`,
		"gen_ai.prompts":                 `["Say this is a test"]`,
		"input.value":                    `"Say this is a test"`,
		"input.mime_type":                "application/json",
		"output.value":                   "\n\nThis is indeed a test.",
		"output.mime_type":               "text/plain",
		"gen_ai.usage.input_tokens":      "5",
		"gen_ai.usage.output_tokens":     "7",
		"gen_ai.usage.total_tokens":      "12",
	})
}

func TestCompletionOpenAIGoStream(t *testing.T) {
	s := newChatReplay(t, chatReply{status: 200, fixture: "completion_stream.sse"})
	tp, sr := chatRecorder()
	p := completionParams()
	p.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
	c := chatOAClient(s, tp)
	stream := c.Completions.NewStreaming(chatCtx(), p)
	text := ""
	for stream.Next() {
		for _, c := range stream.Current().Choices {
			text += c.Text
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	stream.Close()
	if text != "\n\nThis is indeed a test." {
		t.Fatalf("client read %q", text)
	}
	sp := chatOneSpan(t, sr)
	chatWant(t, sp, map[string]string{
		"gen_ai.span.kind":               "LLM",
		"gen_ai.request.model":           "gpt-3.5-turbo-instruct:20230824-v2",
		"gen_ai.response.id":             "cmpl-B4x8",
		"gen_ai.response.finish_reasons": `["stop"]`,
		"output.value":                   "\n\nThis is indeed a test.",
		"gen_ai.usage.total_tokens":      "12",
		"session.id":                     "sess-1",
		"user.id":                        "user-1",
	})
	if len(sp.Events()) == 0 || sp.Events()[0].Name != "First Token Stream Event" {
		t.Errorf("events %v", sp.Events())
	}
}

func TestCompletionGoOpenAIPromptList(t *testing.T) {
	s := newChatReplay(t, chatReply{status: 200, fixture: "completion_response.json"})
	tp, sr := chatRecorder()
	_, err := chatGoClient(s, tp).CreateCompletion(chatCtx(), goopenai.CompletionRequest{
		Model:     goopenai.GPT3Dot5TurboInstruct,
		Prompt:    []string{"Say this is a test", "Say that"},
		MaxTokens: 7,
	})
	if err != nil {
		t.Fatal(err)
	}
	sp := chatOneSpan(t, sr)
	chatWant(t, sp, map[string]string{
		"gen_ai.prompts":            `["Say this is a test","Say that"]`,
		"gen_ai.request.parameters": `{"model": "gpt-3.5-turbo-instruct", "max_tokens": 7, "stream": false}`,
		"output.value":              "\n\nThis is indeed a test.",
		"session.id":                "sess-1",
	})
}

func TestCompletionHTTPError(t *testing.T) {
	s := newChatReplay(t, chatReply{status: 429, fixture: "chat_error_429.json"})
	tp, sr := chatRecorder()
	c := chatOAClient(s, tp)
	if _, err := c.Completions.New(chatCtx(), completionParams()); err == nil {
		t.Fatal("no error")
	}
	sp := chatOneSpan(t, sr)
	if sp.Status().Code != codes.Error {
		t.Errorf("status %v", sp.Status())
	}
	chatWant(t, sp, map[string]string{"gen_ai.prompts": `["Say this is a test"]`, "output.value": ""})
}
