package client_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/game/arena"
	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/tools/client"
)

// heldSim is the arena, except that one Step can be held (hold, then entered receives): the room's loop then
// answers nothing until release is closed.
type heldSim struct {
	game.Sim
	hold             *atomic.Bool
	entered, release chan struct{}
}

func (s heldSim) Step(t game.Tick, ev *game.Events) {
	if s.hold.CompareAndSwap(true, false) {
		s.entered <- struct{}{}
		<-s.release
	}
	s.Sim.Step(t, ev)
}

// A join by token that the server refuses as busy (the room did not answer within the server's JoinTimeout: 4002)
// is retried by Dial with the same token, and admitted once the room answers. Deterministic: the room's loop is held
// until the client dials its second connection, which it does only after the first was refused.
func TestDialRetriesJoinRefusedAsBusy(t *testing.T) {
	cfg := server.DefaultConfig()
	cfg.JoinTimeout = 200 * time.Millisecond
	var hold atomic.Bool
	entered, release := make(chan struct{}), make(chan struct{})
	addr, srv := startGameServerWith(t, cfg, "held", func(c game.Config) (game.Sim, error) {
		s, err := arena.Factory(c)
		return heldSim{s, &hold, entered, release}, err
	}, server.GameOptions{})
	info, err := srv.CreateRoom("held", nil, true)
	if err != nil {
		t.Fatal(err)
	}

	hold.Store(true)
	select {
	case <-entered:
	case <-time.After(10 * time.Second):
		t.Fatal("the room never stepped")
	}
	var dials atomic.Int32
	released := make(chan struct{})
	var d net.Dialer
	dctx, dcancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer dcancel()
	c, err := client.Dial(dctx, client.Config{URL: "ws://" + addr, JoinToken: srv.IssueJoinToken(info.ID, "ann", 0),
		NoResume: true, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		NetDial: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if dials.Add(1) == 2 {
				close(release) // the first attempt was refused: let the room answer the next
				close(released)
			}
			return d.DialContext(ctx, network, addr)
		}})
	select {
	case <-released:
	default:
		close(release) // let the server shut down
	}
	if err != nil {
		t.Fatalf("Dial: %v (after %d connections)", err, dials.Load())
	}
	defer c.Close()
	if c.Welcome().GetRoomId() != info.ID {
		t.Fatalf("joined room %q, want %q", c.Welcome().GetRoomId(), info.ID)
	}
	if got := c.Stats().Disconnects()[4002]; got != 1 {
		t.Fatalf("%d refusals with 4002 counted, want 1", got)
	}
	if n := dials.Load(); n != 2 {
		t.Fatalf("%d connections, want 2 (one refused as busy, one admitted)", n)
	}
}
