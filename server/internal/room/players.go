package room

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/server/internal/journal"
)

// player is one slot. Owned by the run loop.
type player struct {
	id         game.PlayerID
	name       string
	userID     string // verified user id ("" when anonymous)
	verified   bool
	sink       Sink // nil while disconnected
	connected  bool
	graceUntil uint32 // while disconnected: the tick the slot expires at
	sendFull   bool   // the next snapshot is full (joined or resumed)
	lastSeq    uint32 // the highest input sequence applied
	token      []byte // the resume token of its last Welcome (Export)
	ackTick    uint32 // the newest snapshot tick the client acknowledged
	in         inputBuf
	views      viewRing // the views it was last sent, when the Sim has game.Visibility
}

// handleItem files an input or ack from the inbox.
func (r *Room) handleItem(it *inboxItem) {
	p := r.byID[it.player]
	if p == nil {
		r.drop(DropUnknownPlayer)
		return
	}
	if !p.connected || p.sink != it.sink {
		r.drop(DropStaleSink)
		return
	}
	if it.tick <= r.tick && it.tick > p.ackTick { // an ack, or the one an input carries
		p.ackTick = it.tick
	}
	if it.kind == itemInput {
		r.fileInput(p, it)
	}
}

func (r *Room) handleControl(c *ctlCmd) {
	switch c.kind {
	case ctlJoin:
		res, err := r.join(c)
		c.reply <- joinReply{res, err}
	case ctlResume:
		res, err := r.resume(c)
		c.reply <- joinReply{res, err}
	case ctlLeave:
		if p := r.byID[c.player]; p != nil && p.connected && p.sink == c.sink {
			c.sink.Close(CloseLeft, "left")
			r.remove(p, "left")
		}
	case ctlDisconnected:
		if p := r.byID[c.player]; p != nil && p.connected && p.sink == c.sink {
			r.disconnect(p, "disconnected")
		}
	case ctlEnd:
		r.end(c.reason, nil)
	case ctlBroadcast:
		ev := c.ev
		n := min(int(ev.NArgs), len(ev.Args))
		r.sendAll(r.eventFrame(r.tick, ev.Type, uint32(ev.Player), ev.Args[:n], c.text, "", false))
	case ctlBarrier:
		r.barriers = append(r.barriers, c.barrier)
	case ctlExport:
		ex, err := r.export()
		c.export <- exportReply{ex, err}
	}
	r.publish()
}

func (r *Room) join(c *ctlCmd) (JoinResult, error) {
	if !c.take() {
		return JoinResult{}, c.ctx.Err()
	}
	if len(r.players) >= r.cfg.MaxPlayers {
		return JoinResult{}, ErrFull
	}
	until := r.reservationExpiry(c.reservation)
	reserved, ok := r.takeSeat(c.reservation)
	if !ok {
		return JoinResult{}, ErrFull // the free seats are reserved for players on their way
	}
	r.nextID++ // ids are never reused, even when the game refuses one
	id := r.nextID
	who := c.who
	who.ID, who.Name = id, strings.ToValidUTF8(who.Name, "\uFFFD")
	if !who.Verified {
		who.UserID, who.Claims = "", nil
	}
	e := r.entry(journal.KindJoin)
	e.Player = who
	_, err := r.feed(e)
	e.Player = game.Player{} // the entry is reused: keep no identity alive
	if err != nil {
		r.giveSeat(c.reservation, reserved, until)
		if errors.Is(err, game.ErrFull) {
			return JoinResult{}, fmt.Errorf("%w: %w", ErrFull, err)
		}
		return JoinResult{}, fmt.Errorf("%w: %w", ErrRejected, err)
	}
	p := &player{id: id, name: who.Name, userID: who.UserID, verified: who.Verified, sink: c.sink, connected: true, sendFull: true, token: c.token,
		in: newInputBuf(r.cfg.InputWindow, &r.neutral)}
	r.players = append(r.players, p) // ids grow: the slice stays sorted
	r.byID[id] = p
	r.emptySince = 0
	r.publish() // before the welcome: whoever hears of the join must find it in Info
	r.streamSeat(p)
	res := JoinResult{Player: id, Tick: r.tick, Epoch: r.cfg.Epoch}
	r.cfg.Logger.Debug("player joined", slog.String("room", r.cfg.ID), slog.Uint64("player", uint64(id)))
	if !r.sendTo(p, r.welcomeFrame(p, c.token, false)) {
		return res, nil // the slot lives on in its grace period; the client may resume
	}
	r.sendAll(r.eventFrame(r.tick, EventPlayerJoined, uint32(id), nil, p.name, "", false))
	r.emit(Event{Type: EventPlayerJoined, Player: id, Name: p.name, UserID: p.userID, Verified: p.verified})
	return res, nil
}

func (r *Room) resume(c *ctlCmd) (JoinResult, error) {
	p := r.byID[c.player]
	if p == nil {
		if c.player >= 1 && c.player <= r.nextID {
			return JoinResult{}, ErrResumeExpired
		}
		return JoinResult{}, ErrUnknownPlayer
	}
	if !c.take() {
		return JoinResult{}, c.ctx.Err()
	}
	if p.connected {
		if p.sink != c.sink {
			p.sink.Close(CloseSuperseded, "superseded by a new connection")
		}
	} else {
		r.nDisc--
		r.feedPlayer(journal.KindResumed, p.id)
	}
	p.sink, p.connected, p.sendFull = c.sink, true, true
	if c.token != nil {
		p.token = c.token
		r.streamSeat(p)
	}
	p.in.reset(p.lastSeq, r.tick, &r.neutral) // the client resends what was not applied, to new ticks
	r.publish()
	res := JoinResult{Player: p.id, Tick: r.tick, Epoch: r.cfg.Epoch, Resumed: true, LastInputSeq: p.lastSeq}
	if !r.sendTo(p, r.welcomeFrame(p, c.token, true)) {
		return res, nil
	}
	r.sendAll(r.eventFrame(r.tick, EventPlayerResumed, uint32(p.id), nil, p.name, "", false))
	r.emit(Event{Type: EventPlayerResumed, Player: p.id, Name: p.name, UserID: p.userID, Verified: p.verified})
	return res, nil
}

// disconnect starts p's grace period.
func (r *Room) disconnect(p *player, reason string) {
	p.connected, p.sink = false, nil
	p.graceUntil = r.tick + r.graceTicks
	p.in.reset(p.lastSeq, r.tick, &r.neutral) // a disconnected player's future inputs are void
	r.nDisc++
	r.publish()
	r.feedPlayer(journal.KindDisconnected, p.id)
	r.sendAll(r.eventFrame(r.tick, EventPlayerDisconnected, uint32(p.id), nil, p.name, "", false))
	r.emit(Event{Type: EventPlayerDisconnected, Player: p.id, Name: p.name, UserID: p.userID, Verified: p.verified, Reason: reason})
}

// remove frees p's slot for good.
func (r *Room) remove(p *player, reason string) {
	if !p.connected {
		r.nDisc--
	}
	r.feedPlayer(journal.KindLeave, p.id)
	if r.vis != nil {
		r.vis.clear(&p.views)
	}
	r.leaveSeat()
	delete(r.byID, p.id)
	if i := slices.Index(r.players, p); i >= 0 {
		r.players = slices.Delete(r.players, i, i+1)
	}
	r.publish()
	r.sendAll(r.eventFrame(r.tick, EventPlayerLeft, uint32(p.id), nil, reason, "", false))
	r.emit(Event{Type: EventPlayerLeft, Player: p.id, Name: p.name, UserID: p.userID, Verified: p.verified, Reason: reason})
}

// expireGrace removes players whose grace period is over.
func (r *Room) expireGrace() {
	for i := 0; i < len(r.players) && r.nDisc > 0; {
		p := r.players[i]
		if !p.connected && r.tick >= p.graceUntil {
			r.remove(p, "grace_expired")
			continue
		}
		i++
	}
}

// sendTo hands a reliable frame to p; a full queue closes the connection (CLOSE_SLOW_CONSUMER) and starts grace.
func (r *Room) sendTo(p *player, b []byte) bool {
	if !p.connected {
		return false
	}
	if p.sink.SendReliable(b) {
		r.cfg.Observer.ReliableSent(len(b))
		return true
	}
	p.sink.Close(CloseSlowConsumer, "reliable queue full")
	r.disconnect(p, "slow_consumer")
	return false
}

func (r *Room) sendAll(b []byte) {
	for i := 0; i < len(r.players); i++ {
		r.sendTo(r.players[i], b)
	}
}

// end finishes the match: MatchResult to every connected player, then CLOSE_ROOM_ENDED.
func (r *Room) end(reason string, res *game.Result) {
	if r.ended {
		return
	}
	reason = strings.ToValidUTF8(reason, "\uFFFD")
	var standings []game.PlayerResult
	switch {
	case res != nil:
		standings = res.Players
	default:
		if s, ok := r.sim.(Standings); ok {
			standings = s.Standings()
		} else {
			for _, p := range r.players {
				standings = append(standings, game.PlayerResult{Player: p.id, Rank: 1})
			}
		}
	}
	results := make([]PlayerResult, len(standings))
	for i, s := range standings {
		results[i] = PlayerResult{Player: s.Player, Score: s.Score, Rank: s.Rank}
		if p := r.byID[s.Player]; p != nil {
			results[i].Name, results[i].UserID, results[i].Verified = p.name, p.userID, p.verified
		}
	}
	frame := r.matchResultFrame(reason, results)
	r.ended = true
	r.publish() // before the result: a player who lists rooms after it finds the room ended
	for _, p := range r.players {
		if p.connected {
			p.sink.SendReliable(frame)
			p.sink.Close(CloseRoomEnded, "match ended: "+reason)
		}
	}
	r.emit(Event{Type: EventMatchEnded, Reason: reason, Results: results})
}

// fail ends the room after a panic: only this room stops.
func (r *Room) fail(p any) {
	msg := fmt.Sprint(p)
	r.failWith(msg, "room failed", slog.String("panic", msg))
}

// failWith ends the room as failed: logs why, closes its connected players with CLOSE_ROOM_FAILED and closeReason,
// and reports room_error with msg. A sink or an event handler that panics does not stop the others.
func (r *Room) failWith(msg, closeReason string, why slog.Attr) {
	r.cfg.Logger.Error("room failed", slog.String("room", r.cfg.ID), slog.Uint64("tick", uint64(r.tick)), why)
	r.ended = true
	r.stateA.Store(int32(StateEnded))
	for _, pl := range r.players {
		if pl.connected && pl.sink != nil {
			func() {
				defer func() { _ = recover() }()
				pl.sink.Close(CloseRoomFailed, closeReason)
			}()
		}
	}
	func() {
		defer func() { _ = recover() }()
		r.emit(Event{Type: EventRoomError, Reason: msg})
	}()
}
