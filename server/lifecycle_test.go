package server_test

import (
	"strings"
	"testing"
	"time"

	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/game/arena"
	pb "github.com/tickwire/tickwire/proto"
)

func TestHeartbeatTimeout(t *testing.T) {
	cfg := testConfig()
	cfg.HeartbeatTimeout = 600 * time.Millisecond
	ts := startServer(t, cfg)
	c := dial(t, ts.addr, nil)
	c.handshake("quiet")
	start := time.Now()
	c.expectClose(4001, true, 3*time.Second)
	if el := time.Since(start); el < 400*time.Millisecond {
		t.Fatalf("closed after %v, before the heartbeat timeout", el)
	}
}

func TestHeartbeatKeptByPings(t *testing.T) {
	cfg := testConfig()
	cfg.HeartbeatTimeout = 600 * time.Millisecond
	ts := startServer(t, cfg)
	c := dial(t, ts.addr, nil)
	c.handshake("pinger")
	for end := time.Now().Add(1500 * time.Millisecond); time.Now().Before(end); {
		c.send(pingFrame(1))
		for next := time.Now().Add(150 * time.Millisecond); time.Now().Before(next); {
			c.recv(10 * time.Millisecond)
		}
	}
	select {
	case <-c.done:
		t.Fatalf("closed with %d although it pinged", c.closeCode)
	default:
	}
}

func TestConnectionCap(t *testing.T) {
	cfg := testConfig()
	cfg.MaxConnections = 2
	ts := startServer(t, cfg)
	a := dial(t, ts.addr, nil)
	a.handshake("a")
	b := dial(t, ts.addr, nil)
	b.handshake("b")
	c := dial(t, ts.addr, nil)
	c.expectClose(4002, true, 3*time.Second)
	a.waitFor("snapshot", time.Second, isSnapshot)
	// A slot frees up when a connection goes.
	b.send(&pb.ClientFrame{Msg: &pb.ClientFrame_Leave{Leave: &pb.Leave{}}})
	b.expectClose(4511, true, 3*time.Second)
	waitMetric(t, ts.admin, "tickwire_connections 1")
	d := dial(t, ts.addr, nil)
	d.handshake("d")
}

// waitMetric polls /metrics until it contains line.
func waitMetric(t *testing.T, addr, line string) {
	t.Helper()
	for end := time.Now().Add(3 * time.Second); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		if strings.Contains(metricsText(t, addr), line) {
			return
		}
	}
	t.Fatalf("metrics never showed %q", line)
}

func TestJoinToken(t *testing.T) {
	ts := startServer(t, testConfig())
	info, err := ts.srv.CreateRoom(arena.Mode, map[string]string{"score_limit": "5"}, true)
	if err != nil {
		t.Fatal(err)
	}
	tok := ts.srv.IssueJoinToken(info.ID, "invited", 0)
	joinTok := &pb.ClientFrame{Msg: &pb.ClientFrame_Join{Join: &pb.Join{Target: &pb.Join_JoinToken{JoinToken: tok}, Name: "ignored"}}}
	c := dial(t, ts.addr, nil)
	c.send(hello())
	c.send(joinTok)
	w := c.waitFor("welcome", 3*time.Second, isWelcome).GetWelcome()
	if w.RoomId != info.ID {
		t.Fatalf("joined room %q, want %q", w.RoomId, info.ID)
	}
	// Private rooms are not listed by default, and quick play does not pick them.
	if rooms := ts.srv.Rooms("", false); len(rooms) != 0 {
		t.Errorf("private room listed: %+v", rooms)
	}
	q := dial(t, ts.addr, nil)
	if wq := q.handshake("quick"); wq.RoomId == info.ID {
		t.Error("quick play joined a private room")
	}
	// The token was used.
	again := dial(t, ts.addr, nil)
	again.send(hello())
	again.send(joinTok)
	again.expectClose(4504, true, 3*time.Second)
	// A token for a room that is gone.
	gone := ts.srv.IssueJoinToken("no-such-room", "x", time.Minute)
	g := dial(t, ts.addr, nil)
	g.send(hello())
	g.send(&pb.ClientFrame{Msg: &pb.ClientFrame_Join{Join: &pb.Join{Target: &pb.Join_JoinToken{JoinToken: gone}}}})
	g.expectClose(4506, true, 3*time.Second)
	// Ending the room sends the result, then 4509.
	if !ts.srv.EndRoom(info.ID, "ended_by_service") {
		t.Fatal("EndRoom: room not found")
	}
	c.waitFor("match result", 3*time.Second, func(f *pb.ServerFrame) bool { return f.GetMatchResult() != nil })
	c.expectClose(4509, true, 3*time.Second)
}

// boomSim is the arena, except that it panics on an input with fire set.
type boomSim struct{ game.Sim }

func (b boomSim) ApplyInput(t game.Tick, p game.PlayerID, in *game.Input) {
	if in.Values[arena.InputFire] == 1 {
		panic("boom")
	}
	b.Sim.ApplyInput(t, p, in)
}

func TestPanickingRoomEndsOnlyItself(t *testing.T) {
	cfg := testConfig()
	ts := startServerWith(t, cfg, func(register func(string, game.Factory)) {
		register("boom", func(c game.Config) (game.Sim, error) {
			s, err := arena.Factory(c)
			if err != nil {
				return nil, err
			}
			return boomSim{s}, nil
		})
	})
	safe := dial(t, ts.addr, nil)
	safe.handshake("safe")
	victim := dial(t, ts.addr, nil)
	victim.send(hello())
	victim.send(joinMode("boom", "victim"))
	victim.waitFor("welcome", 3*time.Second, isWelcome)
	victim.send(victim.input(1, 0, 0, 1))
	// The room fails when it applies the input: resend it if it reached the room after its tick (under load).
	for deadline := time.Now().Add(5 * time.Second); victim.code(0) == 0; {
		if time.Now().After(deadline) {
			t.Fatal("the victim was not closed")
		}
		if f := victim.recv(20 * time.Millisecond); f != nil && isSnapshot(f) {
			victim.resendLate(f.GetSnapshot().GetTick())
		}
	}
	victim.expectClose(4510, true, 3*time.Second)
	tick := safe.world.Tick
	safe.send(pingFrame(1))
	if f := safe.waitFor("snapshot", time.Second, isSnapshot); f.GetSnapshot().Tick <= tick {
		t.Fatal("the arena room stopped")
	}
}

// slowJoinSim is the arena with a Join that takes a while: a room slow to answer (a busy machine, a game that loads
// the player).
type slowJoinSim struct {
	game.Sim
	delay time.Duration
}

func (s slowJoinSim) Join(p game.Player) error {
	time.Sleep(s.delay)
	return s.Sim.Join(p)
}

// TestSlowJoinIsNotAHandshakeTimeout: the handshake timeout bounds the client's Hello and Join, not the room's
// handling of a Join that arrived in time: a room slower than the handshake timeout still answers with the Welcome
// (JoinTimeout bounds the wait), where it used to close the connection with 4502, terminal, blaming the client.
func TestSlowJoinIsNotAHandshakeTimeout(t *testing.T) {
	cfg := testConfig()
	cfg.HandshakeTimeout = 200 * time.Millisecond
	ts := startServerWith(t, cfg, func(register func(string, game.Factory)) {
		register("slowjoin", func(c game.Config) (game.Sim, error) {
			s, err := arena.Factory(c)
			if err != nil {
				return nil, err
			}
			return slowJoinSim{s, 4 * cfg.HandshakeTimeout}, nil
		})
	})
	c := dial(t, ts.addr, nil)
	c.send(hello())
	c.send(joinMode("slowjoin", "patient"))
	if w := c.waitFor("welcome", 5*time.Second, isWelcome).GetWelcome(); w.PlayerId == 0 {
		t.Fatal("welcome without a player id")
	}
}
