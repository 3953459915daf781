package figrpc

import "testing"

func TestTargetAllowed(t *testing.T) {
	c := newClient([]Option{WithAllowedHosts("rag.internal", "*.svc.cluster.local")})
	for target, want := range map[string]bool{
		"localhost:50051":                              true,
		"127.0.0.1:1":                                  true,
		"[::1]:50051":                                  true,
		"::1":                                          true,
		"dns:///rag.internal:443":                      true,
		"dns://8.8.8.8/rag.internal:443":               true,
		"dns:rag.internal:443":                         true,
		"passthrough:///a.svc.cluster.local:1":         true,
		"unix:///tmp/grpc.sock":                        true,
		"unix-abstract:name":                           true,
		"ipv4:127.0.0.1:1,127.0.0.2:2":                 true,
		"ipv4:127.0.0.1:1,8.8.8.8:2":                   false,
		"api.openai.com:443":                           false,
		"dns:///generativelanguage.googleapis.com:443": false,
		"xds:///billing":                               false,
		"dns://rag.internal":                           false,
		"":                                             false,
	} {
		if got := c.allowed(target); got != want {
			t.Errorf("allowed(%q) = %v, want %v", target, got, want)
		}
	}
	if newClient([]Option{WithLoopback(false)}).allowed("unix:///tmp/s") {
		t.Error("unix socket allowed with WithLoopback(false)")
	}
}
