package server

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/tickwire/tickwire/server/internal/limits"
	"github.com/tickwire/tickwire/server/internal/matchmaker"
	"github.com/tickwire/tickwire/server/internal/metrics"
)

// newLimiter builds the limits from the config and exports their gauges.
func (s *Server) newLimiter() *limits.Limiter {
	c := s.cfg
	l := limits.New(limits.Config{
		Sources:            c.LimitSources,
		SourceConnections:  c.SourceConnections,
		SourceUpgradeRate:  c.SourceUpgradeRate,
		SourceUpgradeBurst: c.SourceUpgradeBurst,
		SourceHTTPConns:    c.SourceHTTPConns,
		SourceTickets:      c.SourceTickets,
		SourceCodeMisses:   c.SourceCodeMisses,
		CodeMissRefill:     c.CodeMissRefill,
		SourceAuthFailures: c.SourceAuthFailures,
		AuthFailRefill:     c.AuthFailRefill,
		Handshakes:         c.MaxHandshakes,
		HTTPConns:          c.MaxHTTPConns,
		LongPolls:          c.MaxLongPolls,
		Rooms:              c.MaxRooms,
		ModeRooms:          c.MaxModeRooms,
		RoomRate:           c.RoomRate,
		RoomBurst:          c.RoomBurst,
		OnRefuse:           func(r limits.Reason) { s.metrics.LimitRefused(string(r)) },
	})
	s.metrics.RegisterLimits(func() metrics.LimitStats {
		table, holding := l.Len()
		return metrics.LimitStats{Handshaking: l.Handshaking(), HTTPConns: l.HTTPConnsOpen(),
			LongPolls: l.LongPollsOpen(), Sources: table, SourcesHolding: holding}
	})
	return l
}

// connState counts HTTP connections (http.Server.ConnState): a new one over the server-wide cap, or over its
// source's cap, is answered 503 or 429 and closed at once; a connection stops counting when it closes or is
// upgraded (hijacked). The per-source cap goes by the TCP peer (no header has been read yet) and does not apply to
// trusted proxies, which carry many clients.
func (s *Server) connState(c net.Conn, st http.ConnState) {
	switch st {
	case http.StateNew:
		peer := peerOf(c)
		hold, why := s.lim.HTTPConn(peer, !s.fwd.Trusted(peer))
		if why == "" {
			s.httpConns.Store(c, hold)
			return
		}
		status := "429 Too Many Requests"
		if why == limits.HTTPConns {
			status = "503 Service Unavailable"
		}
		// A new socket's send buffer is empty: this write does not block the accept loop, which runs this hook. A TLS
		// connection would first need its handshake, which must not run here: it is closed without an answer.
		if _, isTLS := c.(*tls.Conn); !isTLS {
			_ = c.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
			_, _ = io.WriteString(c, "HTTP/1.1 "+status+"\r\nRetry-After: 1\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
		}
		_ = c.Close()
	case http.StateHijacked, http.StateClosed:
		if h, ok := s.httpConns.LoadAndDelete(c); ok {
			s.lim.HTTPConnDone(h.(*limits.Hold))
		}
	}
}

func peerOf(c net.Conn) netip.Addr {
	if ta, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		a, _ := netip.AddrFromSlice(ta.IP)
		return a.Unmap()
	}
	ap, _ := netip.ParseAddrPort(c.RemoteAddr().String())
	return ap.Addr().Unmap()
}

// limitHTTP applies the request-level limits in front of the mux: the service API's budget of failed
// authentications per source (429 once spent; every 401 spends one), the long-poll cap (503), and the ticket size
// (413). Tickets per source and private-code misses are counted by the matchmaker through TicketGate.
func (s *Server) limitHTTP(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path := r.URL.Path
		switch {
		case strings.HasPrefix(path, "/v1/service/"):
			ip := s.fwd.ClientIP(r)
			if why := s.lim.AuthAllowed(ip, time.Now()); why != "" {
				tooMany(w, "too many failed authentications from your address")
				return
			}
			sw := &statusWriter{ResponseWriter: w}
			next.ServeHTTP(sw, r)
			if sw.status == http.StatusUnauthorized {
				s.lim.AuthFailed(ip, time.Now())
			}
			return
		case r.Method == http.MethodPost && path == "/v1/matchmaking/tickets" && s.cfg.MaxTicketBytes > 0:
			max := int64(s.cfg.MaxTicketBytes)
			if r.ContentLength > max {
				s.ticketTooLarge(w)
				return
			}
			body, err := io.ReadAll(io.LimitReader(r.Body, max+1))
			if int64(len(body)) > max {
				s.ticketTooLarge(w)
				return
			}
			if err != nil {
				matchmaker.WriteError(w, http.StatusBadRequest, "bad_request", "cannot read the body: "+err.Error())
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
		case r.Method == http.MethodGet && strings.HasPrefix(path, "/v1/matchmaking/tickets/") &&
			r.URL.Query().Get("wait") != "":
			done, why := s.lim.LongPoll()
			if why != "" {
				w.Header().Set("Retry-After", "1")
				matchmaker.WriteError(w, http.StatusServiceUnavailable, "busy", "too many long-polls; poll again later")
				return
			}
			defer done()
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) ticketTooLarge(w http.ResponseWriter) {
	s.lim.TicketBytesRefused()
	w.Header().Set("Connection", "close") // the rest of the body is not read
	matchmaker.WriteError(w, http.StatusRequestEntityTooLarge, "too_large", "the ticket is larger than the limit")
}

func tooMany(w http.ResponseWriter, msg string) {
	w.Header().Set("Retry-After", "10")
	matchmaker.WriteError(w, http.StatusTooManyRequests, "too_many_requests", msg)
}

// statusWriter records the status a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Hijack lets the service API's event stream upgrade through the wrapper.
func (w *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	hj, ok := w.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("server: the connection cannot be hijacked")
	}
	if w.status == 0 {
		w.status = http.StatusSwitchingProtocols
	}
	return hj.Hijack()
}

// Unwrap lets http.ResponseController reach the connection (flushes, hijacks, deadlines of event streams).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// ticketGate admits matchmaking tickets per source (see matchmaker.Config.Gate).
type ticketGate struct{ s *Server }

func (g ticketGate) Admit(r *http.Request, withCode bool) (matchmaker.TicketHold, error) {
	h, why := g.s.lim.Ticket(g.s.fwd.ClientIP(r), withCode, time.Now())
	switch why {
	case "":
		return ticketHold{l: g.s.lim, h: h}, nil
	case limits.SourceCodeGuesses:
		return nil, matchmaker.ErrTooManyCodeMisses
	}
	return nil, matchmaker.ErrTooManyTickets
}

type ticketHold struct {
	l *limits.Limiter
	h *limits.Hold
}

func (t ticketHold) Done()       { t.h.Release() }
func (t ticketHold) CodeMissed() { t.l.CodeMissed(t.h, time.Now()) }
