package server

import (
	"context"
	"net/http"
	"time"

	"github.com/tickwire/tickwire/server/internal/matchmaker"
)

// drain shuts the server down in the order that loses nothing a client was promised, each step bounded:
//
//  1. The state turns draining: /readyz answers 503 (a load balancer takes the server out of rotation), ticket
//     submissions are refused with 503 (Retry-After), quick play with 1001; the listeners stay open, so that players
//     of the running rooms can still resume, and players placed just before the drain can join with their token.
//  2. The matchmaker stops placing, and every queued ticket is answered: status "failed", error
//     matchmaker.DrainError (submit again). No new room is created from here on.
//  3. Running rooms play on for up to Config.DrainTimeout, so that matches end by themselves; the rooms still running
//     then are ended ("server_shutdown"). Either way every player gets its room's MatchResult, then 4509.
//  4. Service event streams receive the match_ended (and player_left) events of those rooms, then 1001.
//  5. Only then are the remaining sockets closed (1001: handshakes in progress), the listeners closed, and the admin
//     listener last, so that metrics can be scraped during the drain.
//
// Steps 3 (after the drain timeout) to 5 share Config.ShutdownTimeout; what is still open at its end is dropped.
func (s *Server) drain(hs, as *http.Server, stopMM func(), mmDone <-chan struct{}) {
	s.state.Store(int32(StateDraining))
	start := time.Now()
	s.log.Info("draining", "connections", s.ws.Len(), "rooms", s.dir.Len(), "drain_timeout", s.cfg.DrainTimeout)
	stopMM()
	<-mmDone
	if s.node != nil {
		s.node.Leave() // peers stop placing rooms here; another node takes the matchmaking lease
		s.migrate()    // live migration: the rooms continue on the other nodes
	}
	s.dir.Drain()
	answered := s.stack.Matchmaker.Drain()
	if s.cfg.DrainTimeout > 0 && s.dir.Len() > 0 {
		ctx, cancel := context.WithTimeout(context.Background(), s.cfg.DrainTimeout)
		if s.dir.Wait(ctx) != nil {
			s.log.Info("drain timeout: ending the rooms still running", "rooms", s.dir.Len())
		}
		cancel()
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	if err := s.dir.Close(ctx, "server_shutdown"); err != nil {
		s.log.Warn("rooms still running at the shutdown deadline", "err", err)
	}
	s.closeRecord()
	answered += s.stack.Matchmaker.Drain() // a submission that raced the state change
	s.stack.Close()                        // event streams: the rooms' last events, then 1001
	if s.node != nil {
		s.node.Close()
	}
	if err := s.ws.Shutdown(ctx); err != nil {
		s.log.Warn("connections still open at the shutdown deadline were dropped", "err", err)
	}
	_ = hs.Shutdown(ctx)
	_ = hs.Close()
	if as != nil {
		_ = as.Shutdown(ctx)
		_ = as.Close()
	}
	s.state.Store(int32(StateStopped))
	s.log.Info("stopped", "took", time.Since(start).Round(time.Millisecond), "tickets_answered", answered)
}

// whileReady serves h only while the server is ready; while it starts or drains, requests get 503 with Retry-After
// and the API's JSON error (code "draining").
func (s *Server) whileReady(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if st := s.State(); st != StateReady {
			w.Header().Set("Retry-After", "5")
			matchmaker.WriteError(w, http.StatusServiceUnavailable, "draining", "the server is "+st.String())
			return
		}
		h.ServeHTTP(w, r)
	})
}

// clientView hands h the request as its client made it: the scheme (in URL.Scheme, which the client cannot choose
// here) and the host, from a trusted proxy's forwarding headers or from the connection itself. The matchmaker's and
// the service API's WebSocket addresses are built from them: wss:// when the client came over TLS.
func (s *Server) clientView(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r2 := new(http.Request)
		*r2 = *r
		u := *r.URL
		u.Scheme = s.fwd.Scheme(r)
		r2.URL = &u
		r2.Host = s.fwd.Host(r)
		h.ServeHTTP(w, r2)
	})
}
