package server_test

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/game/arena"
	pb "github.com/tickwire/tickwire/proto"
)

// stallGate holds one Step (hold) or one Join (holdJoin) of a stallSim: the room's loop then answers nothing until
// release is closed.
type stallGate struct {
	hold     atomic.Bool
	holdJoin atomic.Bool
	entered  chan struct{} // receives when a Step is held
	release  chan struct{}
}

// stallSim is the arena, except that its Step can be held by the gate.
type stallSim struct {
	game.Sim
	g *stallGate
}

func (s stallSim) Step(t game.Tick, ev *game.Events) {
	if s.g.hold.CompareAndSwap(true, false) {
		s.g.entered <- struct{}{}
		<-s.g.release
	}
	s.Sim.Step(t, ev)
}

func (s stallSim) Join(p game.Player) error {
	if s.g.holdJoin.CompareAndSwap(true, false) {
		s.g.entered <- struct{}{}
		<-s.g.release
	}
	return s.Sim.Join(p)
}

// startStallServer runs a server with JoinTimeout 200ms and one private room of a stallSim held by the returned gate.
func startStallServer(t *testing.T) (*testServer, string, *stallGate) {
	cfg := testConfig()
	cfg.JoinTimeout = 200 * time.Millisecond
	gate := &stallGate{entered: make(chan struct{}), release: make(chan struct{})}
	ts := startServerWith(t, cfg, func(register func(string, game.Factory)) {
		register("stall", func(c game.Config) (game.Sim, error) {
			s, err := arena.Factory(c)
			if err != nil {
				return nil, err
			}
			return stallSim{s, gate}, nil
		})
	})
	info, err := ts.srv.CreateRoom("stall", nil, true)
	if err != nil {
		t.Fatal(err)
	}
	return ts, info.ID, gate
}

// players is how many players the room holds.
func (ts *testServer) players(t *testing.T, roomID string) int {
	for _, r := range ts.srv.Rooms("", true) {
		if r.ID == roomID {
			return r.Players
		}
	}
	t.Fatalf("room %s is gone", roomID)
	return 0
}

func joinTokenFrameFor(tok string) *pb.ClientFrame {
	return &pb.ClientFrame{Msg: &pb.ClientFrame_Join{Join: &pb.Join{Target: &pb.Join_JoinToken{JoinToken: tok}}}}
}

// A join the room took before the join timeout ran out, and answered after it, holds: the client is welcomed, not
// refused as busy while the room keeps a player nobody plays. Deterministic: the game's Join is held until the
// timeout has certainly passed.
func TestJoinTakenBeforeTheTimeoutHolds(t *testing.T) {
	ts, roomID, gate := startStallServer(t)
	tok := ts.srv.IssueJoinToken(roomID, "ann", 0)
	gate.holdJoin.Store(true)
	c := dial(t, ts.addr, nil)
	c.send(hello())
	c.send(joinTokenFrameFor(tok))
	select {
	case <-gate.entered:
	case <-time.After(10 * time.Second):
		close(gate.release)
		t.Fatal("the room never took the join")
	}
	time.Sleep(300 * time.Millisecond) // past the join timeout, which started before the room took the join
	close(gate.release)
	if w := c.waitFor("welcome", 10*time.Second, isWelcome).GetWelcome(); w.RoomId != roomID {
		t.Fatalf("joined room %q, want %q", w.RoomId, roomID)
	}
	if n := ts.players(t, roomID); n != 1 {
		t.Fatalf("room has %d players, want 1", n)
	}
}

// A join token survives a join the server refused as busy (its room did not answer within JoinTimeout: 4002,
// reconnect later): the retry with the same token is admitted, once, and the refused join left no player behind.
// Deterministic: the room's loop is held inside a Step until the refusal has been received.
func TestJoinTokenSurvivesBusyRefusal(t *testing.T) {
	ts, roomID, gate := startStallServer(t)
	tok := ts.srv.IssueJoinToken(roomID, "ann", 0)
	joinTok := joinTokenFrameFor(tok)

	gate.hold.Store(true)
	select {
	case <-gate.entered:
	case <-time.After(10 * time.Second):
		t.Fatal("the room never stepped")
	}
	released := false
	defer func() {
		if !released {
			close(gate.release) // let the room (and the server's shutdown) go on
		}
	}()
	busy := dial(t, ts.addr, nil)
	busy.send(hello())
	busy.send(joinTok)
	busy.expectClose(4002, true, 10*time.Second)
	close(gate.release)
	released = true

	again := dial(t, ts.addr, nil)
	again.send(hello())
	again.send(joinTok)
	if w := again.waitFor("welcome", 10*time.Second, isWelcome).GetWelcome(); w.RoomId != roomID {
		t.Fatalf("joined room %q, want %q", w.RoomId, roomID)
	}
	if n := ts.players(t, roomID); n != 1 {
		t.Fatalf("room has %d players after one refused and one admitted join, want 1", n)
	}
	used := dial(t, ts.addr, nil)
	used.send(hello())
	used.send(joinTok)
	used.expectClose(4504, true, 10*time.Second)
}
