package store

import "testing"

// TestBedrockPrices: Bedrock model ids, with inference-profile regions,
// vendors, versions and ARNs, find their prices.
func TestBedrockPrices(t *testing.T) {
	for id, want := range map[string]string{
		"us.anthropic.claude-sonnet-4-20250514-v1:0":                                         "claude-sonnet-4",
		"anthropic.claude-3-5-haiku-20241022-v1:0":                                           "claude-3-5-haiku",
		"arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0": "claude-3-haiku",
		"amazon.nova-pro-v1:0":                                                               "nova-pro",
		"eu.amazon.nova-lite-v1:0":                                                           "nova-lite",
		"meta.llama3-1-70b-instruct-v1:0":                                                    "llama3-1-70b-instruct",
		"mistral.mistral-large-2407-v1:0":                                                    "mistral-large-2407",
		"cohere.command-r-plus-v1:0":                                                         "command-r-plus",
		"cohere.command-r-v1:0":                                                              "command-r",
		"gpt-3.5-turbo":                                                                      "gpt-3.5-turbo",
	} {
		p, ok := LookupPrice(id)
		if !ok || p.Prefix != want {
			t.Errorf("%s: %q %v, want %q", id, p.Prefix, ok, want)
		}
	}
	if _, ok := LookupPrice("arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3"); ok {
		t.Error("an application profile's ARN priced")
	}
}
