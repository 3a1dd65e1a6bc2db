// Package forwarded tells who a request really came from when the server runs behind reverse proxies or load
// balancers: the client's address (X-Forwarded-For, or RFC 7239 Forwarded for=), the scheme it used (https or http:
// X-Forwarded-Proto, Forwarded proto=) and the host it asked for (X-Forwarded-Host, Forwarded host=). Those headers
// are believed only when the TCP peer is a configured trusted proxy, and only as far back along the chain as the
// hops stay trusted: anyone can send the headers, so from anyone else they are ignored.
//
// A Resolver is immutable after New: its methods are safe to call from several goroutines.
package forwarded

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// ErrBadProxy is returned by New for a trusted proxy that is neither a CIDR prefix nor an IP address.
var ErrBadProxy = errors.New("forwarded: bad trusted proxy")

// Resolver resolves the client's address, scheme and host of requests.
type Resolver struct {
	trusted []netip.Prefix // static after New
}

// New makes a Resolver that trusts the forwarding headers of peers within the given CIDR prefixes ("10.0.0.0/8") or
// addresses ("192.0.2.7"). None: every header is ignored, and the TCP peer is the client.
func New(trusted []string) (*Resolver, error) {
	r := &Resolver{}
	for _, s := range trusted {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if p, err := netip.ParsePrefix(s); err == nil {
			r.trusted = append(r.trusted, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("%w %q: want a CIDR prefix (10.0.0.0/8) or an address", ErrBadProxy, s)
		}
		a = a.Unmap()
		r.trusted = append(r.trusted, netip.PrefixFrom(a, a.BitLen()))
	}
	return r, nil
}

// Trusted reports whether a is a trusted proxy.
func (r *Resolver) Trusted(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range r.trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// Peer is the TCP peer's address (the zero Addr when RemoteAddr does not parse, as with some test requests).
func Peer(req *http.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(req.RemoteAddr)
	if err == nil {
		return ap.Addr().Unmap()
	}
	host, _, err := net.SplitHostPort(req.RemoteAddr)
	if err != nil {
		host = req.RemoteAddr
	}
	a, _ := netip.ParseAddr(strings.Trim(host, "[]"))
	return a.Unmap()
}

// hop is one element of the forwarding chain: the address a proxy received the request from, and what that proxy
// says of the request (scheme, host; empty when it said nothing).
type hop struct {
	addr  netip.Addr
	proto string
	host  string
}

// chain returns the forwarding chain, client first, nearest proxy last; nil without forwarding headers. Forwarded
// wins over the X-Forwarded-* headers when both are present. bad is the index of the nearest element whose address
// does not parse (-1: none): the chain is believed only after it.
func chain(req *http.Request) (hops []hop, bad int) {
	bad = -1
	if fw := req.Header.Values("Forwarded"); len(fw) > 0 {
		for _, line := range fw {
			for _, el := range splitList(line) {
				h := hop{}
				ok := false
				for _, pair := range strings.Split(el, ";") {
					k, v, _ := strings.Cut(strings.TrimSpace(pair), "=")
					v = strings.Trim(strings.TrimSpace(v), `"`)
					switch strings.ToLower(strings.TrimSpace(k)) {
					case "for":
						h.addr, ok = parseNode(v)
					case "proto":
						h.proto = strings.ToLower(v)
					case "host":
						h.host = v
					}
				}
				if !ok {
					bad = len(hops)
				}
				hops = append(hops, h)
			}
		}
		return hops, bad
	}
	for _, line := range req.Header.Values("X-Forwarded-For") {
		for _, el := range splitList(line) {
			a, ok := parseNode(el)
			if !ok {
				bad = len(hops)
			}
			hops = append(hops, hop{addr: a})
		}
	}
	if len(hops) == 0 {
		return nil, -1
	}
	// X-Forwarded-Proto and -Host: one value per hop when a proxy chain appends them, else (as most proxies do) one
	// value set by the nearest proxy, which is the one it received, from the client or from a trusted proxy that said
	// the same.
	spread := func(header string, set func(h *hop, v string)) {
		var vals []string
		for _, line := range req.Header.Values(header) {
			vals = append(vals, splitList(line)...)
		}
		switch {
		case len(vals) == len(hops):
			for i, v := range vals {
				set(&hops[i], v)
			}
		case len(vals) > 0:
			for i := range hops {
				set(&hops[i], vals[len(vals)-1])
			}
		}
	}
	spread("X-Forwarded-Proto", func(h *hop, v string) { h.proto = strings.ToLower(v) })
	spread("X-Forwarded-Host", func(h *hop, v string) { h.host = v })
	return hops, bad
}

// splitList splits a comma-separated header value, dropping empty elements.
func splitList(s string) []string {
	var out []string
	for _, el := range strings.Split(s, ",") {
		if el = strings.TrimSpace(el); el != "" {
			out = append(out, el)
		}
	}
	return out
}

// parseNode parses an address as X-Forwarded-For or Forwarded for= give it: "192.0.2.1", "192.0.2.1:4711",
// "[2001:db8::1]", "[2001:db8::1]:4711" or "2001:db8::1". "unknown" and obfuscated names do not parse.
func parseNode(s string) (netip.Addr, bool) {
	s = strings.Trim(strings.TrimSpace(s), `"`)
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), true
	}
	if strings.HasPrefix(s, "[") {
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return netip.Addr{}, false
		}
		s = s[1:end]
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

// resolve walks the chain from the nearest hop back while each hop is a trusted proxy, and returns the index of the
// first hop not vouched for by a trusted proxy's successor: the client. -1: the peer is the client.
func (r *Resolver) resolve(req *http.Request) (hops []hop, client int) {
	peer := Peer(req)
	if !peer.IsValid() || !r.Trusted(peer) {
		return nil, -1
	}
	hops, bad := chain(req)
	client = -1
	for i := len(hops) - 1; i >= 0; i-- {
		if i == bad {
			break // unparseable: believe nothing further back; the hop after it is as far as we know
		}
		client = i
		if !r.Trusted(hops[i].addr) {
			break
		}
	}
	return hops, client
}

// ClientIP is the address of the client the request came from: the TCP peer, unless the peer is a trusted proxy;
// then the nearest address in its forwarding chain that is not itself a trusted proxy (or the farthest believable
// one, when every hop is trusted). The zero Addr only when RemoteAddr does not parse.
func (r *Resolver) ClientIP(req *http.Request) netip.Addr {
	hops, i := r.resolve(req)
	if i < 0 {
		return Peer(req)
	}
	return hops[i].addr
}

// Scheme is "https" or "http": what the client used to reach the first trusted proxy as that proxy reports it, or
// the server's own connection (TLS or not) when the peer is not a trusted proxy or no proxy said.
func (r *Resolver) Scheme(req *http.Request) string {
	if hops, i := r.resolve(req); i >= 0 {
		switch hops[i].proto {
		case "https", "wss":
			return "https"
		case "http", "ws":
			return "http"
		}
	}
	if req.TLS != nil {
		return "https"
	}
	return "http"
}

// Host is the host (and port, if any) the client asked for: the first trusted proxy's forwarded host when it is a
// plausible host[:port], else the request's own Host.
func (r *Resolver) Host(req *http.Request) string {
	if hops, i := r.resolve(req); i >= 0 && validHost(hops[i].host) {
		return hops[i].host
	}
	return req.Host
}

// validHost accepts a host name, IPv4 address or bracketed IPv6 address with an optional port: nothing that could
// turn a URL built from it into another URL (no slash, @, space, quote or control character).
func validHost(h string) bool {
	if h == "" || len(h) > 255 {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '-', c == ':',
			c == '[', c == ']', c == '_':
		default:
			return false
		}
	}
	return true
}
