package explorer

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/traceai-go/traceai/explorer/store"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
)

const (
	ctProtobuf = "application/x-protobuf"
	ctJSON     = "application/json"
)

// otlpHTTP is the OTLP/HTTP trace receiver (POST /v1/traces).
type otlpHTTP struct {
	store    store.Backend
	max      int64 // body bytes, compressed or not
	maxSpans int   // spans per request
	budget   *budget
	log      *slog.Logger
}

// httpError is an OTLP/HTTP failure answered with a google.rpc.Status body.
type httpError struct {
	code int
	msg  string
}

func (e *httpError) Error() string { return e.msg }

func (h *otlpHTTP) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeStatus(w, ctJSON, http.StatusMethodNotAllowed, "OTLP traces are sent with POST")
		return
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || (mt != ctProtobuf && mt != ctJSON) {
		writeStatus(w, ctJSON, http.StatusUnsupportedMediaType,
			fmt.Sprintf("unsupported Content-Type %q: send %s or %s", r.Header.Get("Content-Type"), ctProtobuf, ctJSON))
		return
	}
	c := &charge{b: h.budget}
	defer c.release()
	req, encoded, herr := h.decode(w, r, mt, c)
	if herr != nil {
		if herr.code == http.StatusServiceUnavailable {
			w.Header().Set("Retry-After", retryAfterSeconds)
		}
		writeStatus(w, mt, herr.code, herr.msg)
		return
	}
	rejected, msg, encoded := validate(req, encoded)
	if err := ingestChunked(r.Context(), h.store, req.GetResourceSpans(), encoded); err != nil {
		code := http.StatusServiceUnavailable // retryable: the exporter tries again
		if errors.Is(err, context.Canceled) {
			return
		}
		h.log.Error("traceai explorer: OTLP batch not stored", "err", err)
		w.Header().Set("Retry-After", retryAfterSeconds)
		writeStatus(w, mt, code, "spans not stored: "+err.Error())
		return
	}
	resp := &coltracepb.ExportTraceServiceResponse{}
	if rejected > 0 {
		resp.PartialSuccess = &coltracepb.ExportTracePartialSuccess{RejectedSpans: rejected, ErrorMessage: msg}
	}
	writeProto(w, mt, http.StatusOK, resp)
}

// decode reads the request; for protobuf it also returns each span's
// encoding in the body (see spanBytes), so that the store keeps those bytes
// instead of encoding the spans again.
func (h *otlpHTTP) decode(w http.ResponseWriter, r *http.Request, mt string, c *charge) (*coltracepb.ExportTraceServiceRequest, [][]byte, *httpError) {
	body := http.MaxBytesReader(w, r.Body, h.max)
	var rd io.Reader = body
	switch enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
	case "gzip":
		zr, err := gzip.NewReader(body)
		if err != nil {
			if tooLarge(err) {
				return nil, nil, &httpError{http.StatusRequestEntityTooLarge, fmt.Sprintf("request body larger than %d bytes", h.max)}
			}
			return nil, nil, &httpError{http.StatusBadRequest, "malformed gzip body: " + err.Error()}
		}
		defer zr.Close()
		rd = zr
	default:
		return nil, nil, &httpError{http.StatusUnsupportedMediaType, fmt.Sprintf("unsupported Content-Encoding %q: send gzip or none", enc)}
	}
	// Decompressed size is bounded too (a small gzip bomb must not exhaust
	// memory), and charged as it is read.
	data, err := io.ReadAll(&chargedReader{io.LimitReader(rd, h.max+1), c})
	if err != nil {
		if herr := budgetError(err); herr != nil {
			return nil, nil, herr
		}
		if tooLarge(err) {
			return nil, nil, &httpError{http.StatusRequestEntityTooLarge, fmt.Sprintf("request body larger than %d bytes", h.max)}
		}
		return nil, nil, &httpError{http.StatusBadRequest, "reading body: " + err.Error()}
	}
	if int64(len(data)) > h.max {
		return nil, nil, &httpError{http.StatusRequestEntityTooLarge, fmt.Sprintf("decompressed body larger than %d bytes", h.max)}
	}
	req := &coltracepb.ExportTraceServiceRequest{}
	if mt == ctProtobuf {
		// Counted on the wire: a million tiny spans are refused before
		// they are decoded.
		if n, ok := countWireSpans(data); ok {
			if herr := h.admit(n, c); herr != nil {
				return nil, nil, herr
			}
		}
		if err := proto.Unmarshal(data, req); err != nil {
			return nil, nil, &httpError{http.StatusBadRequest, "malformed OTLP protobuf: " + err.Error()}
		}
		return req, spanBytes(data), nil
	}
	if herr := budgetError(c.take(int64(len(data)) * (jsonFactor - 1))); herr != nil {
		return nil, nil, herr
	}
	var herr *httpError
	err = unmarshalJSON(data, req, func(n int) error {
		herr = h.admit(n, c)
		if herr != nil {
			return herr
		}
		return nil
	})
	if herr != nil {
		return nil, nil, herr
	}
	if err != nil {
		return nil, nil, &httpError{http.StatusBadRequest, "malformed OTLP JSON: " + err.Error()}
	}
	return req, nil, nil
}

// admit checks a request of n spans against the per-request bound (413)
// and charges its spans (503 when the budget is spent).
func (h *otlpHTTP) admit(n int, c *charge) *httpError {
	if h.maxSpans > 0 && n > h.maxSpans {
		return &httpError{http.StatusRequestEntityTooLarge,
			fmt.Sprintf("%d spans in one request; at most %d are accepted: send smaller batches", n, h.maxSpans)}
	}
	return budgetError(c.take(int64(n) * spanCharge))
}

// budgetError is the answer to a failed charge: 503 while others hold the
// budget, 413 for a request larger than all of it; nil for no error.
func budgetError(err error) *httpError {
	switch {
	case errors.Is(err, errBusy):
		return &httpError{http.StatusServiceUnavailable, err.Error()}
	case errors.Is(err, errTooBig):
		return &httpError{http.StatusRequestEntityTooLarge, err.Error()}
	}
	return nil
}

func tooLarge(err error) bool {
	var mbe *http.MaxBytesError
	return errors.As(err, &mbe)
}

// unmarshalJSON decodes OTLP/JSON, whose trace and span ids are hex strings
// (protojson alone expects base64 for bytes fields).
// admit, when not nil, is given the number of spans once the JSON is
// parsed, before the spans are decoded; its error ends the decoding.
func unmarshalJSON(data []byte, req *coltracepb.ExportTraceServiceRequest, admit func(spans int) error) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data after the JSON object")
	}
	if _, ok := v.(map[string]any); !ok {
		return errors.New("not a JSON object")
	}
	if admit != nil {
		if err := admit(countJSONSpans(v)); err != nil {
			return err
		}
	}
	if err := hexIDs(v, 0); err != nil {
		return err
	}
	fixed, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return protojson.UnmarshalOptions{DiscardUnknown: true}.Unmarshal(fixed, req)
}

var idFields = map[string]int{
	"traceId": 16, "trace_id": 16, "spanId": 8, "span_id": 8, "parentSpanId": 8, "parent_span_id": 8,
}

// maxJSONDepth is encoding/json's own nesting limit: attribute values
// (kvlists in arrays in kvlists) are accepted as deep as the decoders
// take them, as for protobuf, whose decoder stops at 10,000 messages.
const maxJSONDepth = 10000

// hexIDs rewrites hex id strings to base64 in place; an id that is not
// hex of the right length becomes one that validate rejects.
func hexIDs(v any, depth int) error {
	if depth > maxJSONDepth {
		return errors.New("JSON nested too deeply")
	}
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if n, ok := idFields[k]; ok {
				if s, ok := e.(string); ok {
					if s == "" {
						continue
					}
					b, err := hex.DecodeString(s)
					if err != nil || len(b) != n {
						// As protobuf does with an id of the wrong length:
						// validate rejects this span alone (partial success).
						b = []byte{0}
					}
					x[k] = base64.StdEncoding.EncodeToString(b)
					continue
				}
			}
			if err := hexIDs(e, depth+1); err != nil {
				return err
			}
		}
	case []any:
		for _, e := range x {
			if err := hexIDs(e, depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}

// validate drops spans without a valid trace id, span id or parent id, and
// reports how many were dropped and why (OTLP partial success).
func validate(req *coltracepb.ExportTraceServiceRequest, encoded [][]byte) (rejected int64, msg string, keptEncoded [][]byte) {
	// encoded pairs with the spans in order, or is dropped (below).
	i := 0
	for _, rs := range req.GetResourceSpans() {
		for _, ss := range rs.GetScopeSpans() {
			kept := ss.Spans[:0]
			for _, sp := range ss.GetSpans() {
				var enc []byte
				if i < len(encoded) {
					enc = encoded[i]
				}
				i++
				switch {
				case sp == nil:
					continue
				case len(sp.GetTraceId()) != 16 || allZero(sp.GetTraceId()):
					msg = "span with an invalid trace_id"
				case len(sp.GetSpanId()) != 8 || allZero(sp.GetSpanId()):
					msg = "span with an invalid span_id"
				case len(sp.GetParentSpanId()) != 0 && len(sp.GetParentSpanId()) != 8:
					msg = "span with an invalid parent_span_id"
				default:
					kept = append(kept, sp)
					if encoded != nil {
						keptEncoded = append(keptEncoded, enc)
					}
					continue
				}
				rejected++
			}
			clear(ss.Spans[len(kept):])
			ss.Spans = kept
		}
	}
	if rejected > 0 {
		msg = fmt.Sprintf("%d spans rejected; last reason: %s", rejected, msg)
	}
	if i != len(encoded) {
		keptEncoded = nil // not one encoding per span
	}
	return rejected, msg, keptEncoded
}

// spanBytes returns the encoding of each span of a protobuf
// ExportTraceServiceRequest, in the order proto.Unmarshal decodes them:
// resource_spans (field 1), their scope_spans (field 2), their spans (field
// 2). It returns nil for a body it cannot walk.
func spanBytes(b []byte) [][]byte {
	var out [][]byte
	ok := eachField(b, 1, func(rs []byte) bool {
		return eachField(rs, 2, func(ss []byte) bool {
			return eachField(ss, 2, func(sp []byte) bool {
				out = append(out, sp)
				return true
			})
		})
	})
	if !ok {
		return nil
	}
	return out
}

// eachField calls fn with the value of each occurrence of the
// length-delimited field num in the message b, in order, and reports
// whether b was well formed and fn returned true each time.
func eachField(b []byte, num protowire.Number, fn func([]byte) bool) bool {
	for len(b) > 0 {
		n, typ, l := protowire.ConsumeTag(b)
		if l < 0 {
			return false
		}
		b = b[l:]
		if n == num && typ == protowire.BytesType {
			v, l := protowire.ConsumeBytes(b)
			if l < 0 || !fn(v) {
				return false
			}
			b = b[l:]
			continue
		}
		l = protowire.ConsumeFieldValue(n, typ, b)
		if l < 0 {
			return false
		}
		b = b[l:]
	}
	return true
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

func writeStatus(w http.ResponseWriter, mt string, code int, msg string) {
	writeProto(w, mt, code, &spb.Status{Code: int32(grpcCode(code)), Message: msg})
}

func grpcCode(httpCode int) codes.Code {
	switch httpCode {
	case http.StatusBadRequest:
		return codes.InvalidArgument
	case http.StatusRequestEntityTooLarge:
		return codes.ResourceExhausted
	case http.StatusServiceUnavailable:
		return codes.Unavailable
	case http.StatusUnsupportedMediaType, http.StatusMethodNotAllowed:
		return codes.Unimplemented
	}
	return codes.Unknown
}

func writeProto(w http.ResponseWriter, mt string, code int, m proto.Message) {
	var b []byte
	var err error
	if mt == ctProtobuf {
		b, err = proto.Marshal(m)
	} else {
		mt = ctJSON
		b, err = protojson.Marshal(m)
	}
	if err != nil {
		http.Error(w, "encoding response", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", mt)
	w.WriteHeader(code)
	w.Write(b)
}

// retryAfter is how long a client is asked to wait after a storage fault
// (503 with Retry-After, gRPC Unavailable with RetryInfo): long enough for
// a database restart or a failover to make progress, short enough that an
// exporter's queue does not fill.
const (
	retryAfter        = 3 * time.Second
	retryAfterSeconds = "3"
)

// unavailable is the gRPC error of a storage fault: Unavailable, which
// OTLP exporters retry, with the delay to wait in RetryInfo.
func unavailable(msg string) error {
	st := status.New(codes.Unavailable, msg)
	if d, err := st.WithDetails(&errdetails.RetryInfo{RetryDelay: durationpb.New(retryAfter)}); err == nil {
		st = d
	}
	return st.Err()
}
