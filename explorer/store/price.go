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

// Prices is the built-in price table used to estimate cost. It lists
// public list prices (standard tier, no caching or batch discounts) of common
// OpenAI, Anthropic and Google Gemini models; it is an estimate, not a bill.
var Prices = []ModelPrice{
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
}

// LookupPrice finds the price of a model by longest prefix, ignoring case and
// a provider prefix such as "openai/" or "models/".
func LookupPrice(model string) (ModelPrice, bool) {
	m := strings.ToLower(strings.TrimSpace(model))
	if i := strings.LastIndexByte(m, '/'); i >= 0 {
		m = m[i+1:]
	}
	var best ModelPrice
	found := false
	for _, p := range Prices {
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
