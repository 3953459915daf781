package explorer_test

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/encoding/protojson"
)

// otlpJSON encodes spans as OTLP/JSON: camelCase keys, enum numbers, and
// trace/span ids in hex as the OTLP specification requires.
func otlpJSON(rs []*tracepb.ResourceSpans) ([]byte, error) {
	b, err := protojson.MarshalOptions{UseEnumNumbers: true}.Marshal(&coltracepb.ExportTraceServiceRequest{ResourceSpans: rs})
	if err != nil {
		return nil, err
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, err
	}
	toHex(v)
	return json.Marshal(v)
}

func toHex(v any) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			switch k {
			case "traceId", "spanId", "parentSpanId":
				if s, ok := e.(string); ok {
					raw, _ := base64.StdEncoding.DecodeString(s)
					x[k] = hex.EncodeToString(raw)
					continue
				}
			}
			toHex(e)
		}
	case []any:
		for _, e := range x {
			toHex(e)
		}
	}
}
