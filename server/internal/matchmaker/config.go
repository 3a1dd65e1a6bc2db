package matchmaker

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/tickwire/tickwire/server/internal/auth"
)

// Room states as reported in RoomInfo.State.
const (
	StateWaiting = "waiting" // created, the match has not started
	StateRunning = "running" // the match is on
	StateEnded   = "ended"   // the match is over or the room was closed
)

// RoomInfo is what the matchmaker needs to know about a room. The server's directory fills it from room.Info().
type RoomInfo struct {
	ID       string
	Mode     string
	Players  int // players holding a slot (connected or within their reconnection grace)
	Capacity int
	State    string // StateWaiting, StateRunning or StateEnded
	Private  bool   // hidden from listings and from public matchmaking
	// Address is the WebSocket URL of the room's server when it differs between rooms (a cluster); empty: the
	// matchmaker's PublicURL (or the request's host).
	Address string
}

// Rooms is the room directory as the matchmaker uses it.
type Rooms interface {
	// Capacity reports how many players a new room of mode holds, and false when no such mode is registered.
	Capacity(mode string) (int, bool)
	// Create starts a room of mode from the mode's registered factory. It returns ErrUnknownMode (wrapped or not)
	// for an unregistered mode.
	Create(mode string, settings map[string]string, private bool) (RoomInfo, error)
	// Get reports a room by id; false when there is no such room (any more).
	Get(id string) (RoomInfo, bool)
	// List reports every room the directory knows, private ones included.
	List() []RoomInfo
}

// Tokens issues join tokens.
type Tokens interface {
	// Issue returns a single-use, expiring join token bound to player p (its name, and its identity when verified)
	// in room roomID.
	Issue(roomID string, p Player) (string, error)
}

// SeatReserver is implemented by Rooms whose rooms hold the placed players' seats themselves (the server's directory
// does): the matchmaker reserves a seat per join token as it places a ticket, and the room gives it only to the join
// that presents that token, or frees it when ttl has passed. Without it, the seats are held only in the
// matchmaker's own accounting, which joins that bypass it (quick play) do not see.
type SeatReserver interface {
	// Reserve holds one seat per key in room roomID for ttl, all or none. ErrRoomFull (wrapped or not) when the
	// room lacks the free seats.
	Reserve(roomID string, keys []string, ttl time.Duration) error
}

// Errors of the matchmaker (the HTTP layer maps them to status codes).
var (
	ErrUnknownMode    = errors.New("matchmaker: unknown mode")
	ErrRoomNotFound   = errors.New("matchmaker: room not found")
	ErrRoomFull       = errors.New("matchmaker: room full")
	ErrBadRequest     = errors.New("matchmaker: bad request")
	ErrPlayerQueued   = errors.New("matchmaker: player already has a queued ticket")
	ErrQueueFull      = errors.New("matchmaker: too many queued tickets")
	ErrTicketNotFound = errors.New("matchmaker: ticket not found")
	ErrNotQueued      = errors.New("matchmaker: ticket is no longer queued")
	// ErrUnauthenticated wraps the *auth.Error of a refused player token (HTTP 401).
	ErrUnauthenticated = errors.New("matchmaker: player token refused")
	// Refusals of Config.Gate (HTTP 429).
	ErrTooManyTickets    = errors.New("matchmaker: too many queued tickets from your address")
	ErrTooManyCodeMisses = errors.New("matchmaker: too many unknown room codes from your address")
)

// Gate limits what one client may hold in the matchmaker (tickets per source address, failed private-code
// lookups). The HTTP handler asks it to admit each submitted ticket.
type Gate interface {
	// Admit admits a ticket of request r (withCode: it looks up a private room code), or refuses it with
	// ErrTooManyTickets or ErrTooManyCodeMisses.
	Admit(r *http.Request, withCode bool) (TicketHold, error)
}

// TicketHold is an admitted ticket's place under the Gate's limits.
type TicketHold interface {
	Done()       // the ticket left the queue (called once)
	CodeMissed() // its private code matched no room
}

// ModeConfig tunes matchmaking for one mode.
type ModeConfig struct {
	// MinPlayers is how many compatible players must be queued before a new room of the mode is opened (default
	// Config.MinPlayers). Open rooms are filled one player at a time regardless.
	MinPlayers int
	// NoBackfill keeps running rooms of the mode closed to new players (by default running rooms with free seats are
	// filled like waiting ones).
	NoBackfill bool
	// Settings are the game settings of rooms the matchmaker opens for this mode (nil: the game's defaults).
	Settings map[string]string
}

// Config configures a Matchmaker. Zero values get the defaults in brackets.
type Config struct {
	// PublicURL is the WebSocket address players connect to, e.g. "wss://play.example.com/ws". Empty: the HTTP
	// handler derives ws://<request host>/ws from each request.
	PublicURL string
	// Interval is how often Run calls Process [100ms].
	Interval time.Duration
	// TicketTimeout is how long a ticket may stay queued before it is timed out [60s].
	TicketTimeout time.Duration
	// Retention is how long a finished ticket (placed, canceled, timed out, failed) stays readable [60s].
	Retention time.Duration
	// JoinTTL is how long a placed player's seat stays reserved before it joins; keep it equal to the join token's
	// lifetime [30s].
	JoinTTL time.Duration
	// CodeTTL is how long a private room's code admits newcomers after the room opened; later lookups fail as
	// expired, which counts against the source's budget of failed lookups like an unknown code [30m].
	CodeTTL time.Duration
	// MaxWait caps the long-poll ?wait= of GET /v1/matchmaking/tickets/{id} [30s].
	MaxWait time.Duration
	// MaxTickets bounds the number of tickets held (queued and finished) [10000]. Beyond it submissions get 503.
	MaxTickets int
	// MinPlayers is the default minimum of players to open a new room [2].
	MinPlayers int
	// Modes holds per-mode settings; a mode not listed uses the defaults.
	Modes map[string]ModeConfig
	// Rating window: a rated ticket accepts players (and rooms) whose ratings all lie within a span of
	// RatingWindow + RatingWiden × seconds waited, capped at RatingWindowMax [100, 25/s, 1000].
	RatingWindow    float64
	RatingWiden     float64
	RatingWindowMax float64
	// OnPlaced, when set, is called with how long each ticket waited (submission to the batch that placed it) as the
	// ticket is placed, for a metric. It runs with the matchmaker's lock held: it must return quickly and never call
	// the matchmaker.
	OnPlaced func(wait time.Duration)
	// Gate, when set, admits every ticket submitted over HTTP (nil: no per-client limits).
	Gate Gate
	// Now is the clock used to stamp tickets [time.Now]. Process is always given its time explicitly.
	Now func() time.Time
	// Logger [slog.Default()].
	Logger *slog.Logger
	// Auth decides who a ticket's players are from TicketRequest.PlayerTokens [nil: anonymous players only; tickets
	// with player tokens are refused]. With Auth.Require, tickets without verified tokens are refused.
	Auth *auth.Authenticator
}

func (c *Config) setDefaults() {
	if c.Interval <= 0 {
		c.Interval = 100 * time.Millisecond
	}
	if c.TicketTimeout <= 0 {
		c.TicketTimeout = 60 * time.Second
	}
	if c.Retention <= 0 {
		c.Retention = 60 * time.Second
	}
	if c.JoinTTL <= 0 {
		c.JoinTTL = 30 * time.Second
	}
	if c.CodeTTL <= 0 {
		c.CodeTTL = 30 * time.Minute
	}
	if c.MaxWait <= 0 {
		c.MaxWait = 30 * time.Second
	}
	if c.MaxTickets <= 0 {
		c.MaxTickets = 10000
	}
	if c.MinPlayers <= 0 {
		c.MinPlayers = 2
	}
	if c.RatingWindow <= 0 {
		c.RatingWindow = 100
	}
	if c.RatingWiden <= 0 {
		c.RatingWiden = 25
	}
	if c.RatingWindowMax <= 0 {
		c.RatingWindowMax = 1000
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// Validate rejects nonsense; call it after defaults are applied (New does).
func (c *Config) Validate() error {
	if c.RatingWindowMax < c.RatingWindow {
		return fmt.Errorf("matchmaker: RatingWindowMax %v is below RatingWindow %v", c.RatingWindowMax, c.RatingWindow)
	}
	for mode, mc := range c.Modes {
		if mc.MinPlayers < 0 {
			return fmt.Errorf("matchmaker: mode %q: negative MinPlayers", mode)
		}
	}
	return nil
}

func (c *Config) minPlayers(mode string) int {
	if mc, ok := c.Modes[mode]; ok && mc.MinPlayers > 0 {
		return mc.MinPlayers
	}
	return c.MinPlayers
}
