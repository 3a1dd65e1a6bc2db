package server

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/server/internal/auth"
	"github.com/tickwire/tickwire/server/internal/cluster"
	"github.com/tickwire/tickwire/server/internal/directory"
	"github.com/tickwire/tickwire/server/internal/forwarded"
	"github.com/tickwire/tickwire/server/internal/journal"
	"github.com/tickwire/tickwire/server/internal/limits"
	"github.com/tickwire/tickwire/server/internal/matchmaker"
	"github.com/tickwire/tickwire/server/internal/metrics"
	"github.com/tickwire/tickwire/server/internal/room"
	"github.com/tickwire/tickwire/server/internal/service"
	"github.com/tickwire/tickwire/server/internal/session"
	"github.com/tickwire/tickwire/server/internal/transport"
)

// State is the server's lifecycle state, reported by /readyz (an orchestrator's readiness probe).
type State int32

// Lifecycle states.
const (
	StateStarting State = iota // made, not yet serving
	StateReady                 // serving: /readyz answers 200
	StateDraining              // shutting down: no new connections, clients told 1001
	StateStopped               // done
)

func (s State) String() string {
	switch s {
	case StateStarting:
		return "starting"
	case StateReady:
		return "ready"
	case StateDraining:
		return "draining"
	case StateStopped:
		return "stopped"
	}
	return fmt.Sprintf("State(%d)", int32(s))
}

// GameOptions configures the rooms of one registered game mode. Zero values get the room engine's defaults.
type GameOptions struct {
	MaxPlayers    int // slots per room, counting players in their grace period (16)
	TickRate      int // simulation ticks per second (30)
	SnapshotEvery int // a snapshot every this many ticks (1)
	// Settings are the game's default settings for new rooms (for the arena: "time_limit_s", "score_limit").
	Settings map[string]string
	// EmptyTimeout ends a room that has had no player for this long (30s).
	EmptyTimeout time.Duration
	// HashInterval puts a world hash on snapshots whose tick is a multiple of it (30).
	HashInterval int
	// InputWindow is how many ticks ahead of the room an input may be addressed to; inputs further ahead are
	// refused as early (the ticks of one second, at least 8). Each player's input buffer has InputWindow+1 slots.
	InputWindow int
	// MaxRewind overrides the server's Config.MaxRewind for this mode (0: the server's).
	MaxRewind time.Duration
	// HistorySize is the number of ticks of world history kept for delta baselines and lag compensation (32, or
	// more when MaxRewind needs it).
	HistorySize int
}

// Server is a Tickwire game server: register game modes, then Run.
type Server struct {
	// Static after New.
	cfg     Config
	hooks   nodeHooks // the cluster node's (all nil when not clustered)
	log     *slog.Logger
	metrics *metrics.Metrics
	tokens  *session.Tokens
	auth    *auth.Authenticator // identity policy; its key set may be reloaded (ReloadAuthKeys)
	dir     *directory.Directory
	ws      *transport.Handler
	fwd     *forwarded.Resolver // the client's address, scheme and host behind trusted proxies
	lim     *limits.Limiter     // per-source and server-wide limits
	mux     *http.ServeMux      // the public port
	handler http.Handler        // mux behind the request limits
	admin   *http.ServeMux      // the admin listener
	certs   *certReloader       // nil: the public port is plain TCP
	// roomsFailed counts rooms failed by a panic in their game or by the stall watchdog.
	roomsFailed *prometheus.CounterVec
	sessCfg     session.Config
	stack       *service.Stack // matchmaking and the service API
	node        *cluster.Node  // nil: not clustered (cluster.go)
	journal     *journal.Dir   // -record: nil when off

	state atomic.Int32

	mu        sync.Mutex
	listeners []func(room.Event)
	addr      net.Addr
	adminAddr net.Addr
	stopOnce  sync.Once

	httpConns sync.Map // net.Conn -> *limits.Hold: open HTTP connections (see connState)
}

// New makes a server from cfg (validated here) that logs to logger (nil: slog.Default()).
func New(cfg Config, logger *slog.Logger) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.Default()
	}
	cfg.AllowedOrigins = append([]string(nil), cfg.AllowedOrigins...)
	cfg.TrustedProxies = append([]string(nil), cfg.TrustedProxies...)
	fwd, err := forwarded.New(cfg.TrustedProxies)
	if err != nil {
		return nil, fmt.Errorf("server: %w", err) // Validate already refused it
	}
	s := &Server{cfg: cfg, log: logger, metrics: metrics.New(), mux: http.NewServeMux(), admin: http.NewServeMux(),
		fwd: fwd}
	if cfg.TLSCert != "" {
		if s.certs, err = newCertReloader(cfg.TLSCert, cfg.TLSKey, time.Second, logger); err != nil {
			return nil, err
		}
	}
	if err := s.openRecord(); err != nil {
		return nil, err
	}
	s.lim = s.newLimiter()
	s.tokens = session.NewTokens(cfg.TokenTableSize, cfg.ResumeTokenTTL, cfg.JoinTokenTTL)
	var observer room.Observer = metrics.RoomObserver{M: s.metrics}
	load := cluster.NewLoadObserver(observer)
	if cfg.NATS != "" {
		observer = load // measures the tick cost the cluster places rooms by
	}
	s.dir = directory.New(directory.Config{
		Logger:   logger,
		Observer: observer,
		OnEvent:  s.roomEvent,
		Admit: func(_ string, rooms, modeRooms int) bool {
			return s.lim.Room(rooms, modeRooms, time.Now()) == ""
		},
		TickPhases: cfg.TickPhases,
	})

	sc, err := s.newNode(load)
	if err != nil {
		return nil, err
	}
	s.metrics.RegisterRoomGauges(func() float64 { return float64(s.dir.Len()) }, func() float64 {
		n := 0
		for _, l := range s.dir.List("", true) {
			n += l.Players
		}
		return float64(n)
	})
	s.sessCfg = session.Config{
		OutboundQueue: cfg.OutboundQueue,
		MaxSkipped:    cfg.MaxSkippedSnapshots,
		WriteTimeout:  cfg.WriteTimeout,
		CloseTimeout:  cfg.CloseTimeout,
		Metrics:       s.metrics,
	}
	authn, err := newAuthenticator(&cfg, s.metrics)
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	s.auth = authn
	s.ws = transport.New(transport.Config{
		Auth:             authn,
		MaxConnections:   cfg.MaxConnections,
		MaxFrameBytes:    cfg.MaxFrameBytes,
		ReadBufferBytes:  cfg.ReadBufferBytes,
		WriteBufferBytes: cfg.WriteBufferBytes,
		Compression:      cfg.Compression,
		AllowedOrigins:   cfg.AllowedOrigins,
		HandshakeTimeout: cfg.HandshakeTimeout,
		HeartbeatTimeout: cfg.HeartbeatTimeout,
		CloseTimeout:     cfg.CloseTimeout,
		JoinTimeout:      cfg.JoinTimeout,
		InputRate:        cfg.InputRate,
		InputBurst:       cfg.InputBurst,
		MessageRate:      float64(cfg.MessageRate),
		MessageBurst:     cfg.MessageBurst,
		MaxMessageBytes:  cfg.MaxMessageBytes,
		OpenJoin:         cfg.OpenJoin,
		Session:          &s.sessCfg,
		Tokens:           s.tokens,
		Directory:        s.dir,
		Metrics:          s.metrics,
		Logger:           logger,
		Limits:           s.lim,
		ClientIP:         s.fwd.ClientIP,
		Locate:           sc.Locate,
		MovedTo:          sc.MovedTo,
		Recovering:       sc.Recovering,
	})
	s.hooks = sc
	st, err := service.NewStack(service.StackConfig{
		Rooms: sc.Rooms, Tokens: sc.Tokens, Forward: sc.Forward,
		PublicURL:    cfg.PublicURL,
		JoinTokenTTL: cfg.JoinTokenTTL,
		Matchmaker: matchmaker.Config{MinPlayers: cfg.MatchMinPlayers, TicketTimeout: cfg.MatchTicketTimeout, Logger: logger,
			OnPlaced: s.metrics.ObservePlacement, Gate: ticketGate{s}, Auth: authn},
		Service: service.Config{APIKey: cfg.ServiceAPIKey, Logger: logger},
	}, s.dir, s.tokens)
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	s.stack = st
	s.roomsFailed = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tickwire_rooms_failed_total",
		Help: "Rooms failed (players closed with 4510) by reason: panic (the game panicked) or stalled (the watchdog)."},
		[]string{"reason"})
	for _, r := range []string{"panic", "stalled"} {
		s.roomsFailed.WithLabelValues(r)
	}
	s.metrics.Registry().MustRegister(s.roomsFailed)
	s.registerStackMetrics()
	s.routes()
	s.handler = s.limitHTTP(s.mux)
	return s, nil
}

// registerStackMetrics exports the matchmaker's and the event hub's counters, read at each scrape.
func (s *Server) registerStackMetrics() {
	mm, hub := s.stack.Matchmaker, s.stack.Service.Hub()
	s.metrics.RegisterMatchmaker(func() metrics.MatchmakerStats {
		st := mm.Stats()
		queued := mm.QueuedByMode()
		for _, mode := range s.dir.Modes() { // every registered mode shows, at 0 before its first ticket
			if _, ok := queued[mode]; !ok {
				queued[mode] = 0
			}
		}
		return metrics.MatchmakerStats{QueuedByMode: queued, Placed: st.Placed, Canceled: st.Canceled,
			TimedOut: st.TimedOut, Failed: st.Failed, RoomsCreated: st.RoomsOpened,
			CodeMisses: map[string]uint64{"unknown": st.CodeMisses.Unknown, "expired": st.CodeMisses.Expired,
				"full": st.CodeMisses.Full}}
	})
	s.metrics.RegisterEventHub(func() float64 { return float64(hub.Subscribers()) },
		func() float64 { return float64(hub.Dropped()) }, func() float64 { return float64(hub.Seq()) })
}

// RegisterGame adds a game mode: rooms of mode are made by factory with opts. Register before Run.
func (s *Server) RegisterGame(mode string, factory game.Factory, opts GameOptions) error {
	rc := room.Config{
		TickRate:      opts.TickRate,
		SnapshotEvery: opts.SnapshotEvery,
		MaxPlayers:    opts.MaxPlayers,
		InputWindow:   opts.InputWindow,
		MaxRewind:     cmp.Or(opts.MaxRewind, s.cfg.MaxRewind),
		HistorySize:   opts.HistorySize,
		Grace:         s.cfg.Grace,
		EmptyTimeout:  opts.EmptyTimeout,
		HashInterval:  opts.HashInterval,
		// Clients are told to send something twice per heartbeat timeout.
		Heartbeat:    s.cfg.HeartbeatTimeout / 2,
		StallTimeout: s.cfg.StallTimeout,
		// The message limits the transport enforces, announced in Welcome.
		MessageRate:      s.cfg.MessageRate,
		MessageBurst:     s.cfg.MessageBurst,
		MaxMessageBytes:  s.cfg.MaxMessageBytes,
		MessageQueueSize: s.cfg.MessageQueue,
		Journal:          s.journal,
		Stream:           s.hooks.Stream,
		Peers:            s.hooks.Peers,
	}
	return s.dir.Register(directory.Mode{Name: mode, Factory: factory, Room: rc, Settings: opts.Settings})
}

// Handle mounts an extra HTTP handler on the public port's mux.
func (s *Server) Handle(pattern string, h http.Handler) { s.mux.Handle(pattern, h) }

// Handler is the public port's HTTP handler: /ws, /healthz, /readyz, matchmaking, the room list and the static
// files at / (the admin endpoints are on AdminHandler).
func (s *Server) Handler() http.Handler { return s.handler }

// Registry is the server's Prometheus registry (served at /metrics on the admin listener); register your own
// collectors on it.
func (s *Server) Registry() *prometheus.Registry { return s.metrics.Registry() }

// State returns the lifecycle state.
func (s *Server) State() State { return State(s.state.Load()) }

// Addr returns the address the server listens on, once Run or Serve has started (nil before).
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// AdminAddr returns the admin listener's address, once Run or ServeListeners has started with one (nil otherwise).
func (s *Server) AdminAddr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.adminAddr
}

// IssueJoinToken returns a single-use token that lets one client join room roomID as playerName within ttl (0: the
// configured JoinTokenTTL). The client sends it in Join.join_token.
func (s *Server) IssueJoinToken(roomID, playerName string, ttl time.Duration) string {
	return s.tokens.IssueJoinToken(roomID, playerName, ttl)
}

// IssueJoinTokenFor is IssueJoinToken for a player whose identity the calling program has established: with
// who.Verified the player joins as who.UserID, verified, with who's claims (as after a verified player token).
func (s *Server) IssueJoinTokenFor(roomID string, who Identity, ttl time.Duration) string {
	g := session.JoinGrant{RoomID: roomID, Name: auth.CleanName(who.Name)}
	if who.Verified && who.UserID != "" {
		g.UserID, g.Claims, g.Verified = who.UserID, who.Claims, true
	}
	return s.tokens.IssueJoinGrant(g, ttl)
}

// RoomInfo is a room's public summary.
type RoomInfo struct {
	ID       string `json:"id"`
	Mode     string `json:"mode"`
	Players  int    `json:"players"`
	Capacity int    `json:"capacity"`
	State    string `json:"state"`
	Tick     uint32 `json:"tick"`
	Private  bool   `json:"private,omitempty"`
}

// CreateRoom starts a room of a registered mode with game settings that override the mode's defaults.
func (s *Server) CreateRoom(mode string, settings map[string]string, private bool) (RoomInfo, error) {
	r, err := s.dir.Create(mode, directory.CreateOptions{Settings: settings, Private: private})
	if err != nil {
		return RoomInfo{}, err
	}
	return roomInfo(directory.Listing{Info: r.Info(), Private: r.Private}), nil
}

// EndRoom ends a room's match (every player gets the MatchResult, then 4509).
func (s *Server) EndRoom(id, reason string) bool {
	r, ok := s.dir.Get(id)
	if ok {
		r.End(reason)
	}
	return ok
}

// Rooms lists the running rooms (of mode, when not empty), private ones only when includePrivate.
func (s *Server) Rooms(mode string, includePrivate bool) []RoomInfo {
	ls := s.dir.List(mode, includePrivate)
	out := make([]RoomInfo, len(ls))
	for i, l := range ls {
		out[i] = roomInfo(l)
	}
	return out
}

func roomInfo(l directory.Listing) RoomInfo {
	return RoomInfo{ID: l.ID, Mode: l.Mode, Players: l.Players, Capacity: l.Capacity, State: l.State.String(),
		Tick: l.Tick, Private: l.Private}
}

// OnRoomEvent adds a listener of every room's events. It runs on the room's goroutine: it must return quickly and
// never block. Add listeners before Run.
func (s *Server) OnRoomEvent(f func(RoomEvent)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.listeners = append(s.listeners, func(ev room.Event) { f(publicEvent(ev)) })
}

// RoomEvent is something that happened to a room: "created", "player_joined", "player_left",
// "player_disconnected", "player_resumed", "match_ended", "room_error".
type RoomEvent struct {
	Type   string
	Room   string
	Tick   uint32
	Player uint32
	Name   string
	// UserID is the player's verified user id; Verified says it (and Name) come from a verified player token or the
	// Authenticate hook. Empty and false for an anonymous player.
	UserID   string
	Verified bool
	Reason   string
	Results  []PlayerResult // match_ended
}

// PlayerResult is one player's standing at the end of a match.
type PlayerResult struct {
	Player   uint32
	Name     string
	UserID   string // verified user id; "" for an anonymous player
	Verified bool
	Score    int32
	Rank     int
}

func publicEvent(ev room.Event) RoomEvent {
	out := RoomEvent{Type: ev.Type, Room: ev.Room, Tick: ev.Tick, Player: uint32(ev.Player), Name: ev.Name,
		UserID: ev.UserID, Verified: ev.Verified, Reason: ev.Reason}
	for _, r := range ev.Results {
		out.Results = append(out.Results, PlayerResult{Player: uint32(r.Player), Name: r.Name, UserID: r.UserID,
			Verified: r.Verified, Score: r.Score, Rank: r.Rank})
	}
	return out
}

// roomEvent runs on a room goroutine for each of its events.
func (s *Server) roomEvent(ev room.Event) {
	if ev.Type == room.EventRoomError {
		s.log.Error("room failed", "room", ev.Room, "err", ev.Reason)
		reason := "panic"
		if strings.HasPrefix(ev.Reason, room.StalledPrefix) {
			reason = "stalled"
		}
		s.roomsFailed.WithLabelValues(reason).Inc()
	}
	s.stack.OnRoomEvent(ev)
	s.mu.Lock()
	ls := s.listeners
	s.mu.Unlock()
	for _, f := range ls {
		f(ev)
	}
}

// Run listens on Config.Addr (the public port, with TLS when Config.TLSCert is set) and Config.AdminAddr (unless
// empty) and serves until ctx is done, then drains (see ServeListeners).
func (s *Server) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("server: %w", err)
	}
	var admin net.Listener
	if s.cfg.AdminAddr != "" {
		if admin, err = net.Listen("tcp", s.cfg.AdminAddr); err != nil {
			_ = ln.Close()
			return fmt.Errorf("server: admin listener: %w", err)
		}
	}
	return s.ServeListeners(ctx, ln, admin)
}

// Serve serves the public endpoints on ln (no admin listener: mount AdminHandler yourself, or use ServeListeners)
// until ctx is done, then drains; see ServeListeners.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	return s.ServeListeners(ctx, ln, nil)
}

// ServeListeners serves the public endpoints on public (wrapped in TLS when Config.TLSCert is set) and the admin
// ones on admin (nil: none) until ctx is done. Then it drains (drain.go): /readyz fails, queued tickets are answered,
// rooms get Config.DrainTimeout to end and send their MatchResult, event streams get the rooms' last events, and only
// then are the sockets closed; it returns within DrainTimeout + ShutdownTimeout.
func (s *Server) ServeListeners(ctx context.Context, public, admin net.Listener) error {
	if !s.state.CompareAndSwap(int32(StateStarting), int32(StateReady)) {
		return errors.New("server: Serve called twice")
	}
	if s.certs != nil {
		public = tls.NewListener(public, s.certs.tlsConfig())
	}
	s.mu.Lock()
	s.addr = public.Addr()
	if admin != nil {
		s.adminAddr = admin.Addr()
	}
	s.mu.Unlock()
	if err := s.startNode(); err != nil {
		s.state.Store(int32(StateStopped))
		return err
	}
	if slices.Contains(s.cfg.AllowedOrigins, "*") {
		s.log.Warn("allowed origins include *: any web page can open game connections from its visitors' browsers; " +
			"list your pages' origins instead")
	}
	errc := make(chan error, 2)
	hs := s.httpServer(s.handler)
	hs.ConnState = s.connState
	go func() { errc <- hs.Serve(public) }()
	var as *http.Server
	attrs := []any{"addr", public.Addr().String(), "tls", s.certs != nil, "modes", s.dir.Modes()}
	if admin != nil {
		as = s.httpServer(s.limitHTTP(s.admin)) // the service API's 401 budget applies there too
		go func() { errc <- as.Serve(admin) }()
		attrs = append(attrs, "admin", admin.Addr().String())
	}
	s.log.Info("tickwire listening", attrs...)
	mmCtx, stopMM := context.WithCancel(context.Background())
	mmDone := make(chan struct{})
	go func() { defer close(mmDone); s.runMatchmaker(mmCtx) }()
	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-errc:
	}
	s.drain(hs, as, stopMM, mmDone)
	if serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		return fmt.Errorf("server: %w", serveErr)
	}
	return nil
}

func (s *Server) httpServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: s.cfg.ReadHeaderTimeout,
		ReadTimeout:       s.cfg.ReadTimeout,
		IdleTimeout:       s.cfg.IdleTimeout,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
}

// NewLogger makes the slog logger the tickwire binary uses: format "text" or "json", level "debug".."error".
func NewLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("server: log level %q: %w", level, err)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("server: log format %q: want text or json", format)
}
