package client_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tickwire/tickwire/game/arena"
	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/tools/client"
)

// TestPlayerToken: Config.PlayerToken reaches the server's identity check in Join (quick play) and, through
// HTTPMatchmaker, with the matchmaking ticket; the player plays as the verified user; a refused token ends Dial with
// client.ErrUnauthenticated or client.ErrPlayerTokenExpired.
func TestPlayerToken(t *testing.T) {
	cfg := server.DefaultConfig()
	cfg.MatchMinPlayers = 1
	cfg.Authenticate = func(_ context.Context, token, name string) (server.Identity, error) {
		switch {
		case token == "":
			return server.Identity{Name: name}, nil
		case token == "expired":
			return server.Identity{}, server.ErrPlayerTokenExpired
		case strings.HasPrefix(token, "ok:"):
			return server.Identity{UserID: token[3:], Name: "V-" + token[3:], Verified: true}, nil
		}
		return server.Identity{}, errors.New("unknown token")
	}
	addr, srv := startGameServerWith(t, cfg, arena.Mode, arena.Factory, server.GameOptions{})
	var mu sync.Mutex
	verified := map[string]string{}
	srv.OnRoomEvent(func(ev server.RoomEvent) {
		if ev.Type == "player_joined" && ev.Verified {
			mu.Lock()
			verified[ev.UserID] = ev.Name
			mu.Unlock()
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for _, tc := range []struct {
		token string
		want  error
	}{{"forged", client.ErrUnauthenticated}, {"expired", client.ErrPlayerTokenExpired}} {
		if c, err := client.Dial(ctx, client.Config{URL: "ws://" + addr + "/ws", PlayerToken: tc.token, NoResume: true}); !errors.Is(err, tc.want) {
			if c != nil {
				_ = c.Close()
			}
			t.Errorf("token %q: Dial = %v, want %v", tc.token, err, tc.want)
		}
	}
	quick, err := client.Dial(ctx, client.Config{URL: "ws://" + addr + "/ws", Name: "typed", PlayerToken: "ok:ann"})
	if err != nil {
		t.Fatal(err)
	}
	defer quick.Close()
	if u, ok := quick.UserID(); u != "ann" || !ok {
		t.Errorf("UserID() = %q, %v; want ann, verified", u, ok)
	}
	mm := &client.HTTPMatchmaker{BaseURL: "http://" + addr}
	if _, err := mm.MatchWithToken(ctx, arena.Mode, "x", "forged"); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("ticket with a forged token: %v, want a 401", err)
	}
	matched, err := client.Dial(ctx, client.Config{Matchmaker: mm, Mode: arena.Mode, Name: "typed", PlayerToken: "ok:bob"})
	if err != nil {
		t.Fatal(err)
	}
	defer matched.Close()
	if u, ok := matched.UserID(); u != "bob" || !ok {
		t.Errorf("UserID() after matchmaking = %q, %v; want bob, verified", u, ok)
	}
	// Room events reach OnRoomEvent's callback after the room has run the join, which may be after Welcome: wait
	// (bounded) for both.
	seen := func() (bool, string) {
		mu.Lock()
		defer mu.Unlock()
		return verified["ann"] == "V-ann" && verified["bob"] == "V-bob", fmt.Sprint(verified)
	}
	ok, got := seen()
	for i := 0; i < 500 && !ok; i++ {
		time.Sleep(10 * time.Millisecond)
		ok, got = seen()
	}
	if !ok {
		t.Errorf("verified joins %s, want ann (quick play) and bob (matchmaker)", got)
	}
}
