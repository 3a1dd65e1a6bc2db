package matchmaker

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tickwire/tickwire/server/internal/jsonhttp"
)

func do(t *testing.T, srv *httptest.Server, method, path, body string, out any) int {
	t.Helper()
	return jsonhttp.Call(t, srv.URL, method, path, "", body, out)
}

func TestHTTPTickets(t *testing.T) {
	h := newHarness(t, Config{MinPlayers: 2}, map[string]int{"arena": 4})
	srv := httptest.NewServer(h.mm.Handler())
	defer srv.Close()

	var e ErrorBody
	for _, c := range []struct {
		body, code string
		status     int
	}{
		{`{"mode":"chess","players":["a"]}`, "unknown_mode", 400},
		{`{"mode":"arena","players":["a","b","c","d","e"]}`, "bad_request", 400},
		{`{"mode":"arena","nope":true}`, "bad_request", 400},
		{`{"mode":"arena"} {"mode":"arena"}`, "bad_request", 400},
		{`[`, "bad_request", 400},
	} {
		if got := do(t, srv, "POST", "/v1/matchmaking/tickets", c.body, &e); got != c.status || e.Error != c.code {
			t.Errorf("POST %s: %d %+v, want %d %s", c.body, got, e, c.status, c.code)
		}
	}
	var a, b Ticket
	if got := do(t, srv, "POST", "/v1/matchmaking/tickets", `{"mode":"arena","players":["alice"],"rating":1500,"properties":{"region":"eu"}}`, &a); got != 201 || a.Status != StatusQueued || a.ID == "" {
		t.Fatalf("submit: %d %+v", got, a)
	}
	if got := do(t, srv, "POST", "/v1/matchmaking/tickets", `{"mode":"arena","players":["alice"],"player_tokens":["x"]}`, &e); got != 401 || e.Error != "unauthenticated" {
		t.Fatalf("a player token without keys: %d %+v, want 401 unauthenticated", got, e)
	}
	if got := do(t, srv, "GET", "/v1/matchmaking/tickets/"+a.ID+"?wait=bogus", "", &e); got != 400 {
		t.Fatalf("bad wait: %d", got)
	}
	// A long-poll returns as soon as the ticket is placed.
	polled := make(chan Ticket, 1)
	go func() {
		var tk Ticket
		do(t, srv, "GET", "/v1/matchmaking/tickets/"+a.ID+"?wait=10s", "", &tk)
		polled <- tk
	}()
	do(t, srv, "POST", "/v1/matchmaking/tickets", `{"mode":"arena","players":["bob"],"rating":1520}`, &b)
	time.Sleep(20 * time.Millisecond)
	h.mm.Process(h.now)
	select {
	case tk := <-polled:
		if tk.Status != StatusPlaced || tk.RoomID == "" || len(tk.Players) != 1 || tk.Players[0].JoinToken == "" {
			t.Fatalf("long-poll answer %+v", tk)
		}
		if !strings.HasPrefix(tk.Address, "ws://127.0.0.1:") || !strings.HasSuffix(tk.Address, "/ws") {
			t.Fatalf("address %q, want ws://<host>/ws", tk.Address)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("long-poll did not return on placement")
	}
	// A short wait on a queued ticket answers queued.
	var c Ticket
	do(t, srv, "POST", "/v1/matchmaking/tickets", `{"mode":"arena","players":["carol","dave","erin"]}`, &c)
	start := time.Now()
	var got Ticket
	if st := do(t, srv, "GET", "/v1/matchmaking/tickets/"+c.ID+"?wait=50ms", "", &got); st != 200 || got.Status != StatusQueued || time.Since(start) < 50*time.Millisecond {
		t.Fatalf("short wait: %d %+v after %v", st, got, time.Since(start))
	}
	// Cancel, twice; cancel of a placed ticket is a conflict.
	if st := do(t, srv, "DELETE", "/v1/matchmaking/tickets/"+c.ID, "", &got); st != 200 || got.Status != StatusCanceled {
		t.Fatalf("cancel: %d %+v", st, got)
	}
	if st := do(t, srv, "DELETE", "/v1/matchmaking/tickets/"+c.ID, "", &got); st != 200 || got.Status != StatusCanceled {
		t.Fatalf("cancel again: %d %+v", st, got)
	}
	if st := do(t, srv, "DELETE", "/v1/matchmaking/tickets/"+a.ID, "", &e); st != 409 || e.Error != "conflict" {
		t.Fatalf("cancel of a placed ticket: %d %+v", st, e)
	}
	if st := do(t, srv, "GET", "/v1/matchmaking/tickets/0123", "", &e); st != 404 || e.Error != "ticket_not_found" {
		t.Fatalf("unknown ticket: %d %+v", st, e)
	}
	if st := do(t, srv, "GET", "/v1/nothing", "", &e); st != 404 {
		t.Fatalf("unknown route: %d", st)
	}
}

func TestHTTPRoomsHidesPrivate(t *testing.T) {
	h := newHarness(t, Config{MinPlayers: 1}, map[string]int{"arena": 4, "duel": 2})
	a := h.submit(solo("arena", "a"))
	h.submit(solo("duel", "d"))
	h.submit(TicketRequest{Mode: "arena", Players: []string{"p"}, CreatePrivate: true})
	pub, _ := h.rooms.Create("arena", nil, true) // a private room made by someone else (the service API)
	h.process()
	arena := h.get(a.ID).RoomID
	h.join(arena, 1)
	h.rooms.set(arena, func(r *RoomInfo) { r.State = StateRunning })
	srv := httptest.NewServer(h.mm.Handler())
	defer srv.Close()
	var list RoomList
	if st := do(t, srv, "GET", "/v1/rooms", "", &list); st != 200 {
		t.Fatalf("GET /v1/rooms: %d", st)
	}
	if len(list.Rooms) != 2 {
		t.Fatalf("rooms %+v, want the two public ones", list.Rooms)
	}
	for _, r := range list.Rooms {
		if r.ID == pub.ID || r.Capacity == 0 || r.State == "" {
			t.Fatalf("listed %+v", r)
		}
	}
	if st := do(t, srv, "GET", "/v1/rooms?mode=arena", "", &list); st != 200 || len(list.Rooms) != 1 ||
		list.Rooms[0] != (RoomView{ID: arena, Mode: "arena", Players: 1, Capacity: 4, State: StateRunning}) {
		t.Fatalf("arena rooms: %+v", list.Rooms)
	}
}
