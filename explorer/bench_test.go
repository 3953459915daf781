package explorer_test

import (
	"bytes"
	"io"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/traceai-go/traceai/explorer/internal/synth"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

// BenchmarkOTLPIngest measures the whole receiving path: OTLP/HTTP protobuf
// requests of 512 spans (random ids) posted over loopback, decoded,
// validated and stored with the default durability, each answered after its
// flush. One exporter waits for each answer before the next request; four
// post concurrently. Compare with store's BenchmarkIngest, which starts
// from decoded spans.
func BenchmarkOTLPIngest(b *testing.B) {
	for _, exporters := range []int{1, 4} {
		b.Run("exporters="+strconv.Itoa(exporters), func(b *testing.B) { benchOTLP(b, exporters) })
	}
}

func benchOTLP(b *testing.B, exporters int) {
	x := start(b)
	url := x.OTLPHTTPEndpoint() + "/v1/traces"
	var bodies [][]byte
	err := synth.Batch(synth.BatchOptions{Sessions: b.N * 16, Users: b.N * 2, TurnsPerSession: 8, SpansPerTurn: 4,
		Seed: uint64(time.Now().UnixNano())}, 512, func(rs []*tracepb.ResourceSpans) error {
		body, err := proto.Marshal(&coltracepb.ExportTraceServiceRequest{ResourceSpans: rs})
		bodies = append(bodies, body)
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: exporters}}
	work := make(chan []byte)
	var wg sync.WaitGroup
	b.ResetTimer()
	for range exporters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for body := range work {
				resp, err := client.Post(url, "application/x-protobuf", bytes.NewReader(body))
				if err != nil {
					b.Error(err)
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Errorf("status %d", resp.StatusCode)
				}
			}
		}()
	}
	for _, body := range bodies {
		work <- body
	}
	close(work)
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(512*b.N)/b.Elapsed().Seconds(), "spans/s")
}
