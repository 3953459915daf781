package fibedrock_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependencies: the package itself imports neither the AWS SDK nor
// anything the SDK and instrumentation packages must stay away from (an
// exporter, a database driver, the explorer); the SDK is for tests only.
func TestDependencies(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool")
	}
	out, err := exec.Command(goTool, "list", "-deps", ".").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, banned := range []string{"github.com/aws/", "go.opentelemetry.io/otel/exporters", "google.golang.org/grpc", "modernc.org/sqlite", "github.com/jackc/pgx", "github.com/traceai-go/traceai/explorer"} {
			if strings.HasPrefix(dep, banned) {
				t.Errorf("fibedrock depends on %s", dep)
			}
		}
	}
}
