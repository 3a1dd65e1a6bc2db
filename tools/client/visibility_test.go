package client_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/game/arena"
	"github.com/tickwire/tickwire/game/cards"
	"github.com/tickwire/tickwire/proto"
	"github.com/tickwire/tickwire/proto/snapcodec"
	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/tools/client"
)

// cardWatcher is a player of the card game (game/cards) that checks every frame it receives: every snapshot (the
// world it holds is built from every frame, and a delta can only add an entity by sending it whole) and every event.
// Once moves are allowed it plays the hand with cards.Choose. Its methods run on the client's read goroutine.
type cardWatcher struct {
	client.NopHandler
	moves *atomic.Bool // moves allowed

	foreign      atomic.Int64 // snapshots or events that showed another player's hidden card
	handMismatch atomic.Int64 // snapshots whose own hand differs from the seat's card count
	ownHand      atomic.Int64 // snapshots holding the player's own hand
	snapshots    atomic.Int64
	refused      atomic.Int64
	played       atomic.Int64

	// The world as OnEnter and OnExit describe it, checked against each snapshot's world (read goroutine only).
	seen       map[uint32]bool
	sentTurn   int32
	hand       []cards.Card
	viewErrors atomic.Int64 // snapshots whose world differs from what the enter and exit calls built
	pileIn     atomic.Int64 // cards entering the view as the pile's top
	exits      atomic.Int64
}

var (
	_ client.ViewHandler     = (*cardWatcher)(nil)
	_ client.TargetedHandler = (*cardWatcher)(nil)
)

func (h *cardWatcher) OnEnter(_ *client.Client, e *game.Entity) {
	if h.seen[e.ID] {
		h.viewErrors.Add(1)
	}
	h.seen[e.ID] = true
	if e.Kind == cards.KindCard && e.Fields[cards.CardWhere] == cards.WherePile {
		h.pileIn.Add(1)
	}
}

func (h *cardWatcher) OnExit(_ *client.Client, e *game.Entity) {
	if !h.seen[e.ID] {
		h.viewErrors.Add(1)
	}
	delete(h.seen, e.ID)
	h.exits.Add(1)
}

func (h *cardWatcher) OnSnapshot(c *client.Client, w *snapcodec.World, _ uint32) {
	h.snapshots.Add(1)
	if len(h.seen) != len(w.Entities) {
		h.viewErrors.Add(1)
	}
	me := int32(c.PlayerID())
	var table, seat *game.Entity
	var top cards.Card
	h.hand = h.hand[:0]
	for i := range w.Entities {
		e := &w.Entities[i]
		if !h.seen[e.ID] {
			h.viewErrors.Add(1)
		}
		switch {
		case e.Kind == cards.KindTable:
			table = e
		case e.Kind == cards.KindSeat && e.ID == uint32(me):
			seat = e
		case e.Kind == cards.KindCard && e.Fields[cards.CardWhere] == cards.WherePile:
			top = cards.Card(e.ID - cards.CardBase)
		case e.Kind == cards.KindCard && e.Fields[cards.CardOwner] != me:
			h.foreign.Add(1)
		case e.Kind == cards.KindCard:
			h.hand = append(h.hand, cards.Card(e.ID-cards.CardBase))
		}
	}
	if len(h.hand) > 0 {
		h.ownHand.Add(1)
	}
	if seat != nil && int32(len(h.hand)) != seat.Fields[cards.SeatCards] || seat == nil && len(h.hand) > 0 {
		h.handMismatch.Add(1)
	}
	if !h.moves.Load() || table == nil || table.Fields[cards.TableState] != cards.StatePlaying ||
		table.Fields[cards.TableTurn] != me || table.Fields[cards.TableTurnNo] == h.sentTurn {
		return
	}
	turnNo := table.Fields[cards.TableTurnNo]
	h.sentTurn = turnNo
	if card, follow, ok := cards.Choose(h.hand, top, cards.Suit(table.Fields[cards.TableSuit])); ok {
		_, _ = c.SendMessage(cards.MessagePlay, cards.PlayPayload(turnNo, card, follow))
		h.played.Add(1)
	} else {
		_, _ = c.SendMessage(cards.MessageDraw, cards.DrawPayload(turnNo))
	}
}

// OnEvent sees the events sent to everyone: none may name a drawn card.
func (h *cardWatcher) OnEvent(_ *client.Client, ev *proto.Event) {
	if ev.GetType() == cards.EventDrawn {
		h.foreign.Add(1)
	}
}

// OnTargetedEvent sees the events sent to this player alone: its own drawn cards, refused moves.
func (h *cardWatcher) OnTargetedEvent(c *client.Client, ev *proto.Event) {
	switch ev.GetType() {
	case cards.EventDrawn:
		if ev.GetPlayerId() != c.PlayerID() {
			h.foreign.Add(1)
		}
	case cards.EventRefused:
		h.refused.Add(1)
	}
}

// Over real WebSockets, a hand of the card game (game/cards) is played to its end and no frame sent to a player
// ever carries another player's hidden card: seated players see their own hand and nothing of the other's,
// spectators share a view without hands, deltas and hashes stay correct per view, cards enter and leave views as
// they are drawn and played, and a resumed player gets its view in full.
func TestHiddenEntitiesNeverSent(t *testing.T) {
	addr, _ := startGameServer(t, cards.Mode, cards.Factory, server.GameOptions{MaxPlayers: 4, HashInterval: 5,
		Settings: map[string]string{"seats": "2", "hand_size": "10", "turn_s": "0"}})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	const n = 4 // two seats, two spectators
	var moves atomic.Bool
	clients := make([]*client.Client, n)
	watchers := make([]*cardWatcher, n)
	for i := range clients {
		watchers[i] = &cardWatcher{seen: map[uint32]bool{}, moves: &moves}
		c, err := client.Dial(ctx, client.Config{URL: "ws://" + addr, Mode: cards.Mode, Name: fmt.Sprint("p", i),
			Handler: watchers[i]})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		clients[i] = c
	}
	wait := func(what string, cond func() bool) {
		t.Helper()
		for !cond() {
			select {
			case <-ctx.Done():
				t.Fatalf("timed out waiting for %s", what)
			case <-time.After(10 * time.Millisecond):
			}
		}
	}
	for _, w := range watchers {
		wait("20 snapshots", func() bool { return w.snapshots.Load() >= 20 })
	}
	// A resume must bring the player's own view in full (its hand), and still nothing of anyone else's.
	full0 := clients[0].Stats().FullSnapshots.Load()
	clients[0].Drop()
	wait("the resume", func() bool { return clients[0].Resumes() >= 1 })
	start := watchers[0].snapshots.Load()
	wait("snapshots after the resume", func() bool { return watchers[0].snapshots.Load() >= start+20 })
	if got := clients[0].Stats().FullSnapshots.Load(); got <= full0 {
		t.Errorf("resume brought no full snapshot (%d before, %d after)", full0, got)
	}
	// Now the seated players play the hand to its end.
	moves.Store(true)
	for _, c := range clients {
		wait("the match result", func() bool { return c.MatchResult() != nil })
	}

	for i, c := range clients {
		w, st := watchers[i], c.Stats()
		res := c.MatchResult()
		t.Logf("player %d: %d snapshots (%d full), %d with its hand, %d cards played, %d hash checks, %d entered, "+
			"%d exited, %d bytes in; result %s %v", c.PlayerID(), w.snapshots.Load(), st.FullSnapshots.Load(),
			w.ownHand.Load(), w.played.Load(), st.HashChecks.Load(), st.EntitiesEntered.Load(),
			st.EntitiesExited.Load(), st.BytesIn.Load(), res.GetReason(), res.GetPlayers())
		if w.foreign.Load() != 0 {
			t.Errorf("player %d was shown another player's hidden card %d times", c.PlayerID(), w.foreign.Load())
		}
		if w.handMismatch.Load() != 0 {
			t.Errorf("player %d: its hand differed from its seat's count in %d snapshots", c.PlayerID(), w.handMismatch.Load())
		}
		if st.DecodeErrors.Load() != 0 || st.WorldMismatches.Load() != 0 || st.HashChecks.Load() == 0 {
			t.Errorf("player %d: %d decode errors, %d hash mismatches of %d checks", c.PlayerID(),
				st.DecodeErrors.Load(), st.WorldMismatches.Load(), st.HashChecks.Load())
		}
		if w.viewErrors.Load() != 0 {
			t.Errorf("player %d: enter and exit calls disagree with the world %d times", c.PlayerID(), w.viewErrors.Load())
		}
		if w.refused.Load() != 0 {
			t.Errorf("player %d: %d moves refused", c.PlayerID(), w.refused.Load())
		}
		if res.GetReason() != cards.ReasonHandWon && res.GetReason() != cards.ReasonTurnLimit {
			t.Errorf("player %d: match ended as %q", c.PlayerID(), res.GetReason())
		}
		// Every card played went on the pile in front of everyone, covering the one before.
		if w.pileIn.Load() < 2 || w.exits.Load() == 0 {
			t.Errorf("player %d: %d cards entered as the pile's top, %d entities exited", c.PlayerID(),
				w.pileIn.Load(), w.exits.Load())
		}
		own := w.ownHand.Load()
		if i >= 2 { // spectators
			if own != 0 || w.played.Load() != 0 {
				t.Errorf("spectator %d held a hand or moved", c.PlayerID())
			}
		} else if own == 0 {
			// Its hand is checked against its seat's card count in every snapshot (handMismatch).
			t.Errorf("player %d never held its hand", c.PlayerID())
		}
	}
	if watchers[0].played.Load()+watchers[1].played.Load() == 0 {
		t.Error("no card was played")
	}
}

// viewCounter counts a client's enter and exit calls.
type viewCounter struct {
	client.NopHandler
	in, out atomic.Int64
}

func (v *viewCounter) OnEnter(*client.Client, *game.Entity) { v.in.Add(1) }
func (v *viewCounter) OnExit(*client.Client, *game.Entity)  { v.out.Add(1) }

// The arena with the setting interest_radius: each player's world holds only what is within the radius of it, and
// projectiles and players arrive and leave as enter and exit calls.
func TestArenaInterestRadius(t *testing.T) {
	const radius = 400 // world units
	addr, _ := startGameServer(t, arena.Mode, arena.Factory, server.GameOptions{MaxPlayers: 8,
		Settings: map[string]string{"interest_radius": fmt.Sprint(radius)}})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	const n = 6
	clients := make([]*client.Client, n)
	counters := make([]*viewCounter, n)
	for i := range clients {
		counters[i] = &viewCounter{}
		c, err := client.Dial(ctx, client.Config{URL: "ws://" + addr, Name: fmt.Sprint("p", i), Handler: counters[i]})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		clients[i] = c
	}
	// Everyone runs in a circle, firing: projectiles fly in and out of views, players cross paths.
	r := int64(radius * arena.Scale)
	bad := 0
	for step := 0; step < 150; step++ {
		for i, c := range clients {
			dx, dy := int32(1-(step/20+i)%3), int32(1-(step/30+2*i)%3)
			if _, err := c.SendInput([]int32{dx, dy, int32(step * 900 % 65536), int32(step % 2)}); err != nil && ctx.Err() != nil {
				t.Fatal(err)
			}
		}
		select {
		case <-ctx.Done():
			t.Fatal(ctx.Err())
		case <-time.After(time.Second / 30):
		}
		for _, c := range clients {
			id := c.PlayerID() // WithWorld holds the client's lock: read it before
			c.WithWorld(func(w *snapcodec.World) {
				var me *game.Entity
				for k := range w.Entities {
					if w.Entities[k].ID == id {
						me = &w.Entities[k]
					}
				}
				if me == nil {
					if w.Tick != 0 {
						bad++
					}
					return
				}
				for _, e := range w.Entities {
					dx, dy := int64(e.Fields[0]-me.Fields[0]), int64(e.Fields[1]-me.Fields[1])
					if dx*dx+dy*dy > r*r {
						bad++
					}
				}
			})
		}
	}
	var in, out int64
	for i, c := range clients {
		st := c.Stats()
		if st.DecodeErrors.Load() != 0 || st.WorldMismatches.Load() != 0 {
			t.Errorf("player %d: %d decode errors, %d hash mismatches", c.PlayerID(), st.DecodeErrors.Load(), st.WorldMismatches.Load())
		}
		if counters[i].in.Load() != st.EntitiesEntered.Load() || counters[i].out.Load() != st.EntitiesExited.Load() {
			t.Errorf("player %d: handler and stats disagree", c.PlayerID())
		}
		in += st.EntitiesEntered.Load()
		out += st.EntitiesExited.Load()
	}
	t.Logf("%d entities entered and %d left the players' views", in, out)
	if bad != 0 {
		t.Errorf("%d entities (or missing selves) outside the radius in the players' worlds", bad)
	}
	if out == 0 {
		t.Error("no entity ever left a view")
	}
}
