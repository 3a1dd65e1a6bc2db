package room

import "github.com/tickwire/tickwire/game"

// Room event types, passed to Config.OnEvent (and, except created and match_ended, sent to players as Events).
const (
	EventCreated            = "created"
	EventPlayerJoined       = "player_joined"
	EventPlayerLeft         = "player_left"
	EventPlayerDisconnected = "player_disconnected"
	EventPlayerResumed      = "player_resumed"
	EventMatchEnded         = "match_ended"
	EventRoomError          = "room_error"
)

// Event is something that happened to a room, for the server (directory, matchmaker, logs, metrics).
type Event struct {
	Type   string
	Room   string
	Epoch  uint64
	Tick   uint32
	Player game.PlayerID // 0: none
	Name   string        // the player's name
	// UserID is the player's verified user id; Verified says it came from a verified player token (or the server's
	// Authenticate hook). Empty and false for an anonymous player.
	UserID   string
	Verified bool
	Reason   string // why a player left ("left", "grace_expired", "ended") or the match ended; error text
	// Results is set for match_ended: every player with a slot at the end, best first.
	Results []PlayerResult
}

// PlayerResult is one player's standing at the end.
type PlayerResult struct {
	Player   game.PlayerID
	Name     string
	UserID   string // verified user id; "" when anonymous
	Verified bool
	Score    int32
	Rank     int
}

// sendEvents delivers the tick's game events: an event with To == 0 goes to every connected player (one encoding
// shared by all), one with To set only to that player while it is connected. Nothing here allocates in steady state:
// frames are carved from the reliable slab.
func (r *Room) sendEvents(t uint32) {
	for i := range r.events.List {
		ev := &r.events.List[i]
		n := min(int(ev.NArgs), len(ev.Args))
		payload := ev.Payload
		if len(payload) > game.MaxMessageBytes {
			payload = payload[:game.MaxMessageBytes]
		}
		if ev.To == 0 {
			r.sendAll(r.eventFrame(t, ev.Type, uint32(ev.Player), ev.Args[:n], "", payload, false))
			continue
		}
		if p := r.byID[ev.To]; p != nil && p.connected {
			r.sendTo(p, r.eventFrame(t, ev.Type, uint32(ev.Player), ev.Args[:n], "", payload, true))
		}
	}
}
