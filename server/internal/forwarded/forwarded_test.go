package forwarded

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestResolver(t *testing.T) {
	r, err := New([]string{"10.0.0.0/8", "192.0.2.7", " ", "2001:db8::/32"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		peer   string
		header map[string][]string
		tls    bool
		ip     string
		scheme string
		host   string
	}{
		{name: "no proxy, no headers", peer: "203.0.113.5:1234", ip: "203.0.113.5", scheme: "http", host: "game.example"},
		{name: "untrusted peer's headers are ignored", peer: "203.0.113.5:1234",
			header: map[string][]string{"X-Forwarded-For": {"1.2.3.4"}, "X-Forwarded-Proto": {"https"},
				"X-Forwarded-Host": {"evil.example"}},
			ip: "203.0.113.5", scheme: "http", host: "game.example"},
		{name: "own TLS", peer: "203.0.113.5:1234", tls: true, ip: "203.0.113.5", scheme: "https", host: "game.example"},
		{name: "trusted proxy", peer: "10.1.2.3:5555",
			header: map[string][]string{"X-Forwarded-For": {"198.51.100.9"}, "X-Forwarded-Proto": {"https"},
				"X-Forwarded-Host": {"play.example:8443"}},
			ip: "198.51.100.9", scheme: "https", host: "play.example:8443"},
		{name: "spoofed left part of the chain is skipped", peer: "10.1.2.3:5555",
			header: map[string][]string{"X-Forwarded-For": {"6.6.6.6, 198.51.100.9", "10.9.9.9"}},
			ip:     "198.51.100.9", scheme: "http", host: "game.example"},
		{name: "all hops trusted: the farthest", peer: "10.1.2.3:5555",
			header: map[string][]string{"X-Forwarded-For": {"10.4.4.4, 192.0.2.7"}},
			ip:     "10.4.4.4", scheme: "http", host: "game.example"},
		{name: "garbage nearest hop: the peer", peer: "10.1.2.3:5555",
			header: map[string][]string{"X-Forwarded-For": {"198.51.100.9, bogus"}},
			ip:     "10.1.2.3", scheme: "http", host: "game.example"},
		{name: "garbage farther back: the hop after it", peer: "10.1.2.3:5555",
			header: map[string][]string{"X-Forwarded-For": {"bogus, 10.5.5.5"}},
			ip:     "10.5.5.5", scheme: "http", host: "game.example"},
		{name: "per-hop proto list", peer: "10.1.2.3:5555",
			header: map[string][]string{"X-Forwarded-For": {"198.51.100.9, 10.5.5.5"}, "X-Forwarded-Proto": {"https, http"}},
			ip:     "198.51.100.9", scheme: "https", host: "game.example"},
		{name: "bad forwarded host is ignored", peer: "10.1.2.3:5555",
			header: map[string][]string{"X-Forwarded-For": {"198.51.100.9"}, "X-Forwarded-Host": {"evil.example/x@y"}},
			ip:     "198.51.100.9", scheme: "http", host: "game.example"},
		{name: "RFC 7239", peer: "[2001:db8::1]:443",
			header: map[string][]string{"Forwarded": {`for="[2001:db8:cafe::17]:4711";proto=https;host=play.example`,
				"for=10.0.0.1"}, "X-Forwarded-For": {"6.6.6.6"}},
			ip: "2001:db8:cafe::17", scheme: "https", host: "play.example"},
		{name: "RFC 7239 unknown", peer: "10.1.2.3:5555",
			header: map[string][]string{"Forwarded": {"for=unknown, for=10.0.0.9;proto=https"}},
			ip:     "10.0.0.9", scheme: "https", host: "game.example"},
		{name: "IPv4-mapped peer", peer: "[::ffff:10.1.2.3]:5555",
			header: map[string][]string{"X-Forwarded-For": {"198.51.100.9:777"}},
			ip:     "198.51.100.9", scheme: "http", host: "game.example"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, "http://game.example/ws", nil)
			req.RemoteAddr = tt.peer
			for k, vs := range tt.header {
				for _, v := range vs {
					req.Header.Add(k, v)
				}
			}
			if tt.tls {
				req.TLS = &tls.ConnectionState{}
			}
			if got := r.ClientIP(req).String(); got != tt.ip {
				t.Errorf("ClientIP = %s, want %s", got, tt.ip)
			}
			if got := r.Scheme(req); got != tt.scheme {
				t.Errorf("Scheme = %s, want %s", got, tt.scheme)
			}
			if got := r.Host(req); got != tt.host {
				t.Errorf("Host = %s, want %s", got, tt.host)
			}
		})
	}
}

func TestNewRejectsNonsense(t *testing.T) {
	for _, s := range []string{"10.0.0.0/33", "proxy.example", "10.0.0"} {
		if _, err := New([]string{s}); err == nil {
			t.Errorf("New(%q) accepted", s)
		}
	}
}

// With no trusted proxy, every header is ignored.
func TestNoTrustedProxy(t *testing.T) {
	r, err := New(nil)
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodGet, "http://game.example/ws", nil)
	req.RemoteAddr = "127.0.0.1:1"
	req.Header.Set("X-Forwarded-For", "1.2.3.4")
	if got := r.ClientIP(req).String(); got != "127.0.0.1" {
		t.Errorf("ClientIP = %s", got)
	}
}

func FuzzResolver(f *testing.F) {
	f.Add("10.1.2.3:5555", "198.51.100.9, 10.5.5.5", `for="[2001:db8:cafe::17]:4711";proto=https`, "https")
	f.Add("203.0.113.5:1", "", "", "")
	r, _ := New([]string{"10.0.0.0/8"})
	f.Fuzz(func(t *testing.T, peer, xff, fwd, proto string) {
		req := httptest.NewRequest(http.MethodGet, "http://game.example/ws", nil)
		req.RemoteAddr = peer
		req.Header.Set("X-Forwarded-For", xff)
		req.Header.Set("X-Forwarded-Proto", proto)
		if fwd != "" {
			req.Header.Set("Forwarded", fwd)
		}
		_ = r.ClientIP(req)
		if s := r.Scheme(req); s != "http" && s != "https" {
			t.Fatalf("scheme %q", s)
		}
		if h := r.Host(req); h != req.Host && !validHost(h) {
			t.Fatalf("host %q", h)
		}
	})
}
