package store

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/traceai-go/traceai/explorer/store/internal/record"
	"github.com/traceai-go/traceai/fi/semconv"
	"go.opentelemetry.io/otel/attribute"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
)

// maxText bounds the turn input/output texts kept in the aggregate tables; the
// full values stay in the span data.
const maxText = 4000

// spanRow is what ingest extracts from one span into indexed columns.
type spanRow struct {
	traceID, spanID, parentID string
	name                      string
	kind                      int32
	spanKind                  string
	startNS, endNS            int64
	statusCode                int32
	statusMessage             string
	sessionID, userID         string
	model                     string
	promptTemplate, promptVer string // gen_ai.prompt.template.name and .version
	inputTokens, outputTokens int64
	totalTokens               int64
	cost                      float64
	priced                    bool
	retry                     int64
	inText, outText           string
	inMsgs, outMsgs           []Message // as the trace page shows them
	text                      *spanText // searchable message text (search_index.go)
	refused, empty            bool
	scope                     string
	tags                      []string
	metadata                  map[string]metaValue
	metadataJSON              string // parsed into metadata by prepare
	eval                      *evalRow
}

type evalRow struct {
	name, label, explanation, target string
	score                            *float64
	// linked is the trace of the evaluation's link to the target span,
	// if it has one: where the target is looked for besides the
	// evaluation's own trace.
	linked string
}

// attrString renders an attribute value as text: strings as is, other
// scalars formatted, arrays as JSON.
func attrString(v *commonpb.AnyValue) string {
	switch x := v.GetValue().(type) {
	case *commonpb.AnyValue_StringValue:
		return x.StringValue
	case *commonpb.AnyValue_IntValue:
		return strconv.FormatInt(x.IntValue, 10)
	case *commonpb.AnyValue_DoubleValue:
		return strconv.FormatFloat(x.DoubleValue, 'g', -1, 64)
	case *commonpb.AnyValue_BoolValue:
		return strconv.FormatBool(x.BoolValue)
	case nil:
		return ""
	default:
		b, _ := json.Marshal(anyValue(v))
		return string(b)
	}
}

func attrInt(v *commonpb.AnyValue) int64 {
	switch x := v.GetValue().(type) {
	case *commonpb.AnyValue_IntValue:
		return x.IntValue
	case *commonpb.AnyValue_DoubleValue:
		return int64(x.DoubleValue)
	case *commonpb.AnyValue_StringValue:
		n, _ := strconv.ParseInt(strings.TrimSpace(x.StringValue), 10, 64)
		return n
	}
	return 0
}

func attrFloat(v *commonpb.AnyValue) (float64, bool) {
	switch x := v.GetValue().(type) {
	case *commonpb.AnyValue_IntValue:
		return float64(x.IntValue), true
	case *commonpb.AnyValue_DoubleValue:
		if math.IsNaN(x.DoubleValue) || math.IsInf(x.DoubleValue, 0) {
			return 0, false
		}
		return x.DoubleValue, true
	case *commonpb.AnyValue_StringValue:
		f, err := strconv.ParseFloat(strings.TrimSpace(x.StringValue), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return 0, false
		}
		return f, true
	}
	return 0, false
}

// attrStrings reads a string array, or a JSON array in a string (the
// TypeScript, C# and Java SDKs encode tag.tags that way).
func attrStrings(v *commonpb.AnyValue) []string {
	switch x := v.GetValue().(type) {
	case *commonpb.AnyValue_ArrayValue:
		var out []string
		for _, e := range x.ArrayValue.GetValues() {
			if s := attrString(e); s != "" {
				out = append(out, s)
			}
		}
		return out
	case *commonpb.AnyValue_StringValue:
		s := strings.TrimSpace(x.StringValue)
		if strings.HasPrefix(s, "[") {
			var arr []any
			if json.Unmarshal([]byte(s), &arr) == nil {
				var out []string
				for _, e := range arr {
					switch e := e.(type) {
					case string:
						out = append(out, e)
					case nil:
					default:
						b, _ := json.Marshal(e)
						out = append(out, string(b))
					}
				}
				return out
			}
		}
		if s != "" {
			return []string{s}
		}
	}
	return nil
}

// anyValue converts an OTLP value to plain Go (string, bool, int64, float64,
// []any, map[string]any or nil).
func anyValue(v *commonpb.AnyValue) any {
	switch x := v.GetValue().(type) {
	case *commonpb.AnyValue_StringValue:
		return x.StringValue
	case *commonpb.AnyValue_BoolValue:
		return x.BoolValue
	case *commonpb.AnyValue_IntValue:
		return x.IntValue
	case *commonpb.AnyValue_DoubleValue:
		if math.IsNaN(x.DoubleValue) || math.IsInf(x.DoubleValue, 0) {
			return strconv.FormatFloat(x.DoubleValue, 'g', -1, 64)
		}
		return x.DoubleValue
	case *commonpb.AnyValue_BytesValue:
		return hex.EncodeToString(x.BytesValue)
	case *commonpb.AnyValue_ArrayValue:
		out := make([]any, 0, len(x.ArrayValue.GetValues()))
		for _, e := range x.ArrayValue.GetValues() {
			out = append(out, anyValue(e))
		}
		return out
	case *commonpb.AnyValue_KvlistValue:
		out := make(map[string]any, len(x.KvlistValue.GetValues()))
		for _, kv := range x.KvlistValue.GetValues() {
			out[kv.GetKey()] = anyValue(kv.GetValue())
		}
		return out
	}
	return nil
}

func attributes(kvs []*commonpb.KeyValue) []Attribute {
	out := make([]Attribute, 0, len(kvs))
	for _, kv := range kvs {
		out = append(out, Attribute{Key: kv.GetKey(), Value: anyValue(kv.GetValue())})
	}
	return out
}

// msgBuilder rebuilds messages from flattened keys.
type msgBuilder struct {
	msgs map[int]*msgParts
}

type msgParts struct {
	role, content string
	parts         map[int]string
	calls         map[int]*ToolCall
}

// add records key rest (the part after "gen_ai.input.messages.") = v.
func (b *msgBuilder) add(rest string, v *commonpb.AnyValue) {
	dot := strings.IndexByte(rest, '.')
	if dot <= 0 {
		return
	}
	i, err := strconv.Atoi(rest[:dot])
	if err != nil || i < 0 || i > 100000 {
		return
	}
	sub := rest[dot+1:]
	if b.msgs == nil {
		b.msgs = map[int]*msgParts{}
	}
	m := b.msgs[i]
	if m == nil {
		m = &msgParts{}
		b.msgs[i] = m
	}
	switch {
	case sub == string(semconv.MessageRole):
		m.role = attrString(v)
	case sub == string(semconv.MessageContent):
		m.content = attrString(v)
	case strings.HasPrefix(sub, string(semconv.MessageContents)+".") || strings.HasPrefix(sub, string(semconv.MessageContent)+"."):
		// message.contents.<j>.message_content.text (and the response
		// extractor's message.content.<j>... spelling).
		r := sub[strings.IndexByte(sub, '.')+1:]
		r = r[strings.IndexByte(r, '.')+1:]
		d := strings.IndexByte(r, '.')
		if d <= 0 {
			return
		}
		j, err := strconv.Atoi(r[:d])
		if err != nil {
			return
		}
		field := r[d+1:]
		if field == string(semconv.MessageContentText) || field == string(semconv.MessageAudioTranscript) {
			if m.parts == nil {
				m.parts = map[int]string{}
			}
			m.parts[j] += attrString(v)
		}
	case strings.HasPrefix(sub, string(semconv.MessageToolCalls)+"."):
		r := sub[len(semconv.MessageToolCalls)+1:]
		d := strings.IndexByte(r, '.')
		if d <= 0 {
			return
		}
		k, err := strconv.Atoi(r[:d])
		if err != nil || k < 0 || k > 10000 {
			return
		}
		if m.calls == nil {
			m.calls = map[int]*ToolCall{}
		}
		c := m.calls[k]
		if c == nil {
			c = &ToolCall{}
			m.calls[k] = c
		}
		switch attribute.Key(r[d+1:]) {
		case semconv.ToolCallID:
			c.ID = attrString(v)
		case semconv.ToolCallFunctionName:
			c.Name = attrString(v)
		case semconv.ToolCallFunctionArgumentsJSON:
			c.Arguments = attrString(v)
		}
	case sub == string(semconv.MessageFunctionCallName):
		if m.calls == nil {
			m.calls = map[int]*ToolCall{}
		}
		if m.calls[-1] == nil {
			m.calls[-1] = &ToolCall{}
		}
		m.calls[-1].Name = attrString(v)
	case sub == string(semconv.MessageFunctionCallArgumentsJSON):
		if m.calls == nil {
			m.calls = map[int]*ToolCall{}
		}
		if m.calls[-1] == nil {
			m.calls[-1] = &ToolCall{}
		}
		m.calls[-1].Arguments = attrString(v)
	}
}

func (b *msgBuilder) build() []Message {
	if len(b.msgs) == 0 {
		return nil
	}
	idx := make([]int, 0, len(b.msgs))
	for i := range b.msgs {
		idx = append(idx, i)
	}
	sort.Ints(idx)
	out := make([]Message, 0, len(idx))
	for _, i := range idx {
		p := b.msgs[i]
		m := Message{Role: p.role, Content: p.content}
		if m.Content == "" && len(p.parts) > 0 {
			js := make([]int, 0, len(p.parts))
			for j := range p.parts {
				js = append(js, j)
			}
			sort.Ints(js)
			var sb strings.Builder
			for n, j := range js {
				if n > 0 && p.parts[j] != "" && sb.Len() > 0 {
					sb.WriteString("\n")
				}
				sb.WriteString(p.parts[j])
			}
			m.Content = sb.String()
		}
		if len(p.calls) > 0 {
			ks := make([]int, 0, len(p.calls))
			for k := range p.calls {
				ks = append(ks, k)
			}
			sort.Ints(ks)
			for _, k := range ks {
				m.ToolCalls = append(m.ToolCalls, *p.calls[k])
			}
		}
		out = append(out, m)
	}
	return out
}

var (
	inMsgPrefix  = string(semconv.GenAIInputMessages) + "."
	outMsgPrefix = string(semconv.GenAIOutputMessages) + "."
)

// extract fills the indexed columns of a span from its attributes and those
// of its resource.
func extract(res []*commonpb.KeyValue, scope string, sp *tracepb.Span) *spanRow {
	r := &spanRow{
		traceID:       hex.EncodeToString(sp.GetTraceId()),
		spanID:        hex.EncodeToString(sp.GetSpanId()),
		parentID:      hex.EncodeToString(sp.GetParentSpanId()),
		name:          sp.GetName(),
		kind:          int32(sp.GetKind()),
		startNS:       int64(sp.GetStartTimeUnixNano()),
		endNS:         int64(sp.GetEndTimeUnixNano()),
		statusCode:    int32(sp.GetStatus().GetCode()),
		statusMessage: sp.GetStatus().GetMessage(),
		scope:         scope,
	}
	if r.endNS < r.startNS {
		r.endNS = r.startNS
	}
	var (
		reqModel, respModel string
		inValue, outValue   string
		in, out             msgBuilder
		finish              []string
		ev                  evalRow
		haveEval            bool
		haveTotal           bool
	)
	for _, kv := range sp.GetAttributes() {
		k, v := kv.GetKey(), kv.GetValue()
		switch k {
		case string(semconv.SessionID):
			r.sessionID = attrString(v)
		case string(semconv.UserID):
			r.userID = attrString(v)
		case string(semconv.GenAISpanKind):
			r.spanKind = strings.ToUpper(attrString(v))
		case string(semconv.LegacySpanKind):
			if r.spanKind == "" {
				r.spanKind = strings.ToUpper(attrString(v))
			}
		case string(semconv.GenAIPromptTemplateName):
			r.promptTemplate = attrString(v)
		case string(semconv.GenAIPromptTemplateVersion):
			r.promptVer = attrString(v)
		case string(semconv.GenAIRequestModel):
			reqModel = attrString(v)
		case string(semconv.GenAIResponseModel):
			respModel = attrString(v)
		case string(semconv.GenAIUsageInputTokens):
			r.inputTokens = attrInt(v)
		case string(semconv.GenAIUsageOutputTokens):
			r.outputTokens = attrInt(v)
		case string(semconv.GenAIUsageTotalTokens):
			r.totalTokens = attrInt(v)
			haveTotal = true
		case string(semconv.LLMRetryAttempt):
			r.retry = attrInt(v)
		case string(semconv.InputValue):
			inValue = attrString(v)
		case string(semconv.OutputValue):
			outValue = attrString(v)
		case string(semconv.GenAIResponseFinishReasons):
			finish = attrStrings(v)
		case string(semconv.TagTags):
			r.tags = attrStrings(v)
		case string(semconv.Metadata):
			r.metadataJSON = attrString(v)
		case string(semconv.GenAIEvaluationName):
			ev.name, haveEval = attrString(v), true
		case string(semconv.GenAIEvaluationScoreValue):
			if f, ok := attrFloat(v); ok {
				ev.score = &f
			}
		case string(semconv.GenAIEvaluationScoreLabel):
			ev.label = attrString(v)
		case string(semconv.GenAIEvaluationExplanation):
			ev.explanation = attrString(v)
		case string(semconv.GenAIEvaluationTargetSpanID):
			ev.target = strings.ToLower(strings.TrimPrefix(attrString(v), "0x"))
		default:
			if strings.HasPrefix(k, inMsgPrefix) {
				in.add(k[len(inMsgPrefix):], v)
			} else if strings.HasPrefix(k, outMsgPrefix) {
				out.add(k[len(outMsgPrefix):], v)
			}
		}
	}
	if r.sessionID == "" || r.userID == "" {
		for _, kv := range res {
			switch kv.GetKey() {
			case string(semconv.SessionID):
				if r.sessionID == "" {
					r.sessionID = attrString(kv.GetValue())
				}
			case string(semconv.UserID):
				if r.userID == "" {
					r.userID = attrString(kv.GetValue())
				}
			}
		}
	}
	if haveEval && ev.name != "" {
		if ev.target != "" {
			for _, l := range sp.GetLinks() {
				if hex.EncodeToString(l.GetSpanId()) == ev.target && len(l.GetTraceId()) == 16 {
					ev.linked = hex.EncodeToString(l.GetTraceId())
					break
				}
			}
		}
		r.eval = &ev
		if r.spanKind == "" {
			r.spanKind = string(semconv.SpanKindEvaluator)
		}
	}
	r.model = respModel
	if r.model == "" {
		r.model = reqModel
	}
	if !haveTotal {
		r.totalTokens = r.inputTokens + r.outputTokens
	}
	isLLM := r.spanKind == string(semconv.SpanKindLLM)
	if isLLM {
		r.cost, r.priced = Price(r.model, r.inputTokens, r.outputTokens)
	}

	r.inMsgs, r.outMsgs = in.build(), out.build()
	r.text = messageText(r.inMsgs, r.outMsgs)
	r.inText = lastUserMessage(r.inMsgs)
	if r.inText == "" {
		r.inText = readableValue(inValue)
	}
	r.outText = lastAssistantMessage(r.outMsgs)
	if r.outText == "" {
		r.outText = readableValue(outValue)
	}
	if isLLM && r.statusCode != int32(tracepb.Status_STATUS_CODE_ERROR) {
		hasCalls := false
		for _, m := range r.outMsgs {
			if len(m.ToolCalls) > 0 {
				hasCalls = true
			}
		}
		r.empty = strings.TrimSpace(r.outText) == "" && !hasCalls
		r.refused = isRefusal(finish, r.outText)
	}
	r.inText = truncate(r.inText, maxText)
	r.outText = truncate(r.outText, maxText)
	return r
}

// readableValue returns the value, or for a JSON chat request/response body the
// last user / assistant text in it.
func readableValue(s string) string {
	t := strings.TrimSpace(s)
	if !strings.HasPrefix(t, "{") {
		return s
	}
	var body struct {
		Messages []struct {
			Role    string          `json:"role"`
			Content json.RawMessage `json:"content"`
		} `json:"messages"`
		Choices []struct {
			Message struct {
				Content json.RawMessage `json:"content"`
			} `json:"message"`
		} `json:"choices"`
	}
	if json.Unmarshal([]byte(t), &body) != nil {
		return s
	}
	for i := len(body.Messages) - 1; i >= 0; i-- {
		if body.Messages[i].Role == "user" {
			if c := rawText(body.Messages[i].Content); c != "" {
				return c
			}
		}
	}
	if len(body.Choices) > 0 {
		if c := rawText(body.Choices[0].Message.Content); c != "" {
			return c
		}
	}
	return s
}

func rawText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var parts []struct {
		Text string `json:"text"`
	}
	if json.Unmarshal(raw, &parts) == nil {
		var sb strings.Builder
		for _, p := range parts {
			sb.WriteString(p.Text)
		}
		return sb.String()
	}
	return ""
}

func lastUserMessage(ms []Message) string {
	for i := len(ms) - 1; i >= 0; i-- {
		if ms[i].Role == "user" && ms[i].Content != "" {
			return ms[i].Content
		}
	}
	return ""
}

func lastAssistantMessage(ms []Message) string {
	for i := len(ms) - 1; i >= 0; i-- {
		if (ms[i].Role == "assistant" || ms[i].Role == "model" || ms[i].Role == "") && ms[i].Content != "" {
			return ms[i].Content
		}
	}
	return ""
}

var refusalPrefixes = []string{
	"i'm sorry, but i can't", "i’m sorry, but i can’t", "i'm sorry, i can't", "i’m sorry, i can’t",
	"i can't help with", "i can’t help with", "i cannot help with", "i can't assist with",
	"i can’t assist with", "i cannot assist with", "i'm unable to help", "i am unable to help",
	"sorry, i can't", "sorry, i can’t", "i won't be able to help", "i cannot comply",
}

// isRefusal reports a refused answer: a content filter finish reason or an
// answer opening with a stock refusal.
func isRefusal(finish []string, out string) bool {
	for _, f := range finish {
		switch strings.ToLower(f) {
		case "content_filter", "refusal", "safety", "prohibited_content", "blocklist", "spii", "recitation":
			return true
		}
	}
	o := strings.ToLower(strings.TrimSpace(out))
	if len(o) > 200 {
		o = o[:200]
	}
	for _, p := range refusalPrefixes {
		if strings.HasPrefix(o, p) {
			return true
		}
	}
	return false
}

// metaValue is one parsed metadata value: its text and JSON kind.
type metaValue struct {
	text string
	kind record.MetaKind
}

// parseMetadata reads a "metadata" attribute, a JSON object. Numbers keep
// their exact text (json.Number), so "3" comes back as 3, not 3.0.
func parseMetadata(s string) map[string]metaValue {
	m, err := decodeObject([]byte(s))
	if err != nil {
		// Python's json.dumps (and so the SDKs) writes NaN, Infinity and
		// -Infinity as bare words, which are not JSON: read them as the
		// strings they print as rather than lose every key.
		if m, err = decodeObject(quoteNonFinite(s)); err != nil {
			return nil
		}
	}
	out := make(map[string]metaValue, len(m))
	for k, v := range m {
		switch v := v.(type) {
		case string:
			out[k] = metaValue{v, record.MetaString}
		case nil:
			out[k] = metaValue{"", record.MetaNull}
		case json.Number:
			out[k] = metaValue{v.String(), record.MetaNumber}
		case bool:
			out[k] = metaValue{strconv.FormatBool(v), record.MetaBool}
		default:
			b, _ := json.Marshal(v)
			out[k] = metaValue{string(b), record.MetaJSON}
		}
	}
	return out
}

func decodeObject(b []byte) (map[string]any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		return nil, err
	}
	if d.More() {
		return nil, errors.New("trailing data")
	}
	return m, nil
}

// metadataValue is the API's form of a stored metadata value: a string,
// a json.Number, a bool, nil, or a json.RawMessage holding an object or an
// array, as the application wrote it.
func metadataValue(text string, kind record.MetaKind) any {
	switch kind {
	case record.MetaNumber:
		return json.Number(text)
	case record.MetaBool:
		return text == "true"
	case record.MetaNull:
		return nil
	case record.MetaJSON:
		if json.Valid([]byte(text)) {
			return json.RawMessage(text)
		}
	}
	return text
}

// quoteNonFinite returns s with the bare words NaN, Infinity and
// -Infinity outside strings quoted, as Python's JSON extensions write them.
func quoteNonFinite(s string) []byte {
	out := make([]byte, 0, len(s)+16)
	inStr := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if inStr {
			out = append(out, c)
			switch c {
			case '\\':
				if i+1 < len(s) {
					i++
					out = append(out, s[i])
				}
			case '"':
				inStr = false
			}
			continue
		}
		if c == '"' {
			inStr = true
			out = append(out, c)
			continue
		}
		matched := false
		for _, w := range []string{"-Infinity", "Infinity", "NaN"} {
			if strings.HasPrefix(s[i:], w) {
				out = append(append(append(out, '"'), w...), '"')
				i += len(w) - 1
				matched = true
				break
			}
		}
		if !matched {
			out = append(out, c)
		}
	}
	return out
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	// Cut on a rune boundary.
	for n > 0 && n < len(s) && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n] + "…"
}
