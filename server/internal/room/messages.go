package room

import (
	"context"
	"errors"
	"sync"
	"unicode/utf8"

	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/server/internal/journal"
)

// Messages are the game's channel outside the per-tick input stream (game.Message): from a connected player (Message)
// or from the backend (Signal). They wait in one bounded queue (Config.MessageQueueSize), in arrival order, and the
// loop hands them to the Sim (game.MessageHandler) at the start of the next tick, before that tick's inputs. The
// payloads are copied on the way in: the transport reuses its read buffer.

// Errors of Message and Signal.
var (
	ErrMessageQueueFull = errors.New("room: message queue full")              // the sender is closed with CLOSE_SERVER_BUSY
	ErrNotSupported     = errors.New("room: the game does not take messages") // no game.MessageHandler
	ErrBadMessage       = errors.New("room: bad message")                     // type or payload out of bounds
)

// msgItem is a message on its way to the loop.
type msgItem struct {
	player game.PlayerID // game.Backend for a signal
	sink   Sink          // nil for a signal
	msg    game.Message
	reply  chan sigReply // a signal's answer (buffered 1); nil for a player's message
	buf    *[]byte       // msg.Payload's storage, from payloadPool (a player's message), returned after the tick
}

// payloadPool recycles the storage of players' message payloads, so that a steady flow of messages allocates nothing.
var payloadPool = sync.Pool{New: func() any { b := make([]byte, 0, 256); return &b }}

func (it *msgItem) release() {
	if it.buf != nil {
		*it.buf = (*it.buf)[:0]
		payloadPool.Put(it.buf)
		it.buf = nil
	}
}

type sigReply struct {
	reply []byte
	err   error
}

func checkMessage(typ string, payload []byte) error {
	if typ == "" || len(typ) > game.MaxMessageType || !utf8.ValidString(typ) || len(payload) > game.MaxMessageBytes {
		return ErrBadMessage
	}
	return nil
}

// Message queues a message from player's connection sink for the next tick. It copies payload and never blocks:
// ErrMessageQueueFull when the room's queue is full, ErrEnded when the room has ended. Messages from a sink that is no
// longer the player's connection are dropped by the loop.
func (r *Room) Message(player game.PlayerID, sink Sink, typ string, payload []byte, seq uint32) error {
	if err := checkMessage(typ, payload); err != nil {
		return err
	}
	it := msgItem{player: player, sink: sink, msg: game.Message{Type: typ, Seq: seq}}
	if len(payload) > 0 {
		it.buf = payloadPool.Get().(*[]byte)
		*it.buf = append((*it.buf)[:0], payload...)
		it.msg.Payload = *it.buf
	}
	if err := r.pushMessage(it); err != nil {
		it.release()
		return err
	}
	return nil
}

// Signal sends a message from the backend (from == game.Backend) and waits for the game to handle it at the start of
// the next tick; it returns the game's reply (nil: none). ErrNotSupported when the Sim takes no messages, ErrEnded,
// ErrMessageQueueFull, or ctx's error when ctx ends first (the message may still be handled later).
func (r *Room) Signal(ctx context.Context, typ string, payload []byte) ([]byte, error) {
	if err := checkMessage(typ, payload); err != nil {
		return nil, err
	}
	if _, ok := r.sim.(game.MessageHandler); !ok {
		return nil, ErrNotSupported
	}
	it := msgItem{player: game.Backend, msg: game.Message{Type: typ, Payload: clonePayload(payload)},
		reply: make(chan sigReply, 1)}
	if err := r.pushMessage(it); err != nil {
		return nil, err
	}
	select {
	case rep := <-it.reply:
		return rep.reply, rep.err
	case <-r.done:
		select {
		case rep := <-it.reply:
			return rep.reply, rep.err
		default:
			return nil, ErrEnded
		}
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func clonePayload(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return append([]byte(nil), b...)
}

func (r *Room) pushMessage(it msgItem) error {
	if State(r.stateA.Load()) == StateEnded {
		return ErrEnded
	}
	select {
	case r.msgs <- it:
		return nil
	default:
		r.msgDroppedA.Add(1)
		return ErrMessageQueueFull
	}
}

// handleMessages hands the Sim every message queued before tick t started, in arrival order. The items stay in
// r.msgBatch until the tick's events are encoded (their payloads may be in those events), then are cleared.
func (r *Room) handleMessages(t uint32) {
	h, _ := r.sim.(game.MessageHandler)
	for n := len(r.msgs); n > 0; n-- {
		var it msgItem
		select {
		case it = <-r.msgs:
		default:
			return
		}
		if it.reply != nil { // the backend
			if h == nil {
				it.reply <- sigReply{err: ErrNotSupported}
				continue
			}
			r.msgBatch = append(r.msgBatch, it)
			reply := r.feedMessage(game.Backend, &it.msg)
			it.reply <- sigReply{reply: reply}
			r.msgHandledA.Add(1)
			continue
		}
		p := r.byID[it.player]
		switch {
		case p == nil || !p.connected || p.sink != it.sink, h == nil:
			r.msgDroppedA.Add(1)
			it.release()
			continue
		}
		r.msgBatch = append(r.msgBatch, it)
		r.feedMessage(it.player, &it.msg)
		r.msgHandledA.Add(1)
	}
}

// feedMessage hands the Sim one message through the journal. The payload stays in r.msgBatch until the end of
// the tick.
func (r *Room) feedMessage(from game.PlayerID, m *game.Message) []byte {
	e := r.entry(journal.KindMessage)
	e.Player.ID, e.Message = from, *m
	reply, _ := r.feed(e)
	e.Message = game.Message{}
	return reply
}

// releaseMessages forgets the tick's messages and recycles their payloads: the Sim was told they are valid until the
// end of the tick.
func (r *Room) releaseMessages() {
	if len(r.msgBatch) == 0 {
		return
	}
	for i := range r.msgBatch {
		r.msgBatch[i].release()
	}
	clear(r.msgBatch)
	r.msgBatch = r.msgBatch[:0]
}
