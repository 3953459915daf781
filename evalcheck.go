package traceai

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"go.opentelemetry.io/otel"
)

const checkEvalConfigPath = "/tracer/custom-eval-config/check_exists/"

// customEvalConfigExists asks Future AGI whether the project already has a
// custom eval configuration, as the reference's register() does before
// accepting eval tags. Like the reference, any failure counts as "no": a
// backend that cannot be reached must not stop the application.
func customEvalConfigExists(ctx context.Context, base, apiKey, secretKey, project string, pt ProjectType, tags []EvalTag) bool {
	u, err := url.Parse(base)
	if err != nil || u.Host == "" {
		otel.Handle(fmt.Errorf("traceai: eval config check: invalid base URL"))
		return false
	}
	u.Path, u.RawPath, u.RawQuery = checkEvalConfigPath, "", ""
	body, err := json.Marshal(map[string]any{"project_name": project, "eval_tags": tags, "project_type": string(pt)})
	if err != nil {
		otel.Handle(fmt.Errorf("traceai: eval config check: %w", err))
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		otel.Handle(fmt.Errorf("traceai: eval config check: %w", err))
		return false
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(headerAPIKey, apiKey)
	req.Header.Set(headerSecret, secretKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		// The error names the URL, never the keys.
		otel.Handle(fmt.Errorf("traceai: eval config check: %w", err))
		return false
	}
	defer resp.Body.Close()
	var out struct {
		Result struct {
			Exists bool `json:"exists"`
		} `json:"result"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&out); err != nil {
		otel.Handle(fmt.Errorf("traceai: eval config check: %s: %w", resp.Status, err))
		return false
	}
	return out.Result.Exists
}
