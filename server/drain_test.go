package server_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lxzan/gws"

	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/game/arena"
	pb "github.com/tickwire/tickwire/proto"
	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/server/internal/matchmaker"
	"github.com/tickwire/tickwire/server/internal/service"
)

// endableSim is an arena whose match ends (reason "test_over") once its flag is set: a match that ends by itself
// while the server drains.
type endableSim struct {
	game.Sim
	over *atomic.Bool
}

func (s endableSim) Result() (game.Result, bool) {
	if s.over.Load() {
		return game.Result{Reason: "test_over"}, true
	}
	return s.Sim.Result()
}

func endableFactory(over *atomic.Bool) game.Factory {
	return func(cfg game.Config) (game.Sim, error) {
		sim, err := arena.Factory(cfg)
		if err != nil {
			return nil, err
		}
		return endableSim{Sim: sim, over: over}, nil
	}
}

// untilClose reads a client's frames until its connection closes; it returns the MatchResult seen (nil: none).
func untilClose(c *client, timeout time.Duration) *pb.MatchResult {
	c.t.Helper()
	var res *pb.MatchResult
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		f := c.recv(time.Until(deadline))
		if f == nil {
			break
		}
		if m := f.GetMatchResult(); m != nil {
			res = m
		}
	}
	select {
	case <-c.done:
	default:
		c.t.Fatalf("not closed within %v", timeout)
	}
	return res
}

func httpStatus(t *testing.T, method, url, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestDrain: SIGTERM's path end to end, over real connections. /readyz fails first while every player still plays;
// quick play and ticket submissions are refused, queued tickets are answered (failed, DrainError), a dropped player
// resumes into its room; rooms play on and end by themselves or by their backend within the drain timeout, each
// player getting its MatchResult and 4509; the service event stream receives both rooms' match_ended before its 1001; a connection still in its
// handshake is closed with 1001 last; Serve returns.
func TestDrain(t *testing.T) {
	const key = "drain-test-key"
	cfg := testConfig()
	cfg.DrainTimeout = time.Minute // the rooms end by themselves below, long before
	cfg.ServiceAPIKey = key
	cfg.MatchMinPlayers = 2
	cfg.HandshakeTimeout = time.Minute // the handshaking client below must still be in its handshake at the end
	var over atomic.Bool
	ts := startServerWith(t, cfg, func(register func(string, game.Factory)) {
		register("endable", endableFactory(&over))
		register("lonely", arena.Factory) // no room: one ticket waits for a second player
	})

	// Room 1 (endable) with two players, room 2 (arena) with one.
	a, b := dial(t, ts.addr, nil), dial(t, ts.addr, nil)
	for i, c := range []*client{a, b} {
		c.send(hello())
		c.send(joinMode("endable", []string{"a", "b"}[i]))
		c.waitFor("welcome", 5*time.Second, isWelcome)
	}
	p := dial(t, ts.addr, nil)
	p.handshake("p")
	rooms := ts.srv.Rooms("", true)
	if len(rooms) != 2 {
		t.Fatalf("rooms %+v", rooms)
	}
	var arenaRoom string
	for _, r := range rooms {
		if r.Mode == arena.Mode {
			arenaRoom = r.ID
		}
	}

	// A service event subscriber (on the admin listener), a queued ticket with a long poll, and a connection that
	// has said Hello only.
	sc := &streamClient{events: make(chan service.Event, 1024), closed: make(chan struct{})}
	sconn, _, err := gws.NewClient(sc, &gws.ClientOption{Addr: "ws://" + ts.admin + "/v1/service/events",
		RequestHeader: http.Header{"X-Api-Key": {key}}})
	if err != nil {
		t.Fatal(err)
	}
	go sconn.ReadLoop()
	if ev := <-sc.events; ev.Type != service.EventSubscribed {
		t.Fatalf("first stream event %+v", ev)
	}
	code, body := httpStatus(t, "POST", "http://"+ts.addr+"/v1/matchmaking/tickets", `{"mode":"lonely","players":["q"]}`)
	if code != http.StatusCreated {
		t.Fatalf("ticket: %d %s", code, body)
	}
	var tk matchmaker.Ticket
	if err := json.Unmarshal([]byte(body), &tk); err != nil {
		t.Fatal(err)
	}
	polled := make(chan matchmaker.Ticket, 1)
	go func() {
		resp, err := http.Get("http://" + ts.addr + "/v1/matchmaking/tickets/" + tk.ID + "?wait=60s")
		if err != nil {
			t.Error(err)
			polled <- matchmaker.Ticket{}
			return
		}
		defer resp.Body.Close()
		var got matchmaker.Ticket
		_ = json.NewDecoder(resp.Body).Decode(&got)
		polled <- got
	}()
	hs := dial(t, ts.addr, nil)
	hs.send(hello())

	stopped := make(chan struct{})
	go func() { ts.stop(); close(stopped) }()

	// /readyz fails first (public and admin), while every player is still connected.
	ready := true
	for i := 0; i < 500 && ready; i++ {
		code, _ := httpStatus(t, "GET", "http://"+ts.addr+"/readyz", "")
		ready = code == http.StatusOK
		if ready {
			time.Sleep(10 * time.Millisecond)
		}
	}
	if ready {
		t.Fatal("/readyz never failed")
	}
	if code, body := httpStatus(t, "GET", "http://"+ts.admin+"/readyz", ""); code != 503 || strings.TrimSpace(body) != "draining" {
		t.Errorf("admin /readyz while draining: %d %q", code, body)
	}
	for i, c := range []*client{a, b, p, hs} {
		select {
		case <-c.done:
			t.Fatalf("client %d closed (%d) before its room ended", i, c.closeCode)
		default:
		}
	}
	// Quick play and tickets are refused; the queued ticket is answered; a dropped player resumes into its room.
	q := dial(t, ts.addr, nil)
	q.send(hello())
	q.send(joinMode(arena.Mode, "late"))
	q.expectClose(1001, true, 10*time.Second)
	tok := p.welcome.ResumeToken
	_ = p.ws.NetConn().Close()
	if code := p.code(10 * time.Second); code != 0 {
		t.Fatalf("dropped player closed with %d", code)
	}
	p = dial(t, ts.addr, nil)
	p.send(hello())
	p.send(joinResume(tok))
	if w := p.waitFor("welcome", 10*time.Second, isWelcome).GetWelcome(); !w.Resumed {
		t.Fatalf("resume while draining: welcome %v", w)
	}
	if code, body := httpStatus(t, "POST", "http://"+ts.addr+"/v1/matchmaking/tickets", `{"mode":"arena","players":["late"]}`); code != 503 ||
		!strings.Contains(body, `"draining"`) {
		t.Errorf("a ticket while draining: %d %s", code, body)
	}
	if got := <-polled; got.Status != matchmaker.StatusFailed || got.Error != matchmaker.DrainError {
		t.Errorf("queued ticket answered %+v, want failed with %q", got, matchmaker.DrainError)
	}
	if code, body := httpStatus(t, "GET", "http://"+ts.admin+"/metrics", ""); code != 200 ||
		!strings.Contains(body, "tickwire_rooms 2") {
		t.Errorf("admin /metrics while draining: %d, rooms 2? %v", code, strings.Contains(body, "tickwire_rooms 2"))
	}

	// The rooms end: one by its game, one by its backend.
	over.Store(true)
	if !ts.srv.EndRoom(arenaRoom, "backend_over") {
		t.Fatal("EndRoom: no such room")
	}
	for i, c := range []*client{a, b, p} {
		res := untilClose(c, 10*time.Second)
		if res == nil || c.closeCode != 4509 {
			t.Errorf("player %d: match result %v, close code %d; want the result, then 4509", i, res, c.closeCode)
		}
		if want := []string{"test_over", "test_over", "backend_over"}[i]; res != nil && res.Reason != want {
			t.Errorf("player %d: result reason %q, want %q", i, res.Reason, want)
		}
	}
	// The stream has both match_ended events before its close.
	ended := map[string]bool{}
	for done := false; !done; {
		select {
		case ev := <-sc.events:
			if ev.Type == "match_ended" {
				ended[ev.RoomID] = true
			}
		case <-sc.closed:
			for len(sc.events) > 0 {
				if ev := <-sc.events; ev.Type == "match_ended" {
					ended[ev.RoomID] = true
				}
			}
			done = true
		case <-time.After(10 * time.Second):
			t.Fatal("the event stream was not closed")
		}
	}
	if len(ended) != 2 {
		t.Errorf("match_ended for %d rooms on the stream, want 2", len(ended))
	}
	hs.expectClose(1001, true, 10*time.Second)
	select {
	case <-stopped:
	case <-time.After(20 * time.Second):
		t.Fatal("Serve did not return")
	}
	if ts.srv.State() != server.StateStopped {
		t.Errorf("state %v", ts.srv.State())
	}
}

// TestDrainTimeoutEndsRooms: a room whose match does not end within DrainTimeout is ended by the server: its players
// get the MatchResult (reason server_shutdown), then 4509.
func TestDrainTimeoutEndsRooms(t *testing.T) {
	cfg := testConfig()
	cfg.DrainTimeout = 200 * time.Millisecond
	ts := startServer(t, cfg)
	c := dial(t, ts.addr, nil)
	c.handshake("p")
	go ts.stop()
	res := untilClose(c, 10*time.Second)
	if res == nil || res.Reason != "server_shutdown" || c.closeCode != 4509 {
		t.Fatalf("match result %v, close code %d; want server_shutdown, then 4509", res, c.closeCode)
	}
}

// streamClient reads the service event stream.
type streamClient struct {
	gws.BuiltinEventHandler
	events chan service.Event
	closed chan struct{}
}

func (s *streamClient) OnMessage(_ *gws.Conn, m *gws.Message) {
	var ev service.Event
	_ = json.Unmarshal(m.Bytes(), &ev)
	m.Close()
	s.events <- ev
}

func (s *streamClient) OnClose(*gws.Conn, error) { close(s.closed) }
