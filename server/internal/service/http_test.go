package service

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lxzan/gws"
	"github.com/tickwire/tickwire/server/internal/jsonhttp"
	"github.com/tickwire/tickwire/server/internal/matchmaker"
)

const testKey = "s3cret-key"

type fixture struct {
	svc    *Service
	rooms  *fakeRooms
	tokens *fakeTokens
	srv    *httptest.Server
}

func newFixture(t *testing.T, cfg Config) *fixture {
	t.Helper()
	f := &fixture{rooms: newFakeRooms(), tokens: &fakeTokens{}}
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	svc, err := New(cfg, f.rooms, f.tokens)
	if err != nil {
		t.Fatal(err)
	}
	f.svc = svc
	f.srv = httptest.NewServer(svc.Handler())
	t.Cleanup(func() { svc.Close(); f.srv.Close() })
	return f
}

// call sends a request with the key (when not empty) and decodes the JSON answer into out (when not nil).
func (f *fixture) call(t *testing.T, method, path, key, body string, out any) int {
	t.Helper()
	return jsonhttp.Call(t, f.srv.URL, method, path, key, body, out)
}

func TestServiceOffWithoutKey(t *testing.T) {
	f := newFixture(t, Config{})
	var e matchmaker.ErrorBody
	if got := f.call(t, "POST", "/v1/service/rooms", "anything", `{"mode":"arena"}`, &e); got != 404 || e.Error != "not_found" {
		t.Fatalf("service API without a key: %d %+v, want 404 not_found", got, e)
	}
	if len(f.rooms.rooms) != 0 {
		t.Fatal("a room was created with the service API off")
	}
}

func TestServiceAuth(t *testing.T) {
	f := newFixture(t, Config{APIKey: testKey})
	for _, key := range []string{"", "wrong", testKey + "x", testKey[:len(testKey)-1]} {
		var e matchmaker.ErrorBody
		if got := f.call(t, "POST", "/v1/service/rooms", key, `{"mode":"arena"}`, &e); got != 401 || e.Error != "unauthorized" {
			t.Fatalf("key %q: %d %+v, want 401 unauthorized", key, got, e)
		}
	}
	if len(f.rooms.rooms) != 0 {
		t.Fatal("a room was created with a bad key")
	}
	// Bearer works too.
	req, _ := http.NewRequest("GET", f.srv.URL+"/v1/service/rooms/nope", nil)
	req.Header.Set("Authorization", "Bearer "+testKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Fatalf("bearer key, unknown room: %d, want 404", resp.StatusCode)
	}
}

func TestServiceRooms(t *testing.T) {
	f := newFixture(t, Config{APIKey: testKey, PublicURL: "wss://play.example/ws"})
	var e matchmaker.ErrorBody
	if got := f.call(t, "POST", "/v1/service/rooms", testKey, `{"mode":"chess"}`, &e); got != 400 || e.Error != "unknown_mode" {
		t.Fatalf("unknown mode: %d %+v", got, e)
	}
	for _, body := range []string{`{"mode":"arena","players":["a","a"]}`, `{"mode":"arena","bogus":1}`, `not json`,
		`{"mode":"arena","players":["` + strings.Repeat("x", 33) + `"]}`} {
		if got := f.call(t, "POST", "/v1/service/rooms", testKey, body, &e); got != 400 || e.Error != "bad_request" {
			t.Fatalf("body %s: %d %+v, want 400 bad_request", body, got, e)
		}
	}
	var g RoomGrant
	if got := f.call(t, "POST", "/v1/service/rooms", testKey,
		`{"mode":"arena","settings":{"time_limit_s":"60"},"players":["alice","bob"]}`, &g); got != 201 {
		t.Fatalf("create: %d", got)
	}
	if g.RoomID == "" || g.Mode != "arena" || g.Capacity != 16 || !g.Private || g.Address != "wss://play.example/ws" || len(g.Seats) != 2 {
		t.Fatalf("grant %+v", g)
	}
	for _, s := range g.Seats {
		if f.tokens.issued[s.JoinToken] != [2]string{g.RoomID, s.Player} {
			t.Fatalf("seat %+v: token bound to %v", s, f.tokens.issued[s.JoinToken])
		}
	}
	if f.rooms.settings[g.RoomID]["time_limit_s"] != "60" {
		t.Fatalf("settings not passed: %v", f.rooms.settings[g.RoomID])
	}
	var g2 RoomGrant
	if got := f.call(t, "POST", "/v1/service/rooms/"+g.RoomID+"/tokens", testKey, `{"players":["carol"]}`, &g2); got != 200 ||
		len(g2.Seats) != 1 || f.tokens.issued[g2.Seats[0].JoinToken] != [2]string{g.RoomID, "carol"} {
		t.Fatalf("tokens: %d %+v", got, g2)
	}
	// Push an event: validated, delivered to the room, and published on the stream.
	sub, _ := f.svc.Hub().Subscribe(Filter{Rooms: []string{g.RoomID}})
	if got := f.call(t, "POST", "/v1/service/rooms/"+g.RoomID+"/events", testKey, `{"type":""}`, &e); got != 400 {
		t.Fatalf("empty event type: %d", got)
	}
	if got := f.call(t, "POST", "/v1/service/rooms/"+g.RoomID+"/events", testKey, `{"type":"announcement","text":"final round","args":[1,2]}`, nil); got != 202 {
		t.Fatalf("push: %d", got)
	}
	if b := f.rooms.broadcasts[g.RoomID]; len(b) != 1 || b[0].Type != "announcement" || b[0].Text != "final round" {
		t.Fatalf("broadcasts %+v", b)
	}
	if ev := recv(t, sub); ev.Type != EventServer || ev.Reason != "announcement" || ev.Mode != "arena" || len(ev.Args) != 2 {
		t.Fatalf("stream got %+v", ev)
	}
	if got := f.call(t, "POST", "/v1/service/rooms/nope/events", testKey, `{"type":"x"}`, &e); got != 404 || e.Error != "room_not_found" {
		t.Fatalf("push to unknown room: %d %+v", got, e)
	}
	// End.
	if got := f.call(t, "POST", "/v1/service/rooms/nope/end", testKey, ``, &e); got != 404 || e.Error != "room_not_found" {
		t.Fatalf("end unknown room: %d %+v", got, e)
	}
	var st RoomStatus
	if got := f.call(t, "POST", "/v1/service/rooms/"+g.RoomID+"/end", testKey, `{"reason":"cancelled"}`, &st); got != 200 || st.State != matchmaker.StateEnded {
		t.Fatalf("end: %d %+v", got, st)
	}
	if f.rooms.ended[g.RoomID] != "cancelled" {
		t.Fatalf("end reason %q", f.rooms.ended[g.RoomID])
	}
	if got := f.call(t, "POST", "/v1/service/rooms/"+g.RoomID+"/tokens", testKey, `{"players":["dave"]}`, &e); got != 409 || e.Error != "room_ended" {
		t.Fatalf("tokens for an ended room: %d %+v", got, e)
	}
	if got := f.call(t, "GET", "/v1/service/nothing", testKey, ``, &e); got != 404 {
		t.Fatalf("unknown route: %d", got)
	}
}

// wsClient is an event-stream subscriber over a real WebSocket.
type wsClient struct {
	gws.BuiltinEventHandler
	msgs  chan []byte
	close chan *gws.CloseError
	// gate, while open, blocks OnMessage (a consumer that stopped reading); release closes it.
	gate     chan struct{}
	gateOnce sync.Once
}

func (c *wsClient) release() { c.gateOnce.Do(func() { close(c.gate) }) }

func (c *wsClient) OnMessage(_ *gws.Conn, m *gws.Message) {
	b := bytes.Clone(m.Bytes())
	m.Close()
	<-c.gate
	c.msgs <- b
}

func (c *wsClient) OnClose(_ *gws.Conn, err error) {
	ce, _ := err.(*gws.CloseError)
	c.close <- ce
}

func dialStream(t *testing.T, f *fixture, query, key string, read bool) (*wsClient, *gws.Conn, *http.Response, error) {
	t.Helper()
	c := &wsClient{msgs: make(chan []byte, 1<<16), close: make(chan *gws.CloseError, 1), gate: make(chan struct{})}
	if read {
		c.release()
	}
	h := http.Header{}
	if key != "" {
		h.Set("X-API-Key", key)
	}
	conn, resp, err := gws.NewClient(c, &gws.ClientOption{Addr: "ws" + strings.TrimPrefix(f.srv.URL, "http") + "/v1/service/events" + query, RequestHeader: h})
	if err == nil {
		go conn.ReadLoop()
		t.Cleanup(func() { c.release(); _ = conn.WriteClose(1000, nil) })
	}
	return c, conn, resp, err
}

func (c *wsClient) next(t *testing.T) Event {
	t.Helper()
	select {
	case b := <-c.msgs:
		var ev Event
		if err := json.Unmarshal(b, &ev); err != nil {
			t.Fatalf("%v in %s", err, b)
		}
		return ev
	case ce := <-c.close:
		t.Fatalf("stream closed: %+v", ce)
	case <-time.After(3 * time.Second):
		t.Fatal("no event on the stream")
	}
	return Event{}
}

func TestEventStream(t *testing.T) {
	f := newFixture(t, Config{APIKey: testKey})
	if _, _, resp, err := dialStream(t, f, "", "bad", true); err == nil || resp == nil || resp.StatusCode != 401 {
		t.Fatalf("stream with a bad key: err %v resp %v, want 401", err, resp)
	}
	c, _, _, err := dialStream(t, f, "?mode=arena&type=player_joined&type=match_ended", testKey, true)
	if err != nil {
		t.Fatal(err)
	}
	if ev := c.next(t); ev.Type != EventSubscribed {
		t.Fatalf("first frame %+v, want subscribed", ev)
	}
	f.svc.Publish(Event{Type: EventPlayerJoined, RoomID: "r1", Mode: "duel"})
	f.svc.Publish(Event{Type: EventPlayerLeft, RoomID: "r1", Mode: "arena"})
	f.svc.Publish(Event{Type: EventPlayerJoined, RoomID: "r2", Mode: "arena", PlayerID: 3, Player: "alice"})
	f.svc.Publish(Event{Type: EventMatchEnded, RoomID: "r2", Mode: "arena", Reason: "time_limit",
		Results: []PlayerScore{{PlayerID: 3, Name: "alice", Score: 9, Rank: 1}}})
	if ev := c.next(t); ev.Type != EventPlayerJoined || ev.RoomID != "r2" || ev.Player != "alice" || ev.Time.IsZero() {
		t.Fatalf("got %+v, want alice joining r2", ev)
	}
	if ev := c.next(t); ev.Type != EventMatchEnded || ev.Reason != "time_limit" || len(ev.Results) != 1 || ev.Results[0].Name != "alice" {
		t.Fatalf("got %+v, want the match result", ev)
	}
	// Shutdown closes the stream with 1001.
	f.svc.Close()
	select {
	case ce := <-c.close:
		if ce == nil || ce.Code != CloseGoingAway {
			t.Fatalf("close on shutdown: %+v, want 1001", ce)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("stream not closed on shutdown")
	}
}

func TestEventStreamDropsSlowConsumer(t *testing.T) {
	f := newFixture(t, Config{APIKey: testKey, Hub: HubConfig{Queue: 4}})
	slow, _, _, err := dialStream(t, f, "", testKey, false)
	if err != nil {
		t.Fatal(err)
	}
	for f.svc.Hub().Subscribers() != 1 {
		time.Sleep(time.Millisecond)
	}
	big := strings.Repeat("x", 200)
	done := make(chan struct{})
	go func() {
		// The subscriber reads nothing: the socket buffers fill, the writer stalls, the queue overflows.
		for i := 0; i < 200000; i++ {
			f.svc.Publish(Event{Type: EventServer, RoomID: "r1", Text: big, Tick: uint32(i)})
			if f.svc.Hub().Dropped() > 0 {
				break
			}
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Publish blocked on a slow stream")
	}
	if f.svc.Hub().Dropped() != 1 {
		t.Fatalf("Dropped() = %d, want 1", f.svc.Hub().Dropped())
	}
	slow.release() // let the client read again: it must see the 4000 close after what was buffered
	deadline := time.After(10 * time.Second)
	for {
		select {
		case <-slow.msgs:
		case ce := <-slow.close:
			if ce == nil || ce.Code != CloseSlowConsumer {
				t.Fatalf("slow consumer closed with %+v, want 4000", ce)
			}
			return
		case <-deadline:
			t.Fatal("slow consumer never closed")
		}
	}
}
