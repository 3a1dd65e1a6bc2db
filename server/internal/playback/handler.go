package playback

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/server/internal/transport"
)

// Config configures a Handler. Zero values get the defaults listed with each field.
type Config struct {
	// Dir is the record directory (the server's -record) (required).
	Dir string
	// Games make the Sim of a recording, by its mode (required: a recording of another mode cannot be watched).
	Games map[string]game.Factory
	// APIKey, when set, is needed to list and watch (see the package documentation).
	APIKey string
	// MaxPlaybacks bounds the playbacks running at once; more are refused with 503 (4).
	MaxPlaybacks int
	// MaxBytes bounds the files of one recording a playback loads into memory (256 MiB).
	MaxBytes int64
	// AuthTimeout is how long a watch socket without the key in its headers has to send {"op":"auth"} (5s).
	AuthTimeout time.Duration
	// WriteTimeout bounds each write to a viewer (10s): a viewer that reads slower than that is closed.
	WriteTimeout time.Duration
	// Registry, when set, gets the playback metrics (tickwire_playback_*).
	Registry prometheus.Registerer
	Logger   *slog.Logger // slog.Default()
}

func (c *Config) setDefaults() {
	if c.MaxPlaybacks <= 0 {
		c.MaxPlaybacks = 4
	}
	if c.MaxBytes <= 0 {
		c.MaxBytes = 256 << 20
	}
	if c.AuthTimeout <= 0 {
		c.AuthTimeout = 5 * time.Second
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = 10 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// Close codes of the watch socket (as in proto/tickwire.proto's CloseCode).
const (
	CloseGoingAway       = 1001 // the server shuts down
	CloseInternal        = 1011 // the recording cannot be read
	CloseMessageTooBig   = 1009 // the recording is over Config.MaxBytes
	CloseBadFrame        = 4500 // a malformed control, or a binary message
	CloseRoomNotFound    = 4506 // no such recording, or no game for its mode
	CloseRateLimited     = 4508 // controls faster than the playback reads them
	CloseUnauthenticated = 4512 // no key, or a wrong one
)

// ctlQueue bounds the controls waiting for a playback's goroutine.
const ctlQueue = 16

// Handler serves the recordings of a directory: the list and the watch sockets (routes in the package
// documentation). Safe for concurrent use.
type Handler struct {
	// Static after New.
	cfg      Config
	root     *os.Root
	keyHash  [32]byte
	mux      *http.ServeMux
	upgrader *transport.StreamUpgrader
	slots    chan struct{} // one per running playback

	active      prometheus.Gauge
	started     prometheus.Counter
	refused     *prometheus.CounterVec
	divergences prometheus.Counter

	mu       sync.Mutex
	closed   bool                  // guarded by mu
	sessions map[*session]struct{} // guarded by mu
}

// New makes a Handler for the directory cfg.Dir, which must exist.
func New(cfg Config) (*Handler, error) {
	cfg.setDefaults()
	if cfg.Dir == "" {
		return nil, errors.New("playback: no record directory")
	}
	root, err := os.OpenRoot(cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("playback: %w", err)
	}
	h := &Handler{cfg: cfg, root: root, keyHash: sha256.Sum256([]byte(cfg.APIKey)), mux: http.NewServeMux(),
		slots: make(chan struct{}, cfg.MaxPlaybacks), sessions: map[*session]struct{}{},
		active: prometheus.NewGauge(prometheus.GaugeOpts{Name: "tickwire_playback_active",
			Help: "Recordings being watched."}),
		started: prometheus.NewCounter(prometheus.CounterOpts{Name: "tickwire_playback_started_total",
			Help: "Playbacks started."}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tickwire_playback_refused_total",
			Help: "Playback requests and viewers refused, by reason (busy, unauthorized, bad_control, control_flood)."},
			[]string{"reason"}),
		divergences: prometheus.NewCounter(prometheus.CounterOpts{Name: "tickwire_playback_divergences_total",
			Help: "Playbacks whose replay did not reproduce the recording's world hash."}),
	}
	if cfg.Registry != nil {
		for _, c := range []prometheus.Collector{h.active, h.started, h.refused, h.divergences} {
			if err := cfg.Registry.Register(c); err != nil {
				root.Close()
				return nil, fmt.Errorf("playback: metrics: %w", err)
			}
		}
	}
	h.upgrader = transport.NewStreamUpgrader(transport.StreamOptions{
		ReadMaxPayload:   MaxControlBytes,
		ReadBufferSize:   1 << 10,
		HandshakeTimeout: 5 * time.Second,
		WriteTimeout:     cfg.WriteTimeout,
	})
	h.mux.HandleFunc("GET /v1/replays", h.list)
	h.mux.HandleFunc("GET /v1/replays/{id}/watch", h.watch)
	return h, nil
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// Close ends every playback (1001) and refuses new ones.
func (h *Handler) Close() {
	h.mu.Lock()
	h.closed = true
	ss := make([]*session, 0, len(h.sessions))
	for s := range h.sessions {
		ss = append(ss, s)
	}
	h.mu.Unlock()
	for _, s := range ss {
		s.close(CloseGoingAway, "server shutting down")
	}
}

type errorBody struct {
	Error   string `json:"error"`
	Message string `json:"message"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, errorBody{Error: code, Message: msg})
}

// keyOK compares a presented key with the configured one in constant time.
func (h *Handler) keyOK(key string) bool {
	sum := sha256.Sum256([]byte(key))
	return subtle.ConstantTimeCompare(sum[:], h.keyHash[:]) == 1
}

// headerKey is the key in X-API-Key or Authorization: Bearer.
func headerKey(r *http.Request) string {
	if k := r.Header.Get("X-API-Key"); k != "" {
		return k
	}
	if a, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		return a
	}
	return ""
}

func (h *Handler) list(w http.ResponseWriter, r *http.Request) {
	if h.cfg.APIKey != "" && !h.keyOK(headerKey(r)) {
		h.refused.WithLabelValues("unauthorized").Inc()
		writeError(w, http.StatusUnauthorized, "unauthorized", "this server needs its service API key to list recordings")
		return
	}
	recs, err := List(h.root)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "internal", err.Error())
		return
	}
	writeJSON(w, http.StatusOK, struct {
		Recordings []Recording `json:"recordings"`
	}{recs})
}

func (h *Handler) watch(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !ValidID(id) {
		writeError(w, http.StatusBadRequest, "bad_id", "a recording id is made of letters, digits, '-' and '_'")
		return
	}
	authed := h.cfg.APIKey == ""
	if k := headerKey(r); k != "" && !authed {
		if !h.keyOK(k) {
			h.refused.WithLabelValues("unauthorized").Inc()
			writeError(w, http.StatusUnauthorized, "unauthorized", "wrong key")
			return
		}
		authed = true
	}
	select {
	case h.slots <- struct{}{}:
	default: // a documented refusal: every playback slot is taken
		h.refused.WithLabelValues("busy").Inc()
		writeError(w, http.StatusServiceUnavailable, "busy", "too many playbacks: try again later")
		return
	}
	s := &session{h: h, id: id, authed: authed, ctl: make(chan Control, ctlQueue), done: make(chan struct{})}
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		<-h.slots
		writeError(w, http.StatusServiceUnavailable, "unavailable", "the server is shutting down")
		return
	}
	h.sessions[s] = struct{}{}
	h.mu.Unlock()
	_, err := h.upgrader.Duplex(w, r, func(st *transport.Stream) transport.StreamEvents {
		s.conn = st
		return transport.StreamEvents{OnMessage: s.onMessage, OnClose: func(uint16) { s.end() }}
	})
	if err != nil {
		h.forget(s)
		return // the upgrader has answered
	}
	h.active.Inc()
	h.started.Inc()
	go s.run()
}

// forget releases a session's slot.
func (h *Handler) forget(s *session) {
	h.mu.Lock()
	delete(h.sessions, s)
	h.mu.Unlock()
	<-h.slots
}

// onMessage takes the viewer's controls (on the socket's read loop) to the session's queue.
func (s *session) onMessage(text bool, payload []byte) {
	if !text {
		s.h.refused.WithLabelValues("bad_control").Inc()
		s.close(CloseBadFrame, "controls are JSON text messages")
		return
	}
	ctl, err := ParseControl(payload)
	if err != nil {
		s.h.refused.WithLabelValues("bad_control").Inc()
		s.close(CloseBadFrame, "bad control message")
		return
	}
	select {
	case s.ctl <- ctl:
	default: // a documented refusal: the viewer sends controls faster than the playback takes them
		s.h.refused.WithLabelValues("control_flood").Inc()
		s.close(CloseRateLimited, "too many controls")
	}
}
