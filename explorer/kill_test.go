package explorer_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/traceai-go/traceai/explorer"
	"github.com/traceai-go/traceai/explorer/internal/synth"
	"github.com/traceai-go/traceai/explorer/store"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

// TestKillChild is the child of TestKill9AfterAck: it serves the explorer on
// the database named in the environment until killed.
func TestKillChild(t *testing.T) {
	db := os.Getenv("TRACEAI_KILL_CHILD_DB")
	if db == "" {
		t.Skip("runs only as the child of TestKill9AfterAck")
	}
	x, err := explorer.New(explorer.WithDBPath(db), explorer.WithHTTPAddr(explorer.Off), explorer.WithOTLPHTTPAddr("127.0.0.1:0"), explorer.WithOTLPGRPCAddr(explorer.Off))
	if err != nil {
		t.Fatal(err)
	}
	if err := x.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	fmt.Printf("ENDPOINT %s\n", x.OTLPHTTPEndpoint())
	select {} // until SIGKILL
}

// TestKill9AfterAck kills the receiving process with SIGKILL right after
// its last 200 and checks that every acknowledged span is in the database.
func TestKill9AfterAck(t *testing.T) {
	db := filepath.Join(t.TempDir(), "kill.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestKillChild$", "-test.v")
	cmd.Env = append(os.Environ(), "TRACEAI_KILL_CHILD_DB="+db)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	endpoint := ""
	sc := bufio.NewScanner(out)
	deadline := time.AfterFunc(60*time.Second, func() { cmd.Process.Kill() })
	for sc.Scan() {
		if e, ok := strings.CutPrefix(sc.Text(), "ENDPOINT "); ok {
			endpoint = e
			break
		}
	}
	deadline.Stop()
	if endpoint == "" {
		t.Fatal("child did not start")
	}
	go func() {
		for sc.Scan() {
		}
	}()
	sent := 0
	err = synth.Batch(synth.BatchOptions{Sessions: 40, Users: 7, TurnsPerSession: 6, SpansPerTurn: 4, Seed: 3}, 512,
		func(rs []*tracepb.ResourceSpans) error {
			body, _ := proto.Marshal(&coltracepb.ExportTraceServiceRequest{ResourceSpans: rs})
			if code, b := post(t, endpoint+"/v1/traces", "application/x-protobuf", "", body); code != 200 {
				return fmt.Errorf("%d %s", code, b)
			}
			for _, r := range rs {
				for _, ss := range r.ScopeSpans {
					sent += len(ss.Spans)
				}
			}
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Process.Kill(); err != nil { // SIGKILL right after the last 200
		t.Fatal(err)
	}
	cmd.Wait()

	st, err := store.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if n := dbCount(t, db, `SELECT count(*) FROM spans`); n != sent || sent != 40*6*4 {
		t.Errorf("%d spans in the database after SIGKILL, %d acknowledged", n, sent)
	}
	o, err := st.Overview(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if o.Sessions != 40 || o.Users != 7 || o.Traces != 240 {
		t.Errorf("aggregates after SIGKILL: %+v", o)
	}
}
