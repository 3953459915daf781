package explorer_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/traceai-go/traceai/explorer"
	"google.golang.org/protobuf/proto"
)

// FuzzOTLPHTTP feeds arbitrary bodies to /v1/traces: the receiver answers
// 200, 400 or 413, never panics, and spans stored before stay stored.
func FuzzOTLPHTTP(f *testing.F) {
	good, _ := proto.Marshal(sampleRequest(&testing.T{}, "seed"))
	js, _ := otlpJSON(sampleRequest(&testing.T{}, "seed-json").ResourceSpans)
	f.Add(good, false)
	f.Add(js, true)
	f.Add(good[:len(good)/3], false)
	f.Add([]byte(`{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"0102030405060708","name":"x"}]}]}]}`), true)
	f.Add([]byte(`{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"00","spanId":1}]}]}]}`), true)
	f.Add([]byte{0x0a, 0x80, 0x80, 0x80, 0x80, 0x10}, false)

	x, err := explorer.New(explorer.WithDBPath(filepath.Join(f.TempDir(), "fuzz.db")), explorer.WithOTLPGRPCAddr(explorer.Off))
	if err != nil {
		f.Fatal(err)
	}
	defer x.Shutdown(context.Background())
	h := x.Handler()
	post := func(body []byte, ct string) int {
		req := httptest.NewRequest("POST", "/v1/traces", bytes.NewReader(body))
		req.Header.Set("Content-Type", ct)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}
	if code := post(good, "application/x-protobuf"); code != 200 {
		f.Fatalf("seed batch: %d", code)
	}
	f.Fuzz(func(t *testing.T, body []byte, isJSON bool) {
		ct := "application/x-protobuf"
		if isJSON {
			ct = "application/json"
		}
		switch code := post(body, ct); code {
		case http.StatusOK, http.StatusBadRequest, http.StatusRequestEntityTooLarge:
		default:
			t.Fatalf("status %d", code)
		}
		d, err := x.Store().GetSession(context.Background(), "seed")
		if err != nil || d.Summary.Traces < 3 {
			t.Fatalf("stored session harmed: %v", err)
		}
	})
}
