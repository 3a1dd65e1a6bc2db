package client

import (
	"errors"
	"time"
	"unicode/utf8"

	gproto "google.golang.org/protobuf/proto"

	"github.com/tickwire/tickwire/proto"
)

// Game messages: typed, reliable messages to the room outside the per-tick input stream (chat, "ready", "buy item",
// "play card"). The room hands them to the game at the start of its next tick, in arrival order, before that tick's
// inputs; the game answers with Events, to everyone or to the sender alone (Event.targeted, OnTargetedEvent).

// Limits the server applies when the Welcome does not state them (a server from before messages).
const (
	DefaultMaxMessageBytes = 1024
	MaxMessageType         = 32
)

// Errors of SendMessage, found before anything is sent.
var (
	ErrMessageType    = errors.New("client: message type must be 1-32 bytes of UTF-8")
	ErrMessagePayload = errors.New("client: message payload larger than the server accepts (Welcome.max_message_bytes)")
)

// TargetedHandler is implemented by a Handler that wants the events the game sent to this player alone or to a set
// of players (Event.targeted) apart from the broadcast ones: they go to OnTargetedEvent instead of OnEvent. The event
// is valid only during the call.
type TargetedHandler interface {
	OnTargetedEvent(c *Client, ev *proto.Event)
}

// SendMessage sends a game message of type typ (named by the game, 1-32 bytes) with payload (at most
// Welcome.max_message_bytes, 1024 by default) and returns its sequence number (Message.seq, from 1, per client),
// which the game may echo in an Event to acknowledge it.
//
// The message is written on the current connection and is not resent after a resume: when the connection drops
// between the write and the room, it is lost; a game that needs every message acknowledges them. A client that sends
// more than Welcome.message_rate messages per second (bursts of Welcome.message_burst) is closed with 4508.
func (c *Client) SendMessage(typ string, payload []byte) (uint32, error) {
	if typ == "" || len(typ) > MaxMessageType || !utf8.ValidString(typ) {
		return 0, ErrMessageType
	}
	now := time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state != stateJoined {
		return 0, ErrNotConnected
	}
	limit := DefaultMaxMessageBytes
	if n := c.welcome.GetMaxMessageBytes(); n > 0 {
		limit = int(n)
	}
	if len(payload) > limit {
		return 0, ErrMessagePayload
	}
	seq := c.msgSeq + 1
	b, err := gproto.MarshalOptions{}.MarshalAppend(c.wbuf[:0], &proto.ClientFrame{Msg: &proto.ClientFrame_Message{
		Message: &proto.Message{Type: typ, Payload: payload, Seq: seq}}})
	if err != nil {
		return 0, err
	}
	c.wbuf = b
	if err := c.writeLocked(b, now); err != nil {
		return 0, err
	}
	c.msgSeq = seq
	c.stats.MessagesSent.Add(1)
	return seq, nil
}
