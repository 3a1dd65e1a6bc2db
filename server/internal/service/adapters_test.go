package service

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tickwire/tickwire/game/arena"
	"github.com/tickwire/tickwire/server/internal/directory"
	"github.com/tickwire/tickwire/server/internal/matchmaker"
	"github.com/tickwire/tickwire/server/internal/room"
	"github.com/tickwire/tickwire/server/internal/session"
)

// TestDirectoryAdapters runs the adapters against the real room directory and token table with the arena game.
func TestDirectoryAdapters(t *testing.T) {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	var svc *Service
	dir := directory.New(directory.Config{Logger: quiet, OnEvent: func(ev room.Event) { svc.OnRoomEvent(ev, nil) }})
	if err := dir.Register(directory.Mode{Name: arena.Mode, Factory: arena.Factory, Room: room.Config{MaxPlayers: 4}}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = dir.Close(ctx, "test_over")
	})
	rooms := DirectoryRooms{D: dir}
	tokens := session.NewTokens(100, time.Minute, time.Minute)
	var err error
	if svc, err = New(Config{APIKey: "k", Logger: quiet}, rooms, SessionTokens{T: tokens}); err != nil {
		t.Fatal(err)
	}
	sub, _ := svc.Hub().Subscribe(Filter{})

	if c, ok := rooms.Capacity(arena.Mode); !ok || c != 4 {
		t.Fatalf("Capacity = %d %v, want 4", c, ok)
	}
	if _, ok := rooms.Capacity("chess"); ok {
		t.Fatal("Capacity of an unknown mode")
	}
	if _, err := rooms.Create("chess", nil, false); !errors.Is(err, matchmaker.ErrUnknownMode) {
		t.Fatalf("Create(chess): %v, want ErrUnknownMode", err)
	}
	info, err := rooms.Create(arena.Mode, map[string]string{"score_limit": "3"}, true)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode != arena.Mode || info.Capacity != 4 || !info.Private || info.State != matchmaker.StateWaiting {
		t.Fatalf("created %+v", info)
	}
	if got, ok := rooms.Get(info.ID); !ok || got.ID != info.ID || !got.Private {
		t.Fatalf("Get = %+v %v", got, ok)
	}
	if l := rooms.List(); len(l) != 1 || l[0].ID != info.ID {
		t.Fatalf("List = %+v", l)
	}
	if ev := recv(t, sub); ev.Type != EventRoomCreated || ev.RoomID != info.ID {
		t.Fatalf("first event %+v, want room_created", ev)
	}
	// With the directory given, the mode is resolved.
	svc.OnRoomEvent(room.Event{Type: room.EventPlayerLeft, Room: info.ID, Player: 7, Name: "zed", Reason: "left"}, dir)
	if ev := recv(t, sub); ev.Mode != arena.Mode || ev.Player != "zed" || ev.PlayerID != 7 || ev.Reason != "left" {
		t.Fatalf("converted event %+v", ev)
	}

	tok, _ := SessionTokens{T: tokens}.Issue(info.ID, matchmaker.Player{Name: "alice"})
	if g, ok := tokens.TakeJoin(tok); !ok || g.RoomID != info.ID || g.Name != "alice" {
		t.Fatalf("token grant %+v %v", g, ok)
	}
	if err := rooms.Broadcast(info.ID, ServerEvent{Type: "announcement", Text: "hi", Args: []int32{1, 2}}); err != nil {
		t.Fatalf("Broadcast: %v", err)
	}
	if err := rooms.Broadcast("nope", ServerEvent{Type: "x"}); !errors.Is(err, matchmaker.ErrRoomNotFound) {
		t.Fatalf("Broadcast to no room: %v", err)
	}
	if err := rooms.End("nope", "x"); !errors.Is(err, matchmaker.ErrRoomNotFound) {
		t.Fatalf("End of no room: %v", err)
	}
	if err := rooms.End(info.ID, "ended_by_service"); err != nil {
		t.Fatal(err)
	}
	for {
		ev := recv(t, sub)
		if ev.Type == EventMatchEnded {
			if ev.Reason != "ended_by_service" || ev.RoomID != info.ID {
				t.Fatalf("match_ended %+v", ev)
			}
			break
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		got, ok := rooms.Get(info.ID)
		if !ok || got.State == matchmaker.StateEnded {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("room still %+v after End", got)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestStack wires the stack as the server does and drives it over HTTP.
func TestStack(t *testing.T) {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	var st *Stack
	dir := directory.New(directory.Config{Logger: quiet, OnEvent: func(ev room.Event) { st.OnRoomEvent(ev) }})
	if err := dir.Register(directory.Mode{Name: arena.Mode, Factory: arena.Factory, Room: room.Config{MaxPlayers: 4}}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = dir.Close(ctx, "test_over")
	})
	tokens := session.NewTokens(100, time.Minute, time.Minute)
	var err error
	st, err = NewStack(StackConfig{PublicURL: "ws://game.example/ws", JoinTokenTTL: 20 * time.Second,
		Matchmaker: matchmaker.Config{MinPlayers: 2}, Service: Config{APIKey: "k", Logger: quiet}}, dir, tokens)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	st.Mount(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	defer st.Close()

	post := func(name string) matchmaker.Ticket {
		resp, err := http.Post(srv.URL+"/v1/matchmaking/tickets", "application/json", strings.NewReader(`{"mode":"arena","players":["`+name+`"]}`))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var tk matchmaker.Ticket
		if err := json.NewDecoder(resp.Body).Decode(&tk); err != nil || resp.StatusCode != 201 {
			t.Fatalf("submit %s: %d %v", name, resp.StatusCode, err)
		}
		return tk
	}
	a, b := post("alice"), post("bob")
	st.Matchmaker.Process(time.Now())
	for _, id := range []string{a.ID, b.ID} {
		tk, err := st.Matchmaker.Get(id)
		if err != nil || tk.Status != matchmaker.StatusPlaced || tk.Address != "ws://game.example/ws" {
			t.Fatalf("ticket %+v %v", tk, err)
		}
		g, ok := tokens.TakeJoin(tk.Players[0].JoinToken)
		if !ok || g.RoomID != tk.RoomID || g.Name != tk.Players[0].Player || time.Until(g.Expires) > 20*time.Second {
			t.Fatalf("grant %+v %v for %+v", g, ok, tk)
		}
	}
	resp, err := http.Get(srv.URL + "/v1/rooms")
	if err != nil {
		t.Fatal(err)
	}
	var list matchmaker.RoomList
	_ = json.NewDecoder(resp.Body).Decode(&list)
	resp.Body.Close()
	if len(list.Rooms) != 1 || list.Rooms[0].Mode != arena.Mode || list.Rooms[0].Capacity != 4 {
		t.Fatalf("rooms %+v", list)
	}
	req, _ := http.NewRequest("POST", srv.URL+"/v1/service/rooms", strings.NewReader(`{"mode":"arena"}`))
	req.Header.Set("X-API-Key", "k")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 201 {
		t.Fatalf("service create through the stack: %d", resp.StatusCode)
	}
}
