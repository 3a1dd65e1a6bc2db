package client_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/proto/snapcodec"
	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/tools/client"
)

// handSim is a card game's shape: every player has a public token and a hidden hand (a wide kind with a byte
// string) that only its owner may see. Players whose id is a multiple of 3 are observers: they share one view, the
// public tokens only.
type handSim struct {
	tick    game.Tick
	players []game.PlayerID // ascending
}

const (
	kindToken = 1
	kindHand  = 2
	handBase  = 1000 // a hand's entity id is handBase + its owner
)

func newHandSim(game.Config) (game.Sim, error) { return &handSim{}, nil }

var _ game.Visibility = (*handSim)(nil)

func (s *handSim) Schema() *game.Schema {
	hand := make([]game.FieldSpec, 12)
	for i := range hand {
		hand[i].Name = fmt.Sprintf("card%d", i)
	}
	return &game.Schema{
		Kinds: []game.KindSpec{
			{ID: kindToken, Name: "token", Fields: []game.FieldSpec{{Name: "x", RateField: 2}, {Name: "vx"}}},
			{ID: kindHand, Name: "hand", Fields: hand, Data: true},
		},
		Input: []game.InputField{{Name: "dx", Min: -1, Max: 1}},
	}
}

func (s *handSim) Join(p game.Player) error {
	s.players = append(s.players, p.ID)
	return nil
}

func (s *handSim) Leave(p game.PlayerID) {
	for i, q := range s.players {
		if q == p {
			s.players = append(s.players[:i], s.players[i+1:]...)
			return
		}
	}
}

func (s *handSim) Disconnected(game.PlayerID)                       {}
func (s *handSim) Resumed(game.PlayerID)                            {}
func (s *handSim) ApplyInput(game.Tick, game.PlayerID, *game.Input) {}
func (s *handSim) Step(t game.Tick, _ *game.Events)                 { s.tick = t }
func (s *handSim) Result() (game.Result, bool)                      { return game.Result{}, false }

func (s *handSim) AppendEntities(dst []game.Entity) []game.Entity {
	for _, p := range s.players {
		e := game.Entity{ID: uint32(p), Kind: kindToken}
		e.Fields[0], e.Fields[1] = int32(s.tick)*3, 3
		dst = append(dst, e)
	}
	for _, p := range s.players {
		e := game.Entity{ID: handBase + uint32(p), Kind: kindHand}
		for i := range 12 {
			e.Fields[i] = int32(p)*100 + int32(i) + int32(s.tick/10)
		}
		e.SetData(handData(p, s.tick))
		dst = append(dst, e)
	}
	return append(dst, game.Entity{ID: flashID, Kind: kindToken})
}

// flashID is an entity that players (not observers) see for 10 ticks out of 20: it enters and leaves their views.
const flashID = 5000

func flashVisible(t game.Tick) bool { return t/10%2 == 0 }

// handData is a hand's byte string: its owner and a card that changes every 15 ticks.
func handData(p game.PlayerID, t game.Tick) []byte {
	return fmt.Appendf(nil, "hand-%d-card-%d", p, t/15)
}

func observer(p game.PlayerID) bool { return p%3 == 0 }

func (s *handSim) ViewKey(p game.PlayerID) uint64 {
	if observer(p) {
		return 1 << 40
	}
	return uint64(p)
}

func (s *handSim) AppendView(dst []game.Entity, world []game.Entity, p game.PlayerID, key uint64) []game.Entity {
	for _, e := range world {
		if e.Kind == kindHand && (key == 1<<40 || e.ID != handBase+uint32(p)) {
			continue
		}
		if e.ID == flashID && (key == 1<<40 || !flashVisible(s.tick)) {
			continue
		}
		dst = append(dst, e)
	}
	return dst
}

// handWatcher checks every snapshot a client decodes: the world it holds (built from every frame received, since a
// delta can only add an entity by sending it whole) never contains another player's hand.
type handWatcher struct {
	client.NopHandler
	foreign   atomic.Int64 // snapshots that held someone else's hand
	ownHand   atomic.Int64 // snapshots that held the client's own hand
	badData   atomic.Int64 // own hand with a byte string that is not its owner's
	snapshots atomic.Int64

	// The world as OnEnter and OnExit describe it, checked against each snapshot's world (read goroutine only).
	seen       map[uint32]bool
	viewErrors atomic.Int64 // snapshots whose world differs from what the enter and exit calls built
	flashIn    atomic.Int64
	flashOut   atomic.Int64
}

var _ client.ViewHandler = (*handWatcher)(nil)

func (h *handWatcher) OnEnter(_ *client.Client, e *game.Entity) {
	if h.seen[e.ID] {
		h.viewErrors.Add(1)
	}
	h.seen[e.ID] = true
	if e.ID == flashID {
		h.flashIn.Add(1)
	}
}

func (h *handWatcher) OnExit(_ *client.Client, e *game.Entity) {
	if !h.seen[e.ID] {
		h.viewErrors.Add(1)
	}
	delete(h.seen, e.ID)
	if e.ID == flashID {
		h.flashOut.Add(1)
	}
}

func (h *handWatcher) OnSnapshot(c *client.Client, w *snapcodec.World, _ uint32) {
	h.snapshots.Add(1)
	if len(h.seen) != len(w.Entities) {
		h.viewErrors.Add(1)
	}
	for _, e := range w.Entities {
		if !h.seen[e.ID] {
			h.viewErrors.Add(1)
		}
	}
	me := c.PlayerID()
	for _, e := range w.Entities {
		if e.Kind != kindHand {
			continue
		}
		if e.ID != handBase+me {
			h.foreign.Add(1)
			continue
		}
		h.ownHand.Add(1)
		if want := fmt.Sprintf("hand-%d-card-", me); len(e.Bytes()) < len(want) || string(e.Bytes()[:len(want)]) != want {
			h.badData.Add(1)
		}
	}
}

// Over real WebSockets, no snapshot frame sent to a player ever carries another player's hidden entity, observers
// share a view without hands, deltas and hashes stay correct per view, and a resumed player gets its view in full.
func TestHiddenEntitiesNeverSent(t *testing.T) {
	addr, _ := startGameServer(t, "hands", newHandSim, server.GameOptions{MaxPlayers: 6, HashInterval: 5})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	const n = 6
	clients := make([]*client.Client, n)
	watchers := make([]*handWatcher, n)
	for i := range clients {
		watchers[i] = &handWatcher{seen: map[uint32]bool{}}
		c, err := client.Dial(ctx, client.Config{URL: "ws://" + addr, Mode: "hands", Name: fmt.Sprint("p", i), Handler: watchers[i]})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		clients[i] = c
	}
	waitSnapshots := func(min int64) {
		t.Helper()
		for _, w := range watchers {
			for w.snapshots.Load() < min {
				select {
				case <-ctx.Done():
					t.Fatalf("timed out waiting for %d snapshots (have %d)", min, w.snapshots.Load())
				case <-time.After(10 * time.Millisecond):
				}
			}
		}
	}
	waitSnapshots(40)
	// A resume must bring the player's own view in full, and still nothing of anyone else's.
	full0 := clients[1].Stats().FullSnapshots.Load()
	clients[1].Drop()
	for clients[1].Resumes() < 1 {
		select {
		case <-ctx.Done():
			t.Fatal("client 1 did not resume")
		case <-time.After(10 * time.Millisecond):
		}
	}
	start := watchers[1].snapshots.Load()
	for watchers[1].snapshots.Load() < start+40 {
		select {
		case <-ctx.Done():
			t.Fatal("no snapshots after the resume")
		case <-time.After(10 * time.Millisecond):
		}
	}
	if got := clients[1].Stats().FullSnapshots.Load(); got <= full0 {
		t.Errorf("resume brought no full snapshot (%d before, %d after)", full0, got)
	}
	waitSnapshots(80)

	for i, c := range clients {
		w, st := watchers[i], c.Stats()
		t.Logf("player %d: %d snapshots (%d full), %d with its hand, %d hash checks, %d bytes in", c.PlayerID(),
			w.snapshots.Load(), st.FullSnapshots.Load(), w.ownHand.Load(), st.HashChecks.Load(), st.BytesIn.Load())
		if w.foreign.Load() != 0 {
			t.Errorf("player %d held another player's hand in %d snapshots", c.PlayerID(), w.foreign.Load())
		}
		if w.badData.Load() != 0 {
			t.Errorf("player %d: its hand's byte string was wrong %d times", c.PlayerID(), w.badData.Load())
		}
		if st.DecodeErrors.Load() != 0 || st.WorldMismatches.Load() != 0 || st.HashChecks.Load() == 0 {
			t.Errorf("player %d: %d decode errors, %d hash mismatches of %d checks", c.PlayerID(),
				st.DecodeErrors.Load(), st.WorldMismatches.Load(), st.HashChecks.Load())
		}
		if w.viewErrors.Load() != 0 {
			t.Errorf("player %d: enter and exit calls disagree with the world %d times", c.PlayerID(), w.viewErrors.Load())
		}
		if in, out := st.EntitiesEntered.Load(), st.EntitiesExited.Load(); in < out || in == 0 {
			t.Errorf("player %d: %d entered, %d exited", c.PlayerID(), in, out)
		}
		own := w.ownHand.Load()
		if observer(game.PlayerID(c.PlayerID())) {
			if own != 0 || w.flashIn.Load() != 0 {
				t.Errorf("observer %d held a hand or the flash", c.PlayerID())
			}
		} else {
			if own != w.snapshots.Load() {
				t.Errorf("player %d held its hand in %d of %d snapshots", c.PlayerID(), own, w.snapshots.Load())
			}
			// 80 snapshots at one a tick cover 4 periods of the flash.
			if w.flashIn.Load() < 3 || w.flashOut.Load() < 3 {
				t.Errorf("player %d: the flash entered %d and left %d times", c.PlayerID(), w.flashIn.Load(), w.flashOut.Load())
			}
		}
	}
}
