package server_test

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/lxzan/gws"
	"google.golang.org/protobuf/proto"

	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/game/arena"
	pb "github.com/tickwire/tickwire/proto"
	"github.com/tickwire/tickwire/proto/snapcodec"
	"github.com/tickwire/tickwire/server"
)

// testConfig is DefaultConfig with a random loopback port and short timeouts.
func testConfig() server.Config {
	cfg := server.DefaultConfig()
	cfg.Addr = "127.0.0.1:0"
	cfg.Grace = 2 * time.Second
	cfg.HandshakeTimeout = 2 * time.Second
	cfg.HeartbeatTimeout = 5 * time.Second
	cfg.ShutdownTimeout = 3 * time.Second
	return cfg
}

type testServer struct {
	srv   *server.Server
	addr  string
	admin string // the admin listener: /metrics, /debug/pprof/
	stop  func() // cancels Serve and waits for it
}

// startServer runs a server with the arena registered, on a random loopback port, until the test ends.
func startServer(t testing.TB, cfg server.Config) *testServer {
	return startServerWith(t, cfg, nil)
}

// startServerWith also registers the modes extra adds.
func startServerWith(t testing.TB, cfg server.Config, extra func(register func(string, game.Factory))) *testServer {
	t.Helper()
	logger := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	srv, err := server.New(cfg, logger)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.RegisterGame(arena.Mode, arena.Factory, server.GameOptions{MaxPlayers: 16}); err != nil {
		t.Fatal(err)
	}
	if extra != nil {
		extra(func(mode string, f game.Factory) {
			if err := srv.RegisterGame(mode, f, server.GameOptions{}); err != nil {
				t.Fatal(err)
			}
		})
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	adminLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.ServeListeners(ctx, ln, adminLn) }()
	var once sync.Once
	ts := &testServer{srv: srv, addr: ln.Addr().String(), admin: adminLn.Addr().String()}
	ts.stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Serve: %v", err)
				}
			case <-time.After(cfg.ShutdownTimeout + 5*time.Second):
				t.Errorf("Serve did not return within the shutdown timeout")
			}
		})
	}
	t.Cleanup(ts.stop)
	return ts
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p))
	return len(p), nil
}

// client is a minimal test client over gws: it decodes every ServerFrame, keeps the world it rebuilds from
// snapshots, and records the close code.
type client struct {
	t     testing.TB
	ws    *gws.Conn
	in    chan *pb.ServerFrame
	done  chan struct{}
	codec *snapcodec.Codec

	// Set by the read loop before done is closed.
	closeCode uint16

	// Owned by the test goroutine.
	welcome    *pb.Welcome
	welcomeAt  time.Time         // when the Welcome was read: the input clock starts there
	lastTick   uint32            // the tick the last input was addressed to
	sentTick   map[uint32]uint32 // seq -> the tick its input was addressed to
	sent       map[uint32]*pb.Input
	rises      []seqRise // every rise of last_input_seq the snapshots showed
	anchorTick uint32    // a snapshot tick the client held when it found its clock behind (0: none)
	anchorAt   time.Time // when
	world      snapcodec.World
	next       snapcodec.World
	lastSeq    uint32
	snapshots  int
	disconnect *pb.Disconnect
}

// seqRise: the snapshot of tick showed last_input_seq rise from from to to. When exact (the client holds the
// previous tick's snapshot, with from), input to was applied at tick, and the ones between from and to were never
// applied (the room applies one input per tick, in seq order: they arrived after their ticks).
type seqRise struct {
	from, to, tick uint32
	exact          bool
}

type clientHandler struct {
	gws.BuiltinEventHandler
	c *client
}

func (h clientHandler) OnMessage(_ *gws.Conn, m *gws.Message) {
	defer m.Close()
	f := &pb.ServerFrame{}
	if err := proto.Unmarshal(m.Bytes(), f); err != nil {
		h.c.t.Errorf("undecodable server frame: %v", err)
		return
	}
	select {
	case h.c.in <- f:
	default:
		h.c.t.Errorf("test client buffer full")
	}
}

func (h clientHandler) OnClose(_ *gws.Conn, err error) {
	var ce *gws.CloseError
	if errors.As(err, &ce) {
		h.c.closeCode = ce.Code
	}
	close(h.c.done)
}

// dial opens a WebSocket to the test server.
func dial(t testing.TB, addr string, header http.Header) *client {
	t.Helper()
	c := &client{t: t, in: make(chan *pb.ServerFrame, 1<<14), done: make(chan struct{})}
	ws, resp, err := gws.NewClient(clientHandler{c: c}, &gws.ClientOption{Addr: "ws://" + addr + "/ws", RequestHeader: header})
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.Fatalf("dial: %v (status %d)", err, status)
	}
	c.ws = ws
	go ws.ReadLoop()
	t.Cleanup(func() { _ = ws.NetConn().Close() })
	return c
}

func (c *client) send(f *pb.ClientFrame) {
	b, err := proto.Marshal(f)
	if err != nil {
		c.t.Fatal(err)
	}
	c.sendRaw(b)
}

func (c *client) sendRaw(b []byte) {
	_ = c.ws.WriteMessage(gws.OpcodeBinary, b)
}

func hello() *pb.ClientFrame {
	return &pb.ClientFrame{Msg: &pb.ClientFrame_Hello{Hello: &pb.Hello{
		ProtocolVersion: pb.ProtocolVersion_PROTOCOL_VERSION_2, Client: "server-test"}}}
}

func joinMode(mode, name string) *pb.ClientFrame {
	return &pb.ClientFrame{Msg: &pb.ClientFrame_Join{Join: &pb.Join{Target: &pb.Join_Mode{Mode: mode}, Name: name}}}
}

func joinResume(tok []byte) *pb.ClientFrame {
	return &pb.ClientFrame{Msg: &pb.ClientFrame_Join{Join: &pb.Join{Target: &pb.Join_ResumeToken{ResumeToken: tok}}}}
}

// inputFrame is an input for tick 1: for tests that never reach a room, or do not care when it applies.
func inputFrame(seq uint32, dx, dy int32) *pb.ClientFrame {
	return &pb.ClientFrame{Msg: &pb.ClientFrame_Input{Input: &pb.Input{Seq: seq, Tick: 1, Values: []int32{dx, dy, 0, 0}}}}
}

// inputLead is how many ticks ahead of its estimate of the room's tick the test client addresses inputs: enough to
// arrive in time on a loaded machine, well inside the input window.
const inputLead = 4

// roomTick estimates the room's tick from the Welcome's tick and the time since it was read, or from a later
// snapshot's tick when inputs were found late (resendLate): the Welcome may have waited in the client's buffer.
func (c *client) roomTick() uint32 {
	w := c.welcome
	rate := time.Duration(w.GetTickRate())
	t := w.GetTick() + uint32(time.Since(c.welcomeAt)*rate/time.Second)
	if c.anchorTick != 0 {
		t = max(t, c.anchorTick+uint32(time.Since(c.anchorAt)*rate/time.Second))
	}
	return t
}

// input returns an input frame addressed by a minimal input clock: the room's tick estimated from the Welcome's tick
// and the time since it was read, plus inputLead, and always above the previous input's tick. It records the tick.
func (c *client) input(seq uint32, dx, dy int32, fire int32) *pb.ClientFrame {
	tick := max(c.roomTick()+inputLead, c.lastTick+1)
	c.lastTick = tick
	if c.sentTick == nil {
		c.sentTick = map[uint32]uint32{}
	}
	c.sentTick[seq] = tick
	in := &pb.Input{Seq: seq, Tick: tick, AckTick: c.world.Tick, Values: []int32{dx, dy, 0, fire}}
	if c.sent == nil {
		c.sent = map[uint32]*pb.Input{}
	}
	c.sent[seq] = in
	return &pb.ClientFrame{Msg: &pb.ClientFrame_Input{Input: in}}
}

// resendLate handles inputs the room reported late, as a client does: once the snapshot of tick at shows that
// every input sent was due (at is past the last one's tick) and the highest sent is still not applied, the ones not
// applied (above lastSeq: the room applies in seq order, so none of them was) can no longer be applied as sent.
// The client moves its input clock up to at and resends them, same seq and values, re-addressed to fresh ticks. The
// room never took them (a late input is dropped, not filed), so each is still applied at most once. It returns how
// many it resent.
func (c *client) resendLate(at uint32) int {
	if c.welcome == nil || at < c.lastTick || len(c.sent) == 0 {
		return 0
	}
	var top uint32
	for s := range c.sent {
		top = max(top, s)
	}
	if c.lastSeq >= top {
		return 0
	}
	c.anchorTick, c.anchorAt = at, time.Now()
	n := 0
	for s := c.lastSeq + 1; s <= top; s++ {
		old, ok := c.sent[s]
		if !ok {
			continue
		}
		tick := max(c.roomTick()+inputLead, c.lastTick+1)
		c.lastTick, c.sentTick[s] = tick, tick
		in := &pb.Input{Seq: s, Tick: tick, AckTick: c.world.Tick, Values: old.Values}
		c.sent[s] = in
		c.send(&pb.ClientFrame{Msg: &pb.ClientFrame_Input{Input: in}})
		n++
	}
	return n
}

func pingFrame(us uint64) *pb.ClientFrame {
	return &pb.ClientFrame{Msg: &pb.ClientFrame_Ping{Ping: &pb.Ping{ClientTimeUs: us}}}
}

// recv returns the next frame, applying snapshots to the client's world; nil when the connection closed or the
// timeout passed.
func (c *client) recv(timeout time.Duration) *pb.ServerFrame {
	c.t.Helper()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	var f *pb.ServerFrame
	select {
	case f = <-c.in:
	case <-c.done:
		select {
		case f = <-c.in:
		default:
			return nil
		}
	case <-timer.C:
		return nil
	}
	switch m := f.Msg.(type) {
	case *pb.ServerFrame_Welcome:
		c.welcome, c.welcomeAt, c.lastTick, c.anchorTick = m.Welcome, time.Now(), 0, 0
		if c.codec == nil {
			schema, err := snapcodec.SchemaFromWelcome(m.Welcome.Kinds, m.Welcome.Input, m.Welcome.Params)
			if err != nil {
				c.t.Fatalf("welcome schema: %v", err)
			}
			if c.codec, err = snapcodec.New(schema); err != nil {
				c.t.Fatal(err)
			}
		}
	case *pb.ServerFrame_Snapshot:
		s := m.Snapshot
		var base *snapcodec.World
		if s.BaselineTick != 0 {
			if s.BaselineTick != c.world.Tick {
				c.t.Fatalf("snapshot %d against baseline %d, but the client holds %d", s.Tick, s.BaselineTick, c.world.Tick)
			}
			base = &c.world
		}
		if err := c.codec.Apply(base, s.Tick, s.Entities, &c.next); err != nil {
			c.t.Fatalf("apply snapshot %d: %v", s.Tick, err)
		}
		if f.LastInputSeq > c.lastSeq {
			c.rises = append(c.rises, seqRise{from: c.lastSeq, to: f.LastInputSeq, tick: s.Tick,
				exact: c.world.Tick != 0 && c.world.Tick+1 == s.Tick})
		}
		c.world, c.next = c.next, c.world
		if s.StateHash != nil && *s.StateHash != c.codec.Hash(&c.world) {
			c.t.Fatalf("snapshot %d: state hash mismatch", s.Tick)
		}
		c.lastSeq = f.LastInputSeq
		c.snapshots++
	case *pb.ServerFrame_Disconnect:
		c.disconnect = m.Disconnect
	}
	return f
}

// waitFor reads frames until pred accepts one.
func (c *client) waitFor(what string, timeout time.Duration, pred func(*pb.ServerFrame) bool) *pb.ServerFrame {
	c.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		left := time.Until(deadline)
		if left <= 0 {
			c.t.Fatalf("timed out waiting for %s", what)
		}
		f := c.recv(left)
		if f == nil {
			c.t.Fatalf("no %s: connection closed (code %d) or timed out", what, c.code(0))
		}
		if pred(f) {
			return f
		}
	}
}

func isWelcome(f *pb.ServerFrame) bool  { return f.GetWelcome() != nil }
func isSnapshot(f *pb.ServerFrame) bool { return f.GetSnapshot() != nil }

// handshake sends Hello and Join{mode: arena} and waits for the Welcome and the first snapshot.
func (c *client) handshake(name string) *pb.Welcome {
	c.t.Helper()
	c.send(hello())
	c.send(joinMode(arena.Mode, name))
	w := c.waitFor("welcome", 5*time.Second, isWelcome).GetWelcome()
	c.waitFor("first snapshot", 5*time.Second, isSnapshot)
	return w
}

// code waits up to timeout for the connection to close and returns its close code (0: not closed).
func (c *client) code(timeout time.Duration) uint16 {
	select {
	case <-c.done:
		return c.closeCode
	case <-time.After(timeout):
		return 0
	}
}

// expectClose reads until the connection closes and checks the close code and, when wantDisconnect, that a
// Disconnect frame with the same code came first.
func (c *client) expectClose(want uint16, wantDisconnect bool, timeout time.Duration) {
	c.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		select {
		case <-c.done:
			for c.recv(time.Millisecond) != nil {
			}
			if c.closeCode != want {
				c.t.Fatalf("close code %d, want %d", c.closeCode, want)
			}
			if wantDisconnect {
				if c.disconnect == nil {
					c.t.Fatalf("closed with %d without a Disconnect frame", want)
				}
				if c.disconnect.Code != uint32(want) {
					c.t.Fatalf("Disconnect code %d, want %d", c.disconnect.Code, want)
				}
			}
			return
		default:
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("not closed within %v (want %d)", timeout, want)
		}
		c.recv(20 * time.Millisecond)
	}
}

// self returns the client's own player entity in its world.
func (c *client) self() (x, y int32, ok bool) {
	id := c.welcome.GetPlayerId()
	for _, e := range c.world.Entities {
		if e.ID == id && e.Kind == arena.KindPlayer {
			return e.Fields[arena.PlayerX], e.Fields[arena.PlayerY], true
		}
	}
	return 0, 0, false
}
