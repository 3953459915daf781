// Package llmparse is the wire machinery the provider adapters (fianthropic,
// figenai, fiollama, fibedrock) share: Wire runs an Adapter over HTTP
// (request tee, span start, response body followed as the application reads
// it, SSE, NDJSON and AWS event-stream framing, span end on EOF, error,
// Close or cancel), and the JSON
// helpers turn bodies into traceAI attributes: ordered object fields,
// Python-layout JSON, and an attribute list that skips empty values.
package llmparse

import (
	"bytes"
	"encoding/json"

	"go.opentelemetry.io/otel/attribute"

	"github.com/traceai-go/traceai/internal/pyjson"
)

// Field is one member of a JSON object, in document order.
type Field struct {
	Key string
	Raw json.RawMessage
}

// Fields returns the members of the JSON object in data in document order,
// or false when data is not a JSON object. data must be valid JSON (a
// document json.Unmarshal accepted, or a json.RawMessage from one); on
// anything else the result is unspecified but Fields does not panic.
func Fields(data []byte) ([]Field, bool) {
	i := 0
	for i < len(data) && isSpace(data[i]) {
		i++
	}
	if i >= len(data) || data[i] != '{' {
		return nil, false
	}
	var out []Field
	i++
	for {
		for i < len(data) && (isSpace(data[i]) || data[i] == ',') {
			i++
		}
		if i >= len(data) || data[i] == '}' {
			return out, true
		}
		kEnd := skipValue(data, i)
		var key string
		if json.Unmarshal(data[i:kEnd], &key) != nil {
			return nil, false
		}
		i = kEnd
		for i < len(data) && (isSpace(data[i]) || data[i] == ':') {
			i++
		}
		vEnd := skipValue(data, i)
		out = append(out, Field{Key: key, Raw: json.RawMessage(data[i:vEnd])})
		i = vEnd
	}
}

// Object writes fields as a compact JSON object, in order.
func Object(fields []Field) []byte {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, f := range fields {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(f.Key)
		b.Write(k)
		b.WriteByte(':')
		b.Write(f.Raw)
	}
	b.WriteByte('}')
	return b.Bytes()
}

// Select returns the non-null fields of data whose key keep accepts, as a
// Python-layout JSON object, keeping document order. ok is false when data
// is not an object.
func Select(data []byte, keep func(key string) bool) (string, bool) {
	fields, ok := Fields(data)
	if !ok {
		return "", false
	}
	kept := fields[:0:0]
	for _, f := range fields {
		if keep(f.Key) && IsJSON(f.Raw) {
			kept = append(kept, f)
		}
	}
	return format(Object(kept)), true
}

// PyJSON rewrites JSON text in the layout of Python's json.dumps, as the
// reference writes JSON-valued attributes. Text that is not JSON is returned
// unchanged.
func PyJSON(raw []byte) string {
	if !json.Valid(raw) {
		return string(raw)
	}
	return format(raw)
}

// Format is PyJSON for text already known to be valid JSON (a document
// json.Unmarshal accepted, or a json.RawMessage from one), without checking
// it again.
func Format(raw []byte) string { return format(raw) }

// Marshal writes v as Python-layout JSON.
func Marshal(v any) string {
	s, _ := pyjson.Marshal(v)
	return s
}

// Attrs collects attributes, skipping empty strings so that absent fields
// leave no key, as the reference skips falsy values.
type Attrs []attribute.KeyValue

// Str adds k=v unless v is empty.
func (a *Attrs) Str(k attribute.Key, v string) {
	if v != "" {
		*a = append(*a, k.String(v))
	}
}

// Int adds k=v.
func (a *Attrs) Int(k attribute.Key, v int64) { *a = append(*a, k.Int64(v)) }

// PosInt adds k=v when v is positive, as the reference skips zero counts.
func (a *Attrs) PosInt(k attribute.Key, v int64) {
	if v > 0 {
		*a = append(*a, k.Int64(v))
	}
}

// Add appends kvs.
func (a *Attrs) Add(kvs ...attribute.KeyValue) { *a = append(*a, kvs...) }

// IsJSON reports whether raw holds a JSON value other than null.
func IsJSON(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) > 0 && !bytes.Equal(raw, []byte("null"))
}

// String decodes raw as a JSON string, returning "" for anything else.
func String(raw json.RawMessage) string {
	var s string
	if len(raw) > 0 && raw[0] == '"' {
		_ = json.Unmarshal(raw, &s)
	}
	return s
}
