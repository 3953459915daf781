package store

import (
	"strconv"
	"strings"

	"github.com/traceai-go/traceai/fi/semconv"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
)

// traceSummary is a traces row.
type traceSummary struct {
	session, user, rootName          string
	start, end                       int64
	spans, llm, errs, retries        int
	errMsg, model, input, output     string
	in, out, total                   int64
	cost                             float64
	unpriced                         int
	llmMS                            string
	refused, empty, evalOnly, failed bool
	promptTemplate, promptVer        string   // the turn's prompt template, from its root or first span naming one
	kinds                            string   // the span_kinds column (kinds.go)
	text                             turnText // the search document (search_index.go)
	doc                              int64    // its rowid, 0 for none
}

// summarizeTrace computes the traces row of a trace from all its spans, in
// start order.
func summarizeTrace(all []aggSpan) traceSummary {
	ids := make(map[string]bool, len(all))
	for _, a := range all {
		ids[a.spanID] = true
	}
	var spans []aggSpan // without evaluator spans
	for _, a := range all {
		if a.spanKind != string(semconv.SpanKindEvaluator) {
			spans = append(spans, a)
		}
	}
	evalOnly := len(spans) == 0
	if evalOnly {
		spans = all
	}
	var root *aggSpan
	for i := range spans {
		if spans[i].parentID == "" || !ids[spans[i].parentID] {
			root = &spans[i]
			break
		}
	}
	if root == nil && len(spans) > 0 {
		root = &spans[0]
	}
	var (
		start, end              int64
		session, user           string
		llm, errs, retries      int
		errMsg, model           string
		in, out, total          int64
		cost                    float64
		unpriced                int
		input, output           string
		lastLLM                 *aggSpan
		llmMS                   []string
		tokIn, tokOut, tokTotal int64 // over all spans, used when no LLM span has tokens
		outputEnd               int64
		refused, empty          bool
	)
	if root != nil {
		session, user = root.session, root.user
		input, output = root.inText, root.outText
		outputEnd = root.end
	}
	for i := range spans {
		a := &spans[i]
		if start == 0 || a.start < start {
			start = a.start
		}
		if a.end > end {
			end = a.end
		}
		if session == "" {
			session = a.session
		}
		if user == "" {
			user = a.user
		}
		if a.status == int32(tracepb.Status_STATUS_CODE_ERROR) {
			errs++
			if errMsg == "" {
				errMsg = a.statusMsg
				if errMsg == "" {
					errMsg = a.name + " failed"
				}
			}
		}
		tokIn += a.in
		tokOut += a.out
		tokTotal += a.total
		if input == "" && a.inText != "" {
			input = a.inText
		}
		if a.spanKind == string(semconv.SpanKindLLM) {
			llm++
			in += a.in
			out += a.out
			total += a.total
			if a.priced {
				cost += a.cost
			} else {
				unpriced++
			}
			if a.retry > 0 {
				retries++
			}
			llmMS = append(llmMS, strconv.FormatFloat(float64(a.end-a.start)/1e6, 'f', 3, 64))
			if lastLLM == nil || a.end >= lastLLM.end {
				lastLLM = a
			}
		}
	}
	// The turn failed when its outcome did: the root or the final LLM call
	// errored. A retried call that recovered is a retry, not a failure.
	failed := false
	if root != nil && root.status == int32(tracepb.Status_STATUS_CODE_ERROR) {
		failed, errMsg = true, firstNonEmpty(root.statusMsg, errMsg)
	}
	if lastLLM != nil && lastLLM.status == int32(tracepb.Status_STATUS_CODE_ERROR) {
		if !failed {
			errMsg = firstNonEmpty(lastLLM.statusMsg, errMsg)
		}
		failed = true
	}
	if llm == 0 {
		in, out, total = tokIn, tokOut, tokTotal
	}
	if failed {
		// A failed turn has no answer: an inner span's output (a prompt
		// built on the way) is not what the user got.
		output = ""
	} else if root == nil || root.outText == "" {
		// The latest-ending span with an output answers the turn.
		for i := range spans {
			if spans[i].outText != "" && (output == "" || spans[i].end >= outputEnd) {
				output, outputEnd = spans[i].outText, spans[i].end
			}
		}
	}
	if lastLLM != nil {
		model = lastLLM.model
		refused = lastLLM.refused || isRefusal(nil, output)
		empty = lastLLM.empty && strings.TrimSpace(output) == ""
	}
	var promptTemplate, promptVer string
	if root != nil {
		promptTemplate, promptVer = root.promptTemplate, root.promptVer
	}
	for i := range spans {
		if promptTemplate != "" {
			break
		}
		promptTemplate, promptVer = spans[i].promptTemplate, spans[i].promptVer
	}
	rootName := ""
	if root != nil {
		rootName = root.name
	}
	return traceSummary{session: session, user: user, rootName: rootName, start: start, end: end,
		spans: len(spans), llm: llm, errs: errs, retries: retries, errMsg: errMsg, model: model,
		input: input, output: output, in: in, out: out, total: total, cost: cost, unpriced: unpriced,
		llmMS: strings.Join(llmMS, ","), refused: refused, empty: empty, evalOnly: evalOnly, failed: failed,
		promptTemplate: promptTemplate, promptVer: promptVer, kinds: spanKinds(spans),
		text: buildTurnText(input, output, spans)}
}
