package service

import (
	"context"
	"net/http"
	"time"

	"github.com/tickwire/tickwire/server/internal/directory"
	"github.com/tickwire/tickwire/server/internal/matchmaker"
	"github.com/tickwire/tickwire/server/internal/room"
	"github.com/tickwire/tickwire/server/internal/session"
)

// StackConfig configures NewStack.
type StackConfig struct {
	// Matchmaker configures matchmaking (PublicURL and Logger are filled from here when empty; JoinTTL from
	// JoinTokenTTL when zero).
	Matchmaker matchmaker.Config
	// Service configures the service API (APIKey empty: off). PublicURL, Matchmaker and Logger are filled in.
	Service Config
	// PublicURL is the players' WebSocket address (empty: derived from each request's host).
	PublicURL string
	// JoinTokenTTL is the lifetime of the join tokens the stack issues (0: the token table's maximum).
	JoinTokenTTL time.Duration
	// Rooms and Tokens, when set, replace the server's own directory and token table as what the matchmaker and the
	// service API work on (a cluster's rooms: every node's, each operation run on the room's node).
	Rooms  Rooms
	Tokens matchmaker.Tokens
	// Forward, when set, also receives every event of this server's rooms (a cluster sends them to its other nodes).
	// Called on the room goroutine: it must not block.
	Forward func(Event)
}

// Stack is the matchmaker and the service API wired to a server's room directory and token table. The server needs
// four calls: NewStack, Mount, OnRoomEvent (from its room event callback) and Run; Close on shutdown.
type Stack struct {
	Matchmaker *matchmaker.Matchmaker
	Service    *Service
	dir        *directory.Directory
	forward    func(Event)
}

// NewStack builds the matchmaker and the service API over dir and tokens.
func NewStack(cfg StackConfig, dir *directory.Directory, tokens *session.Tokens) (*Stack, error) {
	var rooms Rooms = DirectoryRooms{D: dir}
	var toks matchmaker.Tokens = SessionTokens{T: tokens, TTL: cfg.JoinTokenTTL}
	if cfg.Rooms != nil {
		rooms = cfg.Rooms
	}
	if cfg.Tokens != nil {
		toks = cfg.Tokens
	}
	mc := cfg.Matchmaker
	if mc.PublicURL == "" {
		mc.PublicURL = cfg.PublicURL
	}
	if mc.JoinTTL == 0 {
		mc.JoinTTL = cfg.JoinTokenTTL
	}
	if mc.Logger == nil {
		mc.Logger = cfg.Service.Logger
	}
	mm, err := matchmaker.New(mc, rooms, toks)
	if err != nil {
		return nil, err
	}
	sc := cfg.Service
	sc.Matchmaker = mm
	if sc.PublicURL == "" {
		sc.PublicURL = cfg.PublicURL
	}
	svc, err := New(sc, rooms, toks)
	if err != nil {
		return nil, err
	}
	return &Stack{Matchmaker: mm, Service: svc, dir: dir, forward: cfg.Forward}, nil
}

// Mount registers the routes on mux: /v1/matchmaking/..., GET /v1/rooms and /v1/service/....
func (s *Stack) Mount(mux *http.ServeMux) {
	mh := s.Matchmaker.Handler()
	mux.Handle("/v1/matchmaking/", mh)
	mux.Handle("GET /v1/rooms", mh)
	mux.Handle("/v1/service/", s.Service.Handler())
}

// OnRoomEvent publishes a room event; call it from the directory's OnEvent (on the room goroutine; never blocks).
func (s *Stack) OnRoomEvent(ev room.Event) {
	out := s.Service.event(ev, s.dir)
	s.Service.Publish(out)
	if s.forward != nil {
		s.forward(out)
	}
}

// Run runs the matchmaker's batches until ctx is done.
func (s *Stack) Run(ctx context.Context) { s.Matchmaker.Run(ctx) }

// Close ends the event streams (1001); call it when the server drains.
func (s *Stack) Close() { s.Service.Close() }
