package service

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/tickwire/tickwire/server/internal/matchmaker"
	"github.com/tickwire/tickwire/server/internal/transport"
)

// ServerEvent is what a backend pushes into a room; the room sends it to every player as an Event.
type ServerEvent struct {
	Type     string  `json:"type"`                // required, 1-32 bytes, e.g. "announcement"
	Text     string  `json:"text,omitempty"`      // at most 256 bytes
	PlayerID uint32  `json:"player_id,omitempty"` // the player it is about (0: none)
	Args     []int32 `json:"args,omitempty"`      // at most 4
}

// Limits of a ServerEvent.
const (
	MaxEventType = 32
	MaxEventText = 256
	MaxEventArgs = 4
)

// Rooms is the room directory as the service API uses it: the matchmaker's view plus control of a room.
type Rooms interface {
	matchmaker.Rooms
	// End ends a room: its players get the match result and are closed with 4509. ErrRoomNotFound for no such room.
	End(id, reason string) error
	// Broadcast sends a server event to every player of a room. ErrRoomNotFound for no such room.
	Broadcast(id string, ev ServerEvent) error
	// Signal hands a message from the backend to a room's game (game.MessageHandler, from game.Backend) at the
	// start of its next tick and returns the game's reply (nil: none). ErrRoomNotFound, ErrNotSupported (the game
	// takes no messages), ErrRoomBusy (its message queue is full), or ctx's error.
	Signal(ctx context.Context, id, typ string, payload []byte) ([]byte, error)
}

// Errors of Rooms.Signal.
var (
	ErrNotSupported = errors.New("service: the room's game does not take messages")
	ErrRoomBusy     = errors.New("service: the room's message queue is full")
)

// SignalRequest is the body of POST /v1/service/rooms/{id}/messages: a message to the room's game from the backend
// (Nakama's match signal). Set payload (bytes, base64 in JSON) or text (used as the payload), not both.
type SignalRequest struct {
	Type    string `json:"type"`              // required, 1-32 bytes of UTF-8, named by the game
	Payload []byte `json:"payload,omitempty"` // at most 1024 bytes
	Text    string `json:"text,omitempty"`    // at most 1024 bytes
}

// SignalReply is the 200 answer of POST /v1/service/rooms/{id}/messages when the game replied.
type SignalReply struct {
	Reply []byte `json:"reply"` // the game's reply, base64 in JSON
	// ReplyText is the reply again as text when it is valid UTF-8.
	ReplyText string `json:"reply_text,omitempty"`
}

// Config configures the service API. Zero values get the defaults in brackets.
type Config struct {
	// APIKey authenticates backends. Empty: the service API is off (404 everywhere).
	APIKey string
	// PublicURL is the WebSocket address players connect to (empty: ws://<request host>/ws).
	PublicURL string
	// Matchmaker, when set, is told about the joins and leaves seen in Publish (joins release seat reservations).
	Matchmaker *matchmaker.Matchmaker
	// Hub bounds the event hub.
	Hub HubConfig
	// WriteTimeout bounds each write to an event subscriber [10s].
	WriteTimeout time.Duration
	// MaxPlayersPerRequest caps the players named in one create or tokens request [64].
	MaxPlayersPerRequest int
	// SignalTimeout bounds the wait for a room's game to handle a signal (POST .../messages) [5s]; past it the request
	// answers 504 (the game may still handle the message).
	SignalTimeout time.Duration
	// Logger [slog.Default()].
	Logger *slog.Logger
}

// Service is the service API and its event hub.
type Service struct {
	// Static after construction.
	cfg      Config
	keyHash  [32]byte
	rooms    Rooms
	tokens   matchmaker.Tokens
	hub      *Hub
	log      *slog.Logger
	upgrader *transport.StreamUpgrader
	handler  http.Handler

	// Guarded by mu.
	mu      sync.Mutex
	closed  bool
	streams map[*stream]struct{}
}

// New makes the service API.
func New(cfg Config, rooms Rooms, tokens matchmaker.Tokens) (*Service, error) {
	if rooms == nil || tokens == nil {
		return nil, errors.New("service: Rooms and Tokens are required")
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = 10 * time.Second
	}
	if cfg.MaxPlayersPerRequest <= 0 {
		cfg.MaxPlayersPerRequest = 64
	}
	if cfg.SignalTimeout <= 0 {
		cfg.SignalTimeout = 5 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	s := &Service{
		cfg:     cfg,
		keyHash: sha256.Sum256([]byte(cfg.APIKey)),
		rooms:   rooms,
		tokens:  tokens,
		hub:     NewHub(cfg.Hub),
		log:     cfg.Logger,
		streams: make(map[*stream]struct{}),
	}
	s.upgrader = transport.NewStreamUpgrader(transport.StreamOptions{
		ReadMaxPayload:   4 << 10, // subscribers have nothing to say
		ReadBufferSize:   1 << 10,
		HandshakeTimeout: 5 * time.Second,
		WriteTimeout:     cfg.WriteTimeout,
		CloseTimeout:     time.Second,
	})
	s.handler = s.routes()
	return s, nil
}

// Hub is the service's event hub.
func (s *Service) Hub() *Hub { return s.hub }

// Publish sends a room event to the subscribers (and joins and leaves to the matchmaker). It never blocks.
func (s *Service) Publish(ev Event) {
	if ev.Time.IsZero() {
		ev.Time = time.Now().UTC()
	}
	if mm := s.cfg.Matchmaker; mm != nil {
		switch ev.Type {
		case EventPlayerJoined:
			mm.PlayerJoined(ev.RoomID)
		case EventPlayerLeft:
			mm.PlayerLeft(ev.RoomID)
		}
	}
	s.hub.Publish(ev)
}

// Handler serves the /v1/service/ routes.
func (s *Service) Handler() http.Handler { return s.handler }

// Close ends every event stream with 1001 (going away) and refuses new ones.
func (s *Service) Close() {
	s.mu.Lock()
	s.closed = true
	streams := make([]*stream, 0, len(s.streams))
	for st := range s.streams {
		streams = append(streams, st)
	}
	s.mu.Unlock()
	for _, st := range streams {
		st.shutdown()
	}
}

// authorized compares the request's key with the configured one in constant time (hashing first, so that neither
// the length nor the content leaks through timing).
func (s *Service) authorized(r *http.Request) bool {
	key := r.Header.Get("X-API-Key")
	if key == "" {
		if a := r.Header.Get("Authorization"); len(a) > 7 && strings.EqualFold(a[:7], "bearer ") {
			key = a[7:]
		}
	}
	if key == "" {
		return false
	}
	h := sha256.Sum256([]byte(key))
	return subtle.ConstantTimeCompare(h[:], s.keyHash[:]) == 1
}

func validName(p string) bool {
	return p != "" && len(p) <= matchmaker.MaxNameLen && utf8.ValidString(p)
}

func validateServerEvent(ev *ServerEvent) error {
	switch {
	case ev.Type == "" || len(ev.Type) > MaxEventType || !utf8.ValidString(ev.Type):
		return fmt.Errorf("type must be 1-%d bytes of UTF-8", MaxEventType)
	case len(ev.Text) > MaxEventText || !utf8.ValidString(ev.Text):
		return fmt.Errorf("text must be at most %d bytes of UTF-8", MaxEventText)
	case len(ev.Args) > MaxEventArgs:
		return fmt.Errorf("at most %d args", MaxEventArgs)
	}
	return nil
}
