package matchmaker

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"math"
	"time"
	"unicode/utf8"

	"github.com/tickwire/tickwire/server/internal/auth"
)

// Ticket statuses.
const (
	StatusQueued   = "queued"    // waiting for a room
	StatusPlaced   = "placed"    // a room was found: Ticket.RoomID, Address and the join tokens are set
	StatusCanceled = "canceled"  // canceled on request
	StatusTimedOut = "timed_out" // queued past Config.TicketTimeout
	StatusFailed   = "failed"    // cannot be placed (unknown code, private room full, room creation failed): see Error
)

// Limits on a ticket request.
const (
	MaxNameLen       = 32 // bytes of UTF-8 in a player name (as in Join.name)
	MaxProperties    = 16
	MaxPropertyLen   = 64
	MaxSettings      = 32
	maxSettingLen    = 256
	generatedNameLen = 8 // hex digits of a generated player name
)

// TicketRequest is the body of POST /v1/matchmaking/tickets.
type TicketRequest struct {
	// Mode is the game mode to play, e.g. "arena". Required.
	Mode string `json:"mode"`
	// Players are the names of the ticket's players: one, or a party that is always placed together in one room.
	// Empty: one player with a generated name.
	Players []string `json:"players,omitempty"`
	// Rating is the ticket's skill rating (a party's combined rating); absent: matches anyone.
	Rating *float64 `json:"rating,omitempty"`
	// Properties must agree with those of the other players in the room on every key both have (e.g. "region").
	Properties map[string]string `json:"properties,omitempty"`
	// CreatePrivate opens a new private room for this party; the placed ticket carries its Code for friends.
	CreatePrivate bool `json:"create_private,omitempty"`
	// Settings are the game settings of a private room opened with CreatePrivate.
	Settings map[string]string `json:"settings,omitempty"`
	// Code joins the private room with this code (from a CreatePrivate ticket).
	Code string `json:"code,omitempty"`
	// PlayerTokens are the players' signed player tokens (from the game's backend), one per entry of Players in the
	// same order (or one with Players empty). Each is verified at submission; a verified player is seated under the
	// token's "name" claim (else its entry of Players) and joins the room as that user. Absent: anonymous players,
	// refused when the server requires identity.
	PlayerTokens []string `json:"player_tokens,omitempty"`
}

// Player is one seat's player as the matchmaker hands it to Tokens.Issue: its display name and, when verified, who
// it is.
type Player struct {
	Name     string
	UserID   string
	Claims   map[string]string
	Verified bool
}

// Seat is one player of a ticket and, once placed, its join token.
type Seat struct {
	Player    string `json:"player"`
	JoinToken string `json:"join_token,omitempty"`
}

// Ticket is the state of a ticket as GET /v1/matchmaking/tickets/{id} returns it.
type Ticket struct {
	ID      string `json:"ticket_id"`
	Status  string `json:"status"`
	Mode    string `json:"mode"`
	Players []Seat `json:"players"`
	// Set when placed.
	RoomID  string `json:"room_id,omitempty"`
	Address string `json:"address,omitempty"` // the WebSocket URL to connect to with Join{join_token}
	Code    string `json:"code,omitempty"`    // the private room's code (CreatePrivate or Code tickets)
	// Error explains a failed ticket.
	Error     string    `json:"error,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	// WaitedMs is how long the ticket was (or has been) queued.
	WaitedMs int64 `json:"waited_ms"`
}

// ticket is the matchmaker's record of a ticket. Guarded by Matchmaker.mu.
type ticket struct {
	seq uint64 // submission order, for FIFO placement
	req TicketRequest
	sig string // propSignature(req.Properties)
	// Index state (public tickets only): the bucket holding the ticket while queued, and its position among the
	// unplaced tickets of the batch numbered batch.
	bkt     *bucket
	batch   uint64
	pos     int
	view    Ticket
	created time.Time
	ended   time.Time     // when it left the queue
	done    chan struct{} // closed when it leaves the queue
	hold    TicketHold    // its submitter's place under Config.Gate's limits (nil: none)
	// players are the seats' identities, in the order of req.Players; keys their queue keys (queueKey), "" for
	// anonymous players, who are never de-duplicated.
	players []Player
	keys    []string
}

// queueKey is what de-duplicates queued players: the verified user id, never a name (anyone can type any name, and
// would otherwise block another player's tickets). Anonymous players have none.
func queueKey(p Player) string {
	if !p.Verified {
		return ""
	}
	return "user:" + p.UserID
}

// identify decides who the players of a normalized request are, from its player tokens, and seats verified players
// under their verified names.
func (m *Matchmaker) identify(ctx context.Context, req *TicketRequest) ([]Player, error) {
	a := m.cfg.Auth
	if a == nil {
		a = &auth.Authenticator{}
	}
	if n := len(req.PlayerTokens); n != 0 && n != len(req.Players) {
		return nil, fmt.Errorf("%w: %d player tokens for %d players", ErrBadRequest, n, len(req.Players))
	}
	out := make([]Player, len(req.Players))
	users := make(map[string]bool, len(req.Players))
	for i, name := range req.Players {
		tok := ""
		if len(req.PlayerTokens) > 0 {
			tok = req.PlayerTokens[i]
		}
		id, err := a.Authenticate(ctx, auth.AtTicket, tok, name, a.Require)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrUnauthenticated, err)
		}
		if id.Verified {
			if users[id.UserID] {
				return nil, fmt.Errorf("%w: user %q appears twice", ErrBadRequest, id.UserID)
			}
			users[id.UserID] = true
			req.Players[i] = id.Name
		}
		out[i] = Player{Name: id.Name, UserID: id.UserID, Claims: id.Claims, Verified: id.Verified}
	}
	req.PlayerTokens = nil // verified: never kept, never shown
	return out, nil
}

func (t *ticket) queued() bool { return t.view.Status == StatusQueued }

func (t *ticket) size() int { return len(t.req.Players) }

// window is the ticket's rating window at now.
func (t *ticket) window(c *Config, now time.Time) float64 {
	w := c.RatingWindow + c.RatingWiden*now.Sub(t.created).Seconds()
	return math.Min(w, c.RatingWindowMax)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go ≥ 1.24)
	return hex.EncodeToString(b)
}

// normalize validates a request and fills in generated player names.
func normalize(req *TicketRequest, capacity int) error {
	if req.Mode == "" {
		return fmt.Errorf("%w: mode is required", ErrBadRequest)
	}
	if len(req.Players) == 0 {
		req.Players = []string{"player-" + randomHex(generatedNameLen/2)}
	}
	if len(req.Players) > capacity {
		return fmt.Errorf("%w: a party of %d does not fit a room of %d", ErrBadRequest, len(req.Players), capacity)
	}
	seen := make(map[string]bool, len(req.Players))
	for _, p := range req.Players {
		if p == "" || len(p) > MaxNameLen || !utf8.ValidString(p) {
			return fmt.Errorf("%w: player names must be 1-%d bytes of UTF-8", ErrBadRequest, MaxNameLen)
		}
		if seen[p] {
			return fmt.Errorf("%w: player %q appears twice", ErrBadRequest, p)
		}
		seen[p] = true
	}
	if req.Rating != nil && (math.IsNaN(*req.Rating) || math.IsInf(*req.Rating, 0)) {
		return fmt.Errorf("%w: rating must be finite", ErrBadRequest)
	}
	if len(req.Properties) > MaxProperties {
		return fmt.Errorf("%w: at most %d properties", ErrBadRequest, MaxProperties)
	}
	for k, v := range req.Properties {
		if k == "" || len(k) > MaxPropertyLen || len(v) > MaxPropertyLen {
			return fmt.Errorf("%w: property keys must be 1-%d bytes, values at most %d", ErrBadRequest, MaxPropertyLen, MaxPropertyLen)
		}
	}
	if req.CreatePrivate && req.Code != "" {
		return fmt.Errorf("%w: create_private and code are exclusive", ErrBadRequest)
	}
	if len(req.Settings) > 0 && !req.CreatePrivate {
		return fmt.Errorf("%w: settings apply only with create_private", ErrBadRequest)
	}
	if len(req.Settings) > MaxSettings {
		return fmt.Errorf("%w: at most %d settings", ErrBadRequest, MaxSettings)
	}
	for k, v := range req.Settings {
		if k == "" || len(k) > maxSettingLen || len(v) > maxSettingLen {
			return fmt.Errorf("%w: setting keys and values must be 1-%d bytes", ErrBadRequest, maxSettingLen)
		}
	}
	if len(req.Code) > 16 {
		return fmt.Errorf("%w: code too long", ErrBadRequest)
	}
	return nil
}
