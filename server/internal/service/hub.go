package service

import (
	"encoding/json"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Event types on the stream (room events keep the room's names; "created" becomes room_created).
const (
	EventSubscribed         = "subscribed" // the first frame of every stream
	EventRoomCreated        = "room_created"
	EventPlayerJoined       = "player_joined"
	EventPlayerLeft         = "player_left"
	EventPlayerDisconnected = "player_disconnected"
	EventPlayerResumed      = "player_resumed"
	EventMatchEnded         = "match_ended"
	EventRoomError          = "room_error"
	EventServer             = "server_event" // pushed into a room through the service API
)

// Event is one frame of the event stream (see the package documentation for the schema).
type Event struct {
	Seq      uint64        `json:"seq"`
	Type     string        `json:"type"`
	Time     time.Time     `json:"time,omitzero"`
	RoomID   string        `json:"room_id,omitempty"`
	Mode     string        `json:"mode,omitempty"`
	Epoch    uint64        `json:"epoch,omitempty"`
	Tick     uint32        `json:"tick,omitempty"`
	PlayerID uint32        `json:"player_id,omitempty"`
	Player   string        `json:"player,omitempty"`   // the player's name
	UserID   string        `json:"user_id,omitempty"`  // the player's verified user id (player events)
	Verified bool          `json:"verified,omitempty"` // user_id and player come from a verified player token
	Reason   string        `json:"reason,omitempty"`   // why a player left or the match ended; an error text
	Text     string        `json:"text,omitempty"`
	Args     []int32       `json:"args,omitempty"`
	Results  []PlayerScore `json:"results,omitempty"` // match_ended: every player, best first
}

// PlayerScore is one player's standing in a match_ended event.
type PlayerScore struct {
	PlayerID uint32 `json:"player_id"`
	Name     string `json:"name"`
	UserID   string `json:"user_id,omitempty"`  // verified user id; absent for an anonymous player
	Verified bool   `json:"verified,omitempty"` // the player joined with a verified player token
	Score    int32  `json:"score"`
	Rank     int    `json:"rank"`
}

// Filter selects events: each non-empty list must contain the event's value.
type Filter struct {
	Rooms []string
	Modes []string
	Types []string
}

func (f *Filter) match(ev *Event) bool {
	return (len(f.Rooms) == 0 || slices.Contains(f.Rooms, ev.RoomID)) &&
		(len(f.Modes) == 0 || slices.Contains(f.Modes, ev.Mode)) &&
		(len(f.Types) == 0 || slices.Contains(f.Types, ev.Type))
}

// ErrTooManySubscribers is returned by Subscribe past HubConfig.MaxSubscribers.
var ErrTooManySubscribers = errors.New("service: too many event subscribers")

// HubConfig bounds the hub. Zero values get the defaults in brackets.
type HubConfig struct {
	// Queue is each subscriber's bound of undelivered events; one more drops the subscriber [256].
	Queue int
	// MaxSubscribers caps concurrent subscribers [64].
	MaxSubscribers int
}

// Hub fans events out to subscribers. Publish never blocks and takes no lock: the subscriber list is a copy-on-write
// slice, and a subscriber whose queue is full is marked dropped (its stream is closed with 4000 by its writer) instead
// of being waited for.
type Hub struct {
	// Static after construction.
	cfg HubConfig

	seq     atomic.Uint64
	subs    atomic.Pointer[[]*Subscriber] // replaced, never modified, under mu
	dropped atomic.Uint64                 // subscribers dropped as slow consumers

	mu sync.Mutex // serializes Subscribe and Unsubscribe
}

// Subscriber is one stream's end of the hub.
type Subscriber struct {
	filter Filter
	ch     chan []byte
	// slow is closed (once, guarded by slowOnce) when an event could not be queued.
	slow     chan struct{}
	slowOnce sync.Once
	isSlow   atomic.Bool
}

// NewHub makes a hub.
func NewHub(cfg HubConfig) *Hub {
	if cfg.Queue <= 0 {
		cfg.Queue = 256
	}
	if cfg.MaxSubscribers <= 0 {
		cfg.MaxSubscribers = 64
	}
	h := &Hub{cfg: cfg}
	h.subs.Store(&[]*Subscriber{})
	return h
}

// Subscribe adds a subscriber for the events matching f, published from now on.
func (h *Hub) Subscribe(f Filter) (*Subscriber, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	old := *h.subs.Load()
	if len(old) >= h.cfg.MaxSubscribers {
		return nil, ErrTooManySubscribers
	}
	s := &Subscriber{filter: f, ch: make(chan []byte, h.cfg.Queue), slow: make(chan struct{})}
	next := append(slices.Clip(old), s)
	h.subs.Store(&next)
	return s, nil
}

// Unsubscribe removes a subscriber; its channel is not closed (the writer stops on its own signal).
func (h *Hub) Unsubscribe(s *Subscriber) {
	h.mu.Lock()
	defer h.mu.Unlock()
	old := *h.subs.Load()
	i := slices.Index(old, s)
	if i < 0 {
		return
	}
	next := slices.Delete(slices.Clone(old), i, i+1)
	h.subs.Store(&next)
}

// Subscribers reports the number of subscribers.
func (h *Hub) Subscribers() int { return len(*h.subs.Load()) }

// Dropped reports how many subscribers were dropped as slow consumers.
func (h *Hub) Dropped() uint64 { return h.dropped.Load() }

// Seq is the sequence number of the last event published.
func (h *Hub) Seq() uint64 { return h.seq.Load() }

// Publish stamps ev with the next sequence number and offers it to every matching subscriber without blocking. The
// JSON is encoded once, only when someone matches.
func (h *Hub) Publish(ev Event) {
	ev.Seq = h.seq.Add(1)
	var b []byte
	for _, s := range *h.subs.Load() {
		if s.isSlow.Load() || !s.filter.match(&ev) {
			continue
		}
		if b == nil {
			var err error
			if b, err = json.Marshal(&ev); err != nil {
				return // an Event always encodes; nothing sensible to send otherwise
			}
		}
		select {
		case s.ch <- b:
		default:
			// Decision: a subscriber that fell a whole queue behind is dropped (4000), never waited for.
			s.drop()
			h.dropped.Add(1)
		}
	}
}

func (s *Subscriber) drop() {
	s.slowOnce.Do(func() {
		s.isSlow.Store(true)
		close(s.slow)
	})
}

// Events delivers the subscriber's events, one encoded JSON object each.
func (s *Subscriber) Events() <-chan []byte { return s.ch }

// Dropped is closed when the subscriber fell behind and was dropped.
func (s *Subscriber) Dropped() <-chan struct{} { return s.slow }
