package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/shared"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/traceai-go/traceai"
	"github.com/traceai-go/traceai/fi"
	"github.com/traceai-go/traceai/fi/semconv"
	"github.com/traceai-go/traceai/instrumentation/fiopenai"
	"github.com/traceai-go/traceai/internal/llmparse"
	"github.com/traceai-go/traceai/internal/standin"
)

// model says which OpenAI-compatible endpoint the chatbot talks to.
type model struct {
	name, embedding, apiKey, baseURL string
}

type simStats struct {
	sessions, turns, failedTurns, evaluations int
}

// Session ids of the two sessions every run contains.
const (
	brokenSessionID = "session-001-broken"
	goodSessionID   = "session-002-smooth"
)

var demoUsers = []string{"alice", "bob", "chen", "dana", "emeka", "farah", "gus", "hana", "ivan", "jun", "kofi", "lena"}

func userName(i int) string {
	if i < len(demoUsers) {
		return demoUsers[i]
	}
	return fmt.Sprintf("user-%d", i+1)
}

// script is one simulated conversation.
type script struct {
	id, user, plan string
	turns          []string
	// model overrides the chat model ("" for the demo's own); prompt is
	// the answer template's version the session ran with.
	model  string
	prompt fi.PromptTemplate
}

// The demo's second model and its two prompt versions. Version 2 and the
// smaller model answer worse (lower helpfulness), so the dashboard shows
// a difference between them on the first run.
const (
	altModel       = "gpt-4.1-nano"
	promptTemplate = "support-answer"
)

var questions = []string{
	"How do refunds work?",
	"Can I change my delivery address?",
	"How long does shipping take?",
	"I forgot my password, what do I do?",
	"What is your return policy?",
	"How do I cancel my subscription?",
	"Where is my order %d?",
	"Has my order %d shipped yet?",
	"Please check order %d, I need it asap",
	"Can you explain that again?",
}

// scripts returns the conversations of a run: a broken one, a smooth one,
// and seeded random ones.
func scripts(c demoConfig) []script {
	r := rand.New(rand.NewPCG(c.seed, 0x7ace))
	out := []script{
		{id: brokenSessionID, user: userName(0), plan: "pro", turns: []string{
			"My order 4417 never arrived",
			"The tracking page is still not working",
			"I told you, the tracking page is still not working",
			"Can you check again? It is still not working",
			"Hello?? It is still not working",
			"This is still not working, explain again",
			"I want a human, this is still not working",
		}},
		{id: goodSessionID, user: userName(1 % c.users), plan: "free", turns: []string{
			"Where is my order 1042?",
			"Great, how long does shipping take?",
			"Thanks! What is your return policy?",
		}},
	}
	for i := range out {
		out[i].id = c.idPrefix + out[i].id
		out[i].prompt = fi.PromptTemplate{Template: promptTemplate, Version: "1"}
	}
	plans := []string{"free", "pro", "enterprise"}
	for i := 2; i < c.sessions; i++ {
		n := 3 + r.IntN(10)
		s := script{id: fmt.Sprintf("%ssession-%03d", c.idPrefix, i+1), user: userName(r.IntN(c.users)), plan: plans[r.IntN(len(plans))],
			prompt: fi.PromptTemplate{Template: promptTemplate, Version: strconv.Itoa(1 + i%2)}}
		if i%3 == 0 {
			s.model = altModel
		}
		for range n {
			q := questions[r.IntN(len(questions))]
			if strings.Contains(q, "%d") {
				q = fmt.Sprintf(q, 1000+r.IntN(9000))
			}
			s.turns = append(s.turns, q)
		}
		out = append(out, s)
	}
	return out
}

// chatbot is the support assistant, written as an application using
// traceai-go would write it.
type chatbot struct {
	client openai.Client
	tracer *fi.Tracer
	model  model
	tools  *mcp.ClientSession // the order service, over MCP
}

const systemPrompt = "You are the support assistant of an online shop. Answer briefly. Use lookup_order for questions about an order."

var lookupOrderTool = fi.ToolInfo{
	Name:        standin.ToolLookupOrder,
	Description: "Look up the status of an order by its id.",
	Parameters: map[string]any{
		"type":       "object",
		"properties": map[string]any{"order_id": map[string]any{"type": "string"}},
		"required":   []string{"order_id"},
	},
}

var knowledgeBase = []struct{ id, text string }{
	{"kb-refunds", "Refunds go back to the original payment method within five business days."},
	{"kb-shipping", "Standard shipping takes three to five days; express arrives the next day."},
	{"kb-returns", "Items can be returned within 30 days in their original packaging."},
	{"kb-address", "The delivery address can be changed until the parcel ships."},
	{"kb-password", "Passwords are reset from the sign-in page with the Forgot password link."},
	{"kb-subscription", "Subscriptions renew monthly and can be cancelled in Account settings."},
}

// retrieve embeds the question and returns the two closest articles, inside
// a RETRIEVER span listing the documents.
func (b *chatbot) retrieve(ctx context.Context, question string) ([]string, error) {
	return fi.Run(ctx, b.tracer, semconv.SpanKindRetriever, "retrieve_articles", question, func(ctx context.Context, span *fi.Span) ([]string, error) {
		emb, err := b.client.Embeddings.New(ctx, openai.EmbeddingNewParams{
			Model: openai.EmbeddingModel(b.model.embedding),
			Input: openai.EmbeddingNewParamsInputUnion{OfString: openai.String(question)},
		})
		if err != nil {
			return nil, err
		}
		// A real service would search a vector index; the demo ranks the
		// articles by a stable function of the query vector.
		var seed float64
		if len(emb.Data) > 0 {
			for _, v := range emb.Data[0].Embedding {
				seed += v
			}
		}
		first := int(uint64(math.Abs(seed)*1000) % uint64(len(knowledgeBase)))
		var docs []string
		for i := range 2 {
			d := knowledgeBase[(first+i*3)%len(knowledgeBase)]
			span.SetAttributes(
				semconv.RetrievalDocumentKey(i, semconv.DocumentID).String(d.id),
				semconv.RetrievalDocumentKey(i, semconv.DocumentContent).String(d.text),
				semconv.RetrievalDocumentKey(i, semconv.DocumentScore).Float64(0.9-0.1*float64(i)),
			)
			docs = append(docs, d.text)
		}
		span.SetOutput(strings.Join(docs, "\n"))
		return docs, nil
	})
}

func lookupOrder(orderID string) string {
	states := []string{"shipped on Monday and arrives tomorrow", "is being packed", "was delivered yesterday", "is waiting at the carrier"}
	h := 0
	for _, c := range orderID {
		h = h*31 + int(c)
	}
	if h < 0 {
		h = -h
	}
	return fmt.Sprintf("Order %s %s.", orderID, states[h%len(states)])
}

// turnResult is what one turn produced, for the evaluations.
type turnResult struct {
	answer   string
	usedTool bool
	span     trace.SpanContext
	elapsed  time.Duration
}

// turn answers one user message inside an AGENT span: retrieval, the
// prompt (a CHAIN span), a model call that may ask for the order tool, the
// tool, and a streamed answer.
func (b *chatbot) turn(ctx context.Context, history *[]openai.ChatCompletionMessageParamUnion, question, modelName string) (turnResult, error) {
	if modelName == "" {
		modelName = b.model.name
	}
	var res turnResult
	start := time.Now()
	answer, err := fi.Run(ctx, b.tracer, semconv.SpanKindAgent, "support_turn", question, func(ctx context.Context, span *fi.Span) (string, error) {
		res.span = span.SpanContext()
		docs, err := b.retrieve(ctx, question)
		if err != nil {
			return "", err
		}
		msgs, _ := fi.Run(ctx, b.tracer, semconv.SpanKindChain, "build_prompt", question, func(ctx context.Context, span *fi.Span) ([]openai.ChatCompletionMessageParamUnion, error) {
			articles := "Relevant articles:\n" + strings.Join(docs, "\n")
			span.SetOutput(articles)
			return append(append([]openai.ChatCompletionMessageParamUnion(nil), *history...), openai.SystemMessage(articles), openai.UserMessage(question)), nil
		})
		params := openai.ChatCompletionNewParams{
			Model:    openai.ChatModel(modelName),
			Messages: msgs,
			Tools: []openai.ChatCompletionToolUnionParam{openai.ChatCompletionFunctionTool(shared.FunctionDefinitionParam{
				Name:        lookupOrderTool.Name,
				Description: openai.String(lookupOrderTool.Description),
				Parameters:  lookupOrderTool.Parameters.(map[string]any),
			})},
		}
		resp, err := b.client.Chat.Completions.New(ctx, params)
		if err != nil {
			return "", providerError(err)
		}
		if len(resp.Choices) == 0 {
			return "", errors.New("model returned no choices")
		}
		msg := resp.Choices[0].Message
		if len(msg.ToolCalls) == 0 {
			*history = append(*history, openai.UserMessage(question), openai.AssistantMessage(msg.Content))
			return msg.Content, nil
		}
		res.usedTool = true
		params.Messages = append(params.Messages, msg.ToParam())
		for _, call := range msg.ToolCalls {
			out, failed, err := callTool(ctx, b.tools, call.Function.Name, call.Function.Arguments)
			if err != nil {
				out = "error: " + err.Error()
			}
			if failed || err != nil {
				// A broken tool marks the turn; the model still answers.
				span.SetStatus(codes.Error, call.Function.Name+": "+strings.TrimPrefix(out, "error: "))
			}
			params.Messages = append(params.Messages, openai.ToolMessage(out, call.ID))
		}
		// The final answer streams, as a chat UI would show it.
		params.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
		stream := b.client.Chat.Completions.NewStreaming(ctx, params)
		var text strings.Builder
		for stream.Next() {
			for _, ch := range stream.Current().Choices {
				text.WriteString(ch.Delta.Content)
			}
		}
		if err := stream.Err(); err != nil {
			return "", providerError(err)
		}
		_ = stream.Close()
		*history = append(*history, openai.UserMessage(question), openai.AssistantMessage(text.String()))
		return text.String(), nil
	})
	res.answer, res.elapsed = answer, time.Since(start)
	return res, err
}

// helpfulness is the demo's judge: a heuristic standing in for an LLM judge.
func helpfulness(question, prev string, res turnResult, err error) (float64, string, string) {
	switch {
	case err != nil:
		return 0, "unhelpful", "the assistant failed to answer: " + fi.ErrorDescription(err)
	case prev != "" && similar(prev, question):
		return 0.2, "unhelpful", "the user had to repeat the question"
	case res.usedTool:
		return 0.95, "helpful", "answered from the order system"
	case res.elapsed > 2*time.Second:
		return 0.5, "partly", "correct but slow"
	}
	return 0.6 + float64(len(res.answer)%30)/100, "helpful", "answered from the knowledge base"
}

// variantQuality lowers the judge's score of answers made with prompt
// version 2 or the smaller model: the demo's stand-in for a prompt change
// and a model that answer worse.
func variantQuality(s script, score float64, label, why string, err error) (float64, string, string) {
	// Only answers that helped lose worth, and never below 0.35: an
	// unhelpful answer stays what it was, so the broken session remains
	// the worst of the demo.
	if err != nil || score < 0.5 {
		return score, label, why
	}
	switch {
	case s.model == altModel:
		score, label, why = 0.35, "partly", why+"; "+altModel+" answered vaguely"
	case s.prompt.Version == "2":
		score, why = 0.45, why+"; prompt v2 left out the article's details"
	}
	if score < 0.5 {
		label = "partly"
	}
	return score, label, why
}

// similar reports whether two user messages share most of their words.
func similar(a, b string) bool {
	wa := strings.Fields(strings.ToLower(a))
	set := map[string]bool{}
	for _, w := range wa {
		set[w] = true
	}
	common := 0
	for _, w := range strings.Fields(strings.ToLower(b)) {
		if set[w] {
			common++
		}
	}
	return common >= 3
}

// simulate runs every conversation, four at a time, and records the
// evaluations.
func simulate(ctx context.Context, c demoConfig, endpoint string, m model) (simStats, error) {
	tp, err := traceai.Register(ctx,
		traceai.WithProjectName("traceai-demo"),
		traceai.WithEndpoint(endpoint),
		traceai.WithTransport(traceai.TransportHTTP),
		traceai.WithOutput(c.out),
	)
	if err != nil {
		return simStats{}, err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = tp.Shutdown(sctx)
	}()
	opts := []option.RequestOption{
		option.WithAPIKey(m.apiKey),
		option.WithMiddleware(fiopenai.Middleware(fiopenai.WithTracerProvider(tp))),
		option.WithMaxRetries(2),
		option.WithRequestTimeout(60 * time.Second),
	}
	if m.baseURL != "" {
		opts = append(opts, option.WithBaseURL(m.baseURL))
	}
	tools, closeTools, err := connectOrderTools(ctx, tp)
	if err != nil {
		return simStats{}, err
	}
	defer closeTools()
	bot := &chatbot{client: openai.NewClient(opts...), tracer: fi.NewTracer(fi.WithTracerProvider(tp)), model: m, tools: tools}

	all := scripts(c)
	var (
		stats              simStats
		mu                 sync.Mutex
		done               atomic.Int32
		wg                 sync.WaitGroup
		sem                = make(chan struct{}, 4)
		totalTurns, failed atomic.Int32
	)
	for _, s := range all {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			turns, fails, evals := runSession(ctx, bot, tp, s)
			totalTurns.Add(int32(turns))
			failed.Add(int32(fails))
			mu.Lock()
			stats.evaluations += evals
			n := done.Add(1)
			fmt.Fprintf(c.out, "  [%2d/%d] %-20s %-7s %2d turns %s\n", n, len(all), s.id, s.user, turns, failNote(fails))
			mu.Unlock()
		}()
		if ctx.Err() != nil {
			break
		}
	}
	wg.Wait()
	if err := tp.ForceFlush(ctx); err != nil {
		return stats, fmt.Errorf("demo: flushing spans: %w", err)
	}
	stats.sessions, stats.turns, stats.failedTurns = len(all), int(totalTurns.Load()), int(failed.Load())
	return stats, ctx.Err()
}

func failNote(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("(%d failed)", n)
}

// runSession plays one conversation and returns its turn and failure
// counts and the number of evaluations recorded.
func runSession(ctx context.Context, bot *chatbot, tp *sdktrace.TracerProvider, s script) (turns, fails, evals int) {
	ctx = fi.UsingAttributes(ctx, fi.Attributes{
		PromptTemplate: &s.prompt,
		SessionID:      s.id,
		UserID:         s.user,
		Tags:           []string{"support-bot", "demo"},
		Metadata:       map[string]any{"plan": s.plan, "channel": "web"},
	})
	var history []openai.ChatCompletionMessageParamUnion
	history = append(history, openai.SystemMessage(systemPrompt))
	prev := ""
	var last trace.SpanContext
	for _, q := range s.turns {
		if ctx.Err() != nil {
			break
		}
		res, err := bot.turn(ctx, &history, q, s.model)
		turns++
		if err != nil {
			fails++
		}
		score, label, why := helpfulness(q, prev, res, err)
		score, label, why = variantQuality(s, score, label, why, err)
		ev := fi.Evaluation{Name: "helpfulness", Score: fi.Score(score), Label: label, Explanation: why, Target: res.span}
		// A child of the evaluated span, so that it shows in the turn's trace.
		if fi.RecordEvaluation(trace.ContextWithSpanContext(ctx, res.span), ev, fi.WithTracerProvider(tp)) == nil {
			evals++
		}
		prev, last = q, res.span
	}
	label, score := "resolved", 1.0
	switch {
	case fails > 1:
		label, score = "escalated", 0
	case fails == 1:
		label, score = "unresolved", 0.5
	}
	resolution := fi.Evaluation{Name: "resolution", Score: fi.Score(score), Label: label, Target: last}
	if fi.RecordEvaluation(trace.ContextWithSpanContext(ctx, last), resolution, fi.WithTracerProvider(tp)) == nil {
		evals++
	}
	return turns, fails, evals
}

// namedError gives an error the name the Python SDK gives its exception,
// so that the demo's own spans (the AGENT span of a turn) record
// "openai.RateLimitError" rather than openai-go's internal Go type.
type namedError struct {
	error
	name string
}

func (e *namedError) ErrorType() string { return e.name }
func (e *namedError) Unwrap() error     { return e.error }

// providerError names an openai-go API error after its HTTP status;
// other errors are returned as they are.
func providerError(err error) error {
	var apiErr *openai.Error
	if errors.As(err, &apiErr) {
		return &namedError{error: err, name: "openai." + llmparse.StatusErrorName(apiErr.StatusCode)}
	}
	return err
}
