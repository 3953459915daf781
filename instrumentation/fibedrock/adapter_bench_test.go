package fibedrock

import (
	"net/http"
	"os"
	"testing"
)

// BenchmarkAdapter is the parsing alone: a recorded Converse request (as
// bedrockruntime serializes it) and response through Start, Body and End.
func BenchmarkAdapter(b *testing.B) {
	body, _ := os.ReadFile("testdata/converse_request.json")
	resp, _ := os.ReadFile("testdata/converse_response.json")
	req, _ := http.NewRequest(http.MethodPost, "https://bedrock-runtime.us-east-1.amazonaws.com/model/us.anthropic.claude-sonnet-4-20250514-v1:0/converse", http.NoBody)
	b.ReportAllocs()
	for b.Loop() {
		c, _ := adapter{}.Start(req, body)
		c.Response(&http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}}})
		c.Body(resp)
		c.End()
	}
}
