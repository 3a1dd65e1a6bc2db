package server

import (
	"io"
	"net/http"
)

// routes mounts the public endpoints (the game socket, matchmaking, the room list, health and the demo) and the
// admin ones (admin.go).
func (s *Server) routes() {
	// The game socket stays open while the server drains, for resumes and join tokens into the rooms still running;
	// quick play is refused then (1001).
	s.mux.Handle("GET /ws", s.ws)
	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.mux.HandleFunc("GET /readyz", s.readyz)
	mm := s.clientView(s.stack.Matchmaker.Handler())
	if s.cfg.PublicMatchmaker { // off: 404 there, players come with join tokens from the service API
		tickets := mm
		if s.node != nil { // tickets go to the node holding the matchmaking lease (cluster.go)
			tickets = s.node.ForwardToLeader(mm)
		}
		s.mux.Handle("POST /v1/matchmaking/tickets", s.whileReady(tickets))
		s.mux.Handle("/v1/matchmaking/", tickets)
	}
	s.mux.Handle("GET /v1/rooms", mm)
	if s.cfg.ServiceAPIOn == "public" {
		s.mux.Handle("/v1/service/", s.clientView(s.stack.Service.Handler()))
	}
	// "/" without a method, so that it never conflicts with the method-less API prefixes above; getOnly answers
	// other methods.
	if s.cfg.Static != nil {
		s.mux.Handle("/", getOnly(http.FileServerFS(s.cfg.Static)))
	} else {
		s.mux.Handle("/{$}", getOnly(http.HandlerFunc(s.howToConnect)))
	}
	s.adminRoutes()
}

// healthz answers 200 while the process is alive and not stopped (a liveness probe).
func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	if s.State() == StateStopped {
		http.Error(w, "stopped", http.StatusServiceUnavailable)
		return
	}
	_, _ = io.WriteString(w, "ok\n")
}

// readyz answers 200 only in StateReady (a readiness probe: take the server out of rotation while starting or
// draining); the body is the state's name.
func (s *Server) readyz(w http.ResponseWriter, _ *http.Request) {
	st := s.State()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if st != StateReady {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	_, _ = io.WriteString(w, st.String()+"\n")
}

const howToConnectPage = `<!doctype html>
<meta charset="utf-8">
<title>Tickwire</title>
<h1>Tickwire game server</h1>
<p>This server runs without the browser demo. Game clients connect with a WebSocket to <code>/ws</code> and speak the
protobuf protocol in <code>proto/tickwire.proto</code>: send <code>Hello</code>, then <code>Join</code> (for example
<code>{mode: "arena"}</code>), and receive a <code>Welcome</code> and snapshots.</p>
<p>Health: <a href="/healthz">/healthz</a>, readiness: <a href="/readyz">/readyz</a>.</p>
`

func (s *Server) howToConnect(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = io.WriteString(w, howToConnectPage)
}

// getOnly refuses methods other than GET and HEAD with 405.
func getOnly(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		h.ServeHTTP(w, r)
	})
}
