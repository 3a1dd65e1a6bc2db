package arena

import (
	"strconv"
	"unicode/utf8"

	"github.com/tickwire/tickwire/game"
)

// Messages the arena takes (game.MessageHandler).
const (
	// MessageChat is a chat line from a player (payload: UTF-8 text, at most MaxChatBytes). Every player gets it as an
	// EventChat event about the sender, with the text as the payload.
	MessageChat = "chat"
	// MessageAnnounce is a line from the backend (a signal), sent to every player as an EventChat event about no one
	// (player 0). The reply is the number of players who were in the arena, in decimal.
	MessageAnnounce = "announce"
)

// EventChat carries a chat line (or a backend announcement) to every player.
const EventChat = "chat"

// EventRefused answers the sender alone (game.Events.AddTo) when the arena does not take its message: an unknown
// type, or a chat line that is empty, too long or not UTF-8. Its first argument is the message's client seq.
const EventRefused = "message_refused"

// MaxChatBytes is the longest chat line.
const MaxChatBytes = 200

var _ game.MessageHandler = (*Arena)(nil)

// HandleMessage takes chat lines from players and announcements from the backend. Chat changes nothing in the world,
// so the simulation stays deterministic whether or not messages arrive.
func (a *Arena) HandleMessage(t game.Tick, from game.PlayerID, m *game.Message, ev *game.Events) []byte {
	switch {
	case from == game.Backend && m.Type == MessageAnnounce:
		ev.Add(game.Event{Type: EventChat, Payload: string(m.Payload)})
		return strconv.AppendInt(nil, int64(len(a.players)), 10)
	case from != game.Backend && m.Type == MessageChat && len(m.Payload) > 0 && len(m.Payload) <= MaxChatBytes &&
		utf8.Valid(m.Payload):
		ev.Add(game.Event{Type: EventChat, Player: from, Payload: string(m.Payload)})
	case from != game.Backend:
		ev.AddTo(from, game.Event{Type: EventRefused, Player: from, Args: [4]int32{int32(m.Seq)}, NArgs: 1})
	}
	return nil
}
