package httpserver

import (
	"fmt"
	"net"
	"strconv"
	"strings"
)

// ListenAddress normalizes an --address value: "9191" means ":9191", as
// the original binaries accepted a bare port.
func ListenAddress(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", fmt.Errorf("listen address is empty: use host:port, :port or a bare port")
	}
	if p, err := strconv.Atoi(s); err == nil {
		if p < 0 || p > 65535 {
			return "", fmt.Errorf("listen address %q: port out of range", s)
		}
		return ":" + s, nil
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return "", fmt.Errorf("listen address %q: use host:port, :port or a bare port: %w", s, err)
	}
	if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		return "", fmt.Errorf("listen address %q: invalid port %q", s, port)
	}
	return net.JoinHostPort(host, port), nil
}

// IsLoopbackAddress reports whether a listen address only accepts
// connections from this machine (or pod).
func IsLoopbackAddress(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
