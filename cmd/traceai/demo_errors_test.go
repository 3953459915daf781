package main

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"

	"github.com/traceai-go/traceai/fi"
)

// The demo's own spans name an API error as the Python SDK does, not by
// openai-go's internal Go type (*apierror.Error), and callers still find
// the original error.
func TestProviderErrorNamed(t *testing.T) {
	for status, want := range map[int]string{429: "openai.RateLimitError", 500: "openai.InternalServerError", 401: "openai.AuthenticationError"} {
		orig := &openai.Error{StatusCode: status}
		err := providerError(fmt.Errorf("call: %w", orig))
		if d := fi.ErrorDescription(err); !strings.HasPrefix(d, want+": ") {
			t.Errorf("status %d: description %q, want prefix %q", status, d, want)
		}
		var back *openai.Error
		if !errors.As(err, &back) || back != orig {
			t.Errorf("status %d: the openai error is no longer reachable", status)
		}
	}
	if err := providerError(io.EOF); err != io.EOF {
		t.Errorf("a non-API error changed: %v", err)
	}
}
