package figenai

import (
	"encoding/json"
	"sort"
	"strings"

	"github.com/tidwall/gjson"

	"go.opentelemetry.io/otel/attribute"

	"github.com/traceai-go/traceai/fi/semconv"
	"github.com/traceai-go/traceai/internal/llmparse"
)

// Gemini REST methods this package traces; the method is the part of the
// URL path after the last ':'.
const (
	methodGenerate      = "generateContent"
	methodStream        = "streamGenerateContent"
	methodEmbed         = "embedContent"
	methodBatchEmbed    = "batchEmbedContents"
	spanGenerate        = "GenerateContent"
	spanGenerateStream  = "GenerateContentStream"
	spanEmbed           = "EmbedContent"
	spanBatchEmbed      = "BatchEmbedContents"
	operationChat       = "chat"
	operationEmbeddings = "embeddings"
)

// route splits a Gemini API path such as
// /v1beta/models/gemini-2.5-flash:streamGenerateContent into the model and
// the method. ok is false for paths this package does not trace.
func route(path string) (model, method string, ok bool) {
	i := strings.LastIndexByte(path, ':')
	if i < 0 {
		return "", "", false
	}
	method = path[i+1:]
	switch method {
	case methodGenerate, methodStream, methodEmbed, methodBatchEmbed:
	default:
		return "", "", false
	}
	model = path[:i]
	if j := strings.LastIndexByte(model, '/'); j >= 0 {
		model = model[j+1:]
	}
	return model, method, true
}

type content struct {
	Role  string `json:"role"`
	Parts []part `json:"parts"`
}

type part struct {
	Text             string        `json:"text"`
	Thought          bool          `json:"thought"`
	InlineData       *blob         `json:"inlineData"`
	FileData         *fileData     `json:"fileData"`
	FunctionCall     *functionCall `json:"functionCall"`
	FunctionResponse *struct {
		ID       string          `json:"id"`
		Name     string          `json:"name"`
		Response json.RawMessage `json:"response"`
	} `json:"functionResponse"`
}

type blob struct {
	MimeType string `json:"mimeType"`
	Data     string `json:"data"`
}

type fileData struct {
	MimeType string `json:"mimeType"`
	FileURI  string `json:"fileUri"`
}

type functionCall struct {
	ID   string          `json:"id"`
	Name string          `json:"name"`
	Args json.RawMessage `json:"args"`
}

// parseGenerate returns the attributes of a generateContent or
// streamGenerateContent request body, read with gjson.
func parseGenerate(model string, body []byte) llmparse.Attrs {
	var attrs llmparse.Attrs
	attrs.Add(semconv.GenAIProviderName.String(string(semconv.ProviderGoogle)),
		semconv.GenAIOperationName.String(operationChat))
	attrs.Str(semconv.GenAIRequestModel, model)
	if !gjson.ValidBytes(body) {
		return attrs
	}
	root := gjson.ParseBytes(body)
	if !root.IsObject() {
		return attrs
	}
	var contents, system gjson.Result
	var tools []json.RawMessage
	root.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "contents":
			contents = v
		case "systemInstruction":
			system = v
		case "tools":
			v.ForEach(func(_, t gjson.Result) bool {
				tools = append(tools, json.RawMessage(t.Raw))
				return true
			})
		}
		return true
	})
	attrs.Str(semconv.InputValue, llmparse.Format(body))
	attrs.Str(semconv.InputMimeType, string(semconv.MimeTypeJSON))
	// The reference records the request's config, without the tools and
	// the contents, as the invocation parameters.
	if params, ok := llmparse.Select(body, func(k string) bool { return k != "contents" && k != "tools" }); ok && params != "{}" {
		attrs.Str(semconv.GenAIRequestParameters, params)
	}
	toolDefinitions(&attrs, tools)
	i := 0
	if system.IsObject() {
		// As the reference does, the system instruction is input message 0.
		var text []string
		system.Get("parts").ForEach(func(_, p gjson.Result) bool {
			if t := p.Get("text").String(); t != "" && !p.Get("thought").Bool() {
				text = append(text, t)
			}
			return true
		})
		attrs.Str(semconv.InputMessageKey(i, semconv.MessageContent), strings.Join(text, "\n"))
		attrs.Str(semconv.InputMessageKey(i, semconv.MessageRole), "system")
		i++
	}
	contents.ForEach(func(_, c gjson.Result) bool {
		inputMessage(&attrs, i, c)
		i++
		return true
	})
	return attrs
}

func toolDefinitions(attrs *llmparse.Attrs, tools []json.RawMessage) {
	n := 0
	for _, t := range tools {
		var tool struct {
			FunctionDeclarations []json.RawMessage `json:"functionDeclarations"`
		}
		if json.Unmarshal(t, &tool) != nil {
			continue
		}
		if len(tool.FunctionDeclarations) == 0 {
			attrs.Str(semconv.ToolDefinitionKey(n), llmparse.Format(t))
			n++
			continue
		}
		for _, d := range tool.FunctionDeclarations {
			// The reference keeps name, description and parameters, in that order.
			fields, _ := llmparse.Fields(d)
			var kept []llmparse.Field
			for _, name := range []string{"name", "description", "parameters", "parametersJsonSchema"} {
				for _, f := range fields {
					if f.Key == name {
						kept = append(kept, f)
					}
				}
			}
			attrs.Str(semconv.ToolDefinitionKey(n), llmparse.Format(llmparse.Object(kept)))
			n++
		}
	}
}

func inputMessage(attrs *llmparse.Attrs, i int, c gjson.Result) {
	key := func(sub attribute.Key) attribute.Key { return semconv.InputMessageKey(i, sub) }
	role := c.Get("role").String()
	if role == "" {
		role = "user"
	}
	attrs.Str(key(semconv.MessageRole), role)
	j, k := 0, 0
	c.Get("parts").ForEach(func(_, p gjson.Result) bool {
		ck := func(sub attribute.Key) attribute.Key { return key(semconv.MessageContentKey(j, sub)) }
		var text, inline, file, call, resp gjson.Result
		p.ForEach(func(k, v gjson.Result) bool {
			switch k.Str {
			case "text":
				text = v
			case "inlineData":
				inline = v
			case "fileData":
				file = v
			case "functionCall":
				call = v
			case "functionResponse":
				resp = v
			}
			return true
		})
		switch {
		case text.String() != "":
			attrs.Str(ck(semconv.MessageContentType), "text")
			attrs.Str(ck(semconv.MessageContentText), text.String())
			j++
		case inline.IsObject():
			mime := inline.Get("mimeType").String()
			if typ, sub := mediaKind(mime); typ != "" {
				v := inline.Get("data").String()
				if typ == "image" {
					v = "data:" + mime + ";base64," + v
				}
				attrs.Str(ck(semconv.MessageContentType), typ)
				attrs.Str(ck(sub), v)
				j++
			}
		case file.IsObject():
			if typ, sub := mediaKind(file.Get("mimeType").String()); typ != "" {
				attrs.Str(ck(semconv.MessageContentType), typ)
				attrs.Str(ck(sub), file.Get("fileUri").String())
				j++
			}
		case call.IsObject():
			toolCall(attrs, key, k, &functionCall{ID: call.Get("id").String(), Name: call.Get("name").String(), Args: json.RawMessage(call.Get("args").Raw)})
			k++
		case resp.IsObject():
			if r := resp.Get("response"); r.Exists() && r.Type != gjson.Null {
				attrs.Str(key(semconv.MessageContent), llmparse.Format([]byte(r.Raw)))
			}
			attrs.Str(key(semconv.MessageToolCallID), resp.Get("id").String())
		}
		return true
	})
}

func mediaKind(mime string) (string, attribute.Key) {
	switch {
	case strings.HasPrefix(mime, "image/"):
		return "image", semconv.MessageContentImage
	case strings.HasPrefix(mime, "audio/"):
		return "audio", semconv.MessageContentAudio
	case strings.HasPrefix(mime, "video/"):
		return "video", semconv.MessageContentVideo
	}
	return "", ""
}

func toolCall(attrs *llmparse.Attrs, key func(attribute.Key) attribute.Key, k int, fc *functionCall) {
	attrs.Str(key(semconv.MessageToolCallKey(k, semconv.ToolCallFunctionName)), fc.Name)
	if llmparse.IsJSON(fc.Args) {
		attrs.Str(key(semconv.MessageToolCallKey(k, semconv.ToolCallFunctionArgumentsJSON)), llmparse.Format(fc.Args))
	}
	attrs.Str(key(semconv.MessageToolCallKey(k, semconv.ToolCallID)), fc.ID)
}

// partsText joins the text of parts, skipping thoughts unless thoughts is set.
func partsText(parts []part, thoughts bool) string {
	var s []string
	for _, p := range parts {
		if p.Text != "" && p.Thought == thoughts {
			s = append(s, p.Text)
		}
	}
	return strings.Join(s, "\n")
}

type generateResponse struct {
	Candidates []struct {
		Content      content `json:"content"`
		FinishReason string  `json:"finishReason"`
		Index        *int    `json:"index"`
	} `json:"candidates"`
	UsageMetadata *usageMetadata `json:"usageMetadata"`
	ModelVersion  string         `json:"modelVersion"`
	ResponseID    string         `json:"responseId"`
}

type usageMetadata struct {
	PromptTokenCount        int64           `json:"promptTokenCount"`
	CandidatesTokenCount    int64           `json:"candidatesTokenCount"`
	TotalTokenCount         int64           `json:"totalTokenCount"`
	CachedContentTokenCount int64           `json:"cachedContentTokenCount"`
	ThoughtsTokenCount      int64           `json:"thoughtsTokenCount"`
	PromptTokensDetails     []modalityCount `json:"promptTokensDetails"`
	CandidatesTokensDetails []modalityCount `json:"candidatesTokensDetails"`
}

type modalityCount struct {
	Modality   string `json:"modality"`
	TokenCount int64  `json:"tokenCount"`
}

// candidate is one output message as it accumulates over stream chunks.
type candidate struct {
	role     string
	text     []string
	thoughts []string
	calls    []*functionCall
	finish   string
}

// generation accumulates generateContent responses: one for a plain call,
// one per chunk for a stream.
type generation struct {
	model, id  string
	usage      *usageMetadata
	candidates map[int]*candidate
	stream     bool
}

func (g *generation) add(data []byte) bool {
	var r generateResponse
	if json.Unmarshal(data, &r) != nil {
		return false
	}
	if r.ModelVersion != "" {
		g.model = r.ModelVersion
	}
	if r.ResponseID != "" {
		g.id = r.ResponseID
	}
	if r.UsageMetadata != nil {
		g.usage = r.UsageMetadata
	}
	for n, rc := range r.Candidates {
		idx := n
		if rc.Index != nil {
			idx = *rc.Index
		}
		if g.candidates == nil {
			g.candidates = map[int]*candidate{}
		}
		c := g.candidates[idx]
		if c == nil {
			c = &candidate{}
			g.candidates[idx] = c
		}
		if rc.Content.Role != "" {
			c.role = rc.Content.Role
		}
		if rc.FinishReason != "" {
			c.finish = rc.FinishReason
		}
		for _, p := range rc.Content.Parts {
			switch {
			case p.Text != "" && p.Thought:
				c.thoughts = append(c.thoughts, p.Text)
			case p.Text != "":
				c.text = append(c.text, p.Text)
			case p.FunctionCall != nil:
				c.calls = append(c.calls, p.FunctionCall)
			}
		}
	}
	return true
}

func (g *generation) attrs() llmparse.Attrs {
	var attrs llmparse.Attrs
	// As the reference does, the served model version replaces the request model.
	attrs.Str(semconv.GenAIRequestModel, g.model)
	attrs.Str(semconv.GenAIResponseModel, g.model)
	attrs.Str(semconv.GenAIResponseID, g.id)
	if u := g.usage; u != nil {
		attrs.PosInt(semconv.GenAIUsageTotalTokens, u.TotalTokenCount)
		attrs.PosInt(semconv.GenAIUsageInputTokensAudio, audio(u.PromptTokensDetails))
		attrs.PosInt(semconv.GenAIUsageInputTokens, u.PromptTokenCount)
		attrs.PosInt(semconv.GenAIUsageOutputTokensAudio, audio(u.CandidatesTokensDetails))
		attrs.PosInt(semconv.GenAIUsageOutputTokensReasoning, u.ThoughtsTokenCount)
		attrs.PosInt(semconv.GenAIUsageOutputTokens, u.CandidatesTokenCount+u.ThoughtsTokenCount)
		attrs.PosInt(semconv.GenAIUsageInputTokensCacheRead, u.CachedContentTokenCount)
	}
	idx := make([]int, 0, len(g.candidates))
	for i := range g.candidates {
		idx = append(idx, i)
	}
	sort.Ints(idx)
	var finish []string
	var first string
	for _, i := range idx {
		c := g.candidates[i]
		key := func(sub attribute.Key) attribute.Key { return semconv.OutputMessageKey(i, sub) }
		sep := "\n"
		if g.stream {
			sep = "" // chunks split one text anywhere
		}
		text := strings.Join(c.text, sep)
		for j, th := range c.thoughtsJoined(sep) {
			attrs.Str(key(semconv.MessageContentKey(j, semconv.MessageContentType)), "thinking")
			attrs.Str(key(semconv.MessageContentKey(j, semconv.MessageContentText)), th)
		}
		for k, fc := range c.calls {
			toolCall(&attrs, key, k, fc)
		}
		// The reference always records the content, even empty.
		attrs.Add(key(semconv.MessageContent).String(text))
		attrs.Str(key(semconv.MessageRole), c.role)
		if c.finish != "" {
			finish = append(finish, c.finish)
		}
		if first == "" {
			first = text
		}
	}
	if len(finish) > 0 {
		attrs.Add(semconv.GenAIResponseFinishReasons.StringSlice(finish))
	}
	if first != "" {
		attrs.Str(semconv.OutputValue, first)
		attrs.Str(semconv.OutputMimeType, string(semconv.MimeTypeText))
	}
	return attrs
}

func (c *candidate) thoughtsJoined(sep string) []string {
	if len(c.thoughts) == 0 {
		return nil
	}
	return []string{strings.Join(c.thoughts, sep)}
}

func audio(details []modalityCount) int64 {
	var n int64
	for _, d := range details {
		if d.Modality == "AUDIO" {
			n += d.TokenCount
		}
	}
	return n
}

type embedRequest struct {
	Content  *content `json:"content"`
	Requests []struct {
		Content *content `json:"content"`
	} `json:"requests"`
}

// parseEmbed returns the attributes of an embedContent or
// batchEmbedContents request body.
func parseEmbed(model string, body []byte) llmparse.Attrs {
	var attrs llmparse.Attrs
	attrs.Add(semconv.GenAIProviderName.String(string(semconv.ProviderGoogle)),
		semconv.GenAIOperationName.String(operationEmbeddings))
	attrs.Str(semconv.EmbeddingModelName, model)
	var r embedRequest
	if json.Unmarshal(body, &r) != nil {
		return attrs
	}
	var texts []string
	if r.Content != nil {
		texts = append(texts, partsText(r.Content.Parts, false))
		if params, ok := llmparse.Select(body, func(k string) bool { return k != "content" }); ok && params != "{}" {
			attrs.Str(semconv.GenAIRequestParameters, params)
		}
	}
	for _, q := range r.Requests {
		if q.Content != nil {
			texts = append(texts, partsText(q.Content.Parts, false))
		}
	}
	if len(r.Requests) > 0 {
		var first struct {
			Requests []json.RawMessage `json:"requests"`
		}
		if json.Unmarshal(body, &first) == nil && len(first.Requests) > 0 {
			if params, ok := llmparse.Select(first.Requests[0], func(k string) bool { return k != "content" && k != "model" }); ok && params != "{}" {
				attrs.Str(semconv.GenAIRequestParameters, params)
			}
		}
	}
	for i, t := range texts {
		attrs.Str(semconv.EmbeddingKey(i, semconv.EmbeddingText), t)
	}
	switch {
	case r.Content != nil && len(texts) == 1:
		attrs.Str(semconv.InputValue, texts[0])
		attrs.Str(semconv.InputMimeType, string(semconv.MimeTypeText))
	case len(texts) > 0:
		attrs.Str(semconv.InputValue, llmparse.Marshal(texts))
		attrs.Str(semconv.InputMimeType, string(semconv.MimeTypeJSON))
	}
	return attrs
}

type embedResponse struct {
	Embedding *struct {
		Values []float64 `json:"values"`
	} `json:"embedding"`
	Embeddings []struct {
		Values []float64 `json:"values"`
	} `json:"embeddings"`
}

// parseEmbedResponse returns the vectors of an embedContent or
// batchEmbedContents response.
func parseEmbedResponse(body []byte) llmparse.Attrs {
	var r embedResponse
	if json.Unmarshal(body, &r) != nil {
		return nil
	}
	var attrs llmparse.Attrs
	if r.Embedding != nil {
		attrs.Add(semconv.EmbeddingKey(0, semconv.EmbeddingVector).Float64Slice(r.Embedding.Values))
	}
	for i, e := range r.Embeddings {
		attrs.Add(semconv.EmbeddingKey(i, semconv.EmbeddingVector).Float64Slice(e.Values))
	}
	return attrs
}

// parseError returns the status and message of a Google API error body.
func parseError(body []byte) (status, msg string) {
	var e struct {
		Error struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
			Status  string `json:"status"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &e) != nil {
		return "", ""
	}
	return e.Error.Status, e.Error.Message
}
