package traceai_test

import (
	"os/exec"
	"strings"
	"testing"
)

// forbiddenDeps are import path prefixes the SDK and the instrumentation
// packages must not link: OTLP exporters, gRPC, database drivers, the
// explorer and server frameworks. Exporters belong to package traceai
// (Register), which users choose to import.
var forbiddenDeps = []string{
	"go.opentelemetry.io/otel/exporters/",
	"google.golang.org/grpc",
	"modernc.org/sqlite",
	"github.com/jackc/pgx",
	"github.com/lib/pq",
	"github.com/mattn/go-sqlite3",
	"github.com/go-sql-driver/",
	"github.com/traceai-go/traceai/explorer",
	"github.com/gin-gonic/",
	"github.com/labstack/echo",
	"github.com/go-chi/",
	"github.com/gorilla/mux",
	"github.com/gofiber/",
}

func goList(t *testing.T, args ...string) []string {
	t.Helper()
	out, err := exec.Command("go", append([]string{"list"}, args...)...).Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			t.Fatalf("go list %v: %v\n%s", args, err, ee.Stderr)
		}
		t.Skipf("go command unavailable: %v", err)
	}
	return strings.Fields(string(out))
}

// The SDK (fi, fi/semconv) and every instrumentation package but figrpc
// (whose job is gRPC) depend on the OpenTelemetry API and SDK only.
func TestLeanCoreDependencies(t *testing.T) {
	pkgs := []string{"github.com/traceai-go/traceai/fi", "github.com/traceai-go/traceai/fi/semconv"}
	for _, p := range goList(t, "github.com/traceai-go/traceai/instrumentation/...") {
		if !strings.Contains(p, "/instrumentation/figrpc") {
			pkgs = append(pkgs, p)
		}
	}
	if len(pkgs) < 6 {
		t.Fatalf("only %d packages listed: %v", len(pkgs), pkgs)
	}
	for _, p := range pkgs {
		for _, dep := range goList(t, "-deps", p) {
			if dep == "github.com/traceai-go/traceai" {
				t.Errorf("%s imports the root package traceai (and with it the exporters)", p)
			}
			for _, bad := range forbiddenDeps {
				if strings.HasPrefix(dep, bad) {
					t.Errorf("%s depends on %s", p, dep)
				}
			}
		}
	}
}

// The rule's check is real: package traceai itself links the exporters.
func TestLeanCoreDependenciesCheckSeesExporters(t *testing.T) {
	var found bool
	for _, dep := range goList(t, "-deps", "github.com/traceai-go/traceai") {
		found = found || strings.HasPrefix(dep, "go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc")
	}
	if !found {
		t.Fatal("go list -deps of package traceai shows no OTLP/gRPC exporter; the dependency check would see nothing")
	}
}
