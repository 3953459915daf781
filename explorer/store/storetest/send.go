package storetest

import (
	"context"
	"sync"
	"testing"

	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/traceai-go/traceai/explorer/store"
)

// Send ingests batches from exporters goroutines at once, exporter i
// writing to writers[i % len(writers)] (replicas of one database), and
// returns when all are stored: the load of the ingest benchmarks.
func Send(tb testing.TB, exporters int, writers []store.Writer, batches [][]*tracepb.ResourceSpans) {
	ctx := context.Background()
	work := make(chan []*tracepb.ResourceSpans)
	var wg sync.WaitGroup
	for i := range exporters {
		w := writers[i%len(writers)]
		wg.Add(1)
		go func() {
			defer wg.Done()
			for rs := range work {
				if _, err := w.Ingest(ctx, rs); err != nil {
					tb.Error(err)
				}
			}
		}()
	}
	for _, rs := range batches {
		work <- rs
	}
	close(work)
	wg.Wait()
}
