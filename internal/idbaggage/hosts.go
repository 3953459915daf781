package idbaggage

import (
	"fmt"
	"net"
	"net/netip"
	"strings"

	"go.opentelemetry.io/otel"
)

// Hosts is an allow-list of destinations that may receive session and user
// ids. The zero value allows nothing; NewHosts with loopback true allows
// localhost and loopback addresses.
type Hosts struct {
	loopback bool
	names    map[string]bool // host, any port
	hostPort map[string]bool // host:port
	suffixes []string        // ".example.internal" from "*.example.internal"
	prefixes []netip.Prefix
}

// NewHosts returns an allow-list. Each pattern is a host name or IP address
// ("billing.internal", "10.1.2.3": any port), a host and port
// ("billing.internal:8443"), a wildcard for subdomains ("*.svc.cluster.local"
// matches a.svc.cluster.local, not svc.cluster.local itself) or a CIDR
// prefix ("10.0.0.0/8"). Matching ignores case. Invalid patterns are
// reported to otel.Handle and skipped.
func NewHosts(loopback bool, patterns ...string) *Hosts {
	h := &Hosts{loopback: loopback, names: map[string]bool{}, hostPort: map[string]bool{}}
	for _, p := range patterns {
		if err := h.add(p); err != nil {
			otel.Handle(err)
		}
	}
	return h
}

func normHost(s string) string {
	return strings.TrimSuffix(strings.ToLower(strings.Trim(s, "[]")), ".")
}

func (h *Hosts) add(p string) error {
	p = strings.TrimSpace(p)
	switch {
	case p == "" || p == "*":
		return fmt.Errorf("traceai: allowed host %q is not a host, host:port, *.domain or CIDR pattern; skipped", p)
	case strings.Contains(p, "/"):
		pf, err := netip.ParsePrefix(p)
		if err != nil {
			return fmt.Errorf("traceai: allowed host %q: %v; skipped", p, err)
		}
		h.prefixes = append(h.prefixes, pf.Masked())
	case strings.HasPrefix(p, "*."):
		if len(p) < 3 {
			return fmt.Errorf("traceai: allowed host %q has an empty domain; skipped", p)
		}
		h.suffixes = append(h.suffixes, normHost(p[1:]))
	default:
		if host, port, err := net.SplitHostPort(p); err == nil {
			if host == "" || port == "" {
				return fmt.Errorf("traceai: allowed host %q has an empty host or port; skipped", p)
			}
			h.hostPort[normHost(host)+":"+port] = true
			return nil
		}
		if strings.ContainsAny(p, "*?,; ") {
			return fmt.Errorf("traceai: allowed host %q is not a host, host:port, *.domain or CIDR pattern; skipped", p)
		}
		h.names[normHost(p)] = true
	}
	return nil
}

// Allowed reports whether hostport ("host", "host:port", "[::1]:80") may
// receive ids.
func (h *Hosts) Allowed(hostport string) bool {
	if h == nil || hostport == "" {
		return false
	}
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		host, port = hostport, ""
	}
	host = normHost(host)
	if host == "" {
		return false
	}
	if h.names[host] || port != "" && h.hostPort[host+":"+port] {
		return true
	}
	for _, s := range h.suffixes {
		if strings.HasSuffix(host, s) && len(host) > len(s) {
			return true
		}
	}
	ip, ipErr := netip.ParseAddr(host)
	if h.loopback {
		if host == "localhost" || strings.HasSuffix(host, ".localhost") || ipErr == nil && ip.Unmap().IsLoopback() {
			return true
		}
	}
	if ipErr == nil {
		ip = ip.Unmap().WithZone("")
		for _, pf := range h.prefixes {
			if pf.Contains(ip) {
				return true
			}
		}
	}
	return false
}
