package pgstore_test

import (
	"bufio"
	"context"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/traceai-go/traceai/internal/pgtest"
)

const envKillDSN = "TRACEAI_PGSTORE_KILL_DSN"

// TestHelperReplica is the replica TestKillNine kills: it ingests the
// corpus, printing each acknowledged request's span keys.
func TestHelperReplica(t *testing.T) {
	dsn := os.Getenv(envKillDSN)
	if dsn == "" {
		t.Skip("run by TestKillNine")
	}
	st := openPG(t, dsn)
	for _, req := range corpus(t, 6) {
		if _, err := st.Ingest(context.Background(), req); err != nil {
			fmt.Println("error", err)
			continue
		}
		var keys []string
		for _, it := range flatten(req) {
			keys = append(keys, hex.EncodeToString(it.sp.GetTraceId())+":"+hex.EncodeToString(it.sp.GetSpanId()))
		}
		fmt.Println("ack", strings.Join(keys, " "))
	}
	time.Sleep(time.Minute) // killed before
}

// TestKillNine kills a replica (SIGKILL) in the middle of its ingest:
// every span of every request it acknowledged is stored, and the traces
// rows agree with the stored spans (nothing half written).
func TestKillNine(t *testing.T) {
	dsn := pgtest.DSN(t)
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperReplica$")
	cmd.Env = append(os.Environ(), envKillDSN+"="+dsn)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var acked []string
	sc := bufio.NewScanner(out)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if keys, ok := strings.CutPrefix(line, "ack "); ok {
			acked = append(acked, strings.Fields(keys)...)
			if len(acked) >= 200 {
				break
			}
		} else if strings.HasPrefix(line, "error") {
			t.Error(line)
		}
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	if len(acked) < 200 {
		t.Fatalf("the replica acknowledged %d spans before it ended", len(acked))
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	stored := map[string]bool{}
	rows, _ := conn.Query(ctx, `SELECT trace_id || ':' || span_id FROM spans`)
	var k string
	if _, err := pgx.ForEachRow(rows, []any{&k}, func() error { stored[k] = true; return nil }); err != nil {
		t.Fatal(err)
	}
	lost := 0
	for _, k := range acked {
		if !stored[k] {
			lost++
		}
	}
	if lost > 0 {
		t.Errorf("%d of %d acknowledged spans are not stored", lost, len(acked))
	}
	t.Logf("killed after %d acknowledged spans; %d spans stored", len(acked), len(stored))
	checkTraces(t, dsn)
}
