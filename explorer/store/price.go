package store

import "strings"

// ModelPrice is the list price of a model in US dollars per million tokens.
type ModelPrice struct {
	// Prefix matches a model name and its dated or suffixed variants
	// ("gpt-4o" matches "gpt-4o-2024-08-06"); the longest match wins.
	Prefix          string
	InputPerMillion float64
	// OutputPerMillion applies to output tokens, reasoning included.
	OutputPerMillion float64
}

// prices is the built-in price table used to estimate cost. It lists
// public list prices (standard tier, no caching or batch discounts) of common
// OpenAI, Anthropic, Google Gemini and Amazon Bedrock models; it is an
// estimate, not a bill.
var prices = []ModelPrice{
	// OpenAI
	{"gpt-5", 1.25, 10},
	{"gpt-5-mini", 0.25, 2},
	{"gpt-5-nano", 0.05, 0.40},
	{"gpt-4.1", 2, 8},
	{"gpt-4.1-mini", 0.40, 1.60},
	{"gpt-4.1-nano", 0.10, 0.40},
	{"gpt-4o", 2.50, 10},
	{"gpt-4o-mini", 0.15, 0.60},
	{"gpt-4-turbo", 10, 30},
	{"gpt-4", 30, 60},
	{"gpt-3.5-turbo", 0.50, 1.50},
	{"o1", 15, 60},
	{"o1-mini", 1.10, 4.40},
	{"o3", 2, 8},
	{"o3-mini", 1.10, 4.40},
	{"o4-mini", 1.10, 4.40},
	{"text-embedding-3-small", 0.02, 0},
	{"text-embedding-3-large", 0.13, 0},
	{"text-embedding-ada-002", 0.10, 0},
	// Anthropic
	{"claude-opus-4", 15, 75},
	{"claude-opus-4-5", 5, 25},
	{"claude-sonnet-4", 3, 15},
	{"claude-haiku-4", 1, 5},
	{"claude-3-7-sonnet", 3, 15},
	{"claude-3-5-sonnet", 3, 15},
	{"claude-3-5-haiku", 0.80, 4},
	{"claude-3-opus", 15, 75},
	{"claude-3-sonnet", 3, 15},
	{"claude-3-haiku", 0.25, 1.25},
	// Google Gemini
	{"gemini-2.5-pro", 1.25, 10},
	{"gemini-2.5-flash", 0.30, 2.50},
	{"gemini-2.5-flash-lite", 0.10, 0.40},
	{"gemini-2.0-flash", 0.10, 0.40},
	{"gemini-2.0-flash-lite", 0.075, 0.30},
	{"gemini-1.5-pro", 1.25, 5},
	{"gemini-1.5-flash", 0.075, 0.30},
	// Amazon Bedrock (on-demand, us-east-1); Claude on Bedrock is priced
	// as above once the id's region and vendor parts are dropped.
	{"nova-micro", 0.035, 0.14},
	{"nova-lite", 0.06, 0.24},
	{"nova-pro", 0.80, 3.20},
	{"nova-premier", 2.50, 12.50},
	{"llama3-1-8b-instruct", 0.22, 0.22},
	{"llama3-1-70b-instruct", 0.72, 0.72},
	{"llama3-1-405b-instruct", 2.40, 2.40},
	{"llama3-2-1b-instruct", 0.10, 0.10},
	{"llama3-2-3b-instruct", 0.15, 0.15},
	{"llama3-2-11b-instruct", 0.16, 0.16},
	{"llama3-2-90b-instruct", 0.72, 0.72},
	{"llama3-3-70b-instruct", 0.72, 0.72},
	{"llama4-scout-17b-instruct", 0.17, 0.66},
	{"llama4-maverick-17b-instruct", 0.24, 0.97},
	{"mistral-7b-instruct", 0.15, 0.20},
	{"mixtral-8x7b-instruct", 0.45, 0.70},
	{"mistral-small-2402", 1, 3},
	{"mistral-large-2402", 4, 12},
	{"mistral-large-2407", 2, 6},
	{"pixtral-large-2502", 2, 6},
	{"command-r", 0.50, 1.50},
	{"command-r-plus", 3, 15},
}

// bedrockParts are the leading parts of Bedrock model ids that name a
// cross-region inference profile ("us.") or a vendor ("anthropic.").
var bedrockParts = map[string]bool{
	"us": true, "eu": true, "apac": true, "global": true, "us-gov": true, "jp": true, "au": true, "ca": true,
	"anthropic": true, "amazon": true, "meta": true, "mistral": true, "cohere": true, "ai21": true, "deepseek": true,
}

// LookupPrice finds the price of a model by longest prefix, ignoring case and
// a provider prefix such as "openai/" or "models/".
func LookupPrice(model string) (ModelPrice, bool) {
	m := strings.ToLower(strings.TrimSpace(model))
	if i := strings.LastIndexByte(m, '/'); i >= 0 {
		m = m[i+1:]
	}
	// "us.anthropic.claude-sonnet-4-20250514-v1:0" prices as "claude-sonnet-4-...".
	for {
		part, rest, ok := strings.Cut(m, ".")
		if !ok || !bedrockParts[part] {
			break
		}
		m = rest
	}
	var best ModelPrice
	found := false
	for _, p := range prices {
		if !strings.HasPrefix(m, p.Prefix) || (found && len(p.Prefix) <= len(best.Prefix)) {
			continue
		}
		// Match whole name parts: "o1" must not price "o1x".
		if rest := m[len(p.Prefix):]; rest != "" && rest[0] != '-' && rest[0] != '@' && rest[0] != ':' {
			continue
		}
		best, found = p, true
	}
	return best, found
}

// Price estimates the cost in USD of one call; ok is false for an unknown
// model.
func Price(model string, inputTokens, outputTokens int64) (cost float64, ok bool) {
	p, ok := LookupPrice(model)
	if !ok {
		return 0, false
	}
	return (float64(inputTokens)*p.InputPerMillion + float64(outputTokens)*p.OutputPerMillion) / 1e6, true
}
