package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/tickwire/tickwire/game/cards"
	"github.com/tickwire/tickwire/server"
)

// startCardServer runs a real Tickwire server with the card game on a loopback port until the test ends.
func startCardServer(t *testing.T, opts server.GameOptions) (url string, srv *server.Server) {
	t.Helper()
	cfg := server.DefaultConfig()
	cfg.Addr = "127.0.0.1:0"
	cfg.ShutdownTimeout = 3 * time.Second
	srv, err := server.New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.RegisterGame(cards.Mode, cards.Factory, opts); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("server did not stop")
		}
	})
	return "ws://" + ln.Addr().String(), srv
}

func runCardBots(t *testing.T, cfg CardsConfig) *CardsReport {
	t.Helper()
	cfg.Logger = slog.New(slog.NewTextHandler(testLog{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	cfg.Timeout = 90 * time.Second // a bound for a loaded machine, not a measure
	r, err := RunCards(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("report: %+v", *r)
	want := int64(cfg.N * cfg.Hands)
	if !r.OK() || r.Hands != want || r.Plays == 0 || r.Draws == 0 || r.Snapshots == 0 {
		t.Errorf("%d of %d hands ended; report not OK: %+v", r.Hands, want, *r)
	}
	return r
}

// Rooms of bots play hands of the card game to their end over real loopback WebSockets, by quick play: every move
// legal, every hand ended with a MatchResult, and no frame to a bot held another player's hidden card.
func TestCardBotsPlayHands(t *testing.T) {
	for _, seats := range []int{2, 3, 4} {
		t.Run(string(rune('0'+seats))+"seats", func(t *testing.T) {
			url, _ := startCardServer(t, server.GameOptions{MaxPlayers: seats, TickRate: 30,
				Settings: map[string]string{"seats": string(rune('0' + seats)), "hand_size": "5"}})
			r := runCardBots(t, CardsConfig{URL: url, N: 2 * seats, Hands: 2})
			if r.Rooms != 4 || r.Wins < 4 { // two rooms a hand, two hands: at least one winner each
				t.Errorf("%d wins in %d hands in %d rooms", r.Wins, r.Hands, r.Rooms)
			}
		})
	}
}

// Bots also find their rooms through the server's matchmaking API, which fills each room to its seats.
func TestCardBotsThroughMatchmaker(t *testing.T) {
	url, _ := startCardServer(t, server.GameOptions{MaxPlayers: 2, TickRate: 30,
		Settings: map[string]string{"seats": "2", "hand_size": "5"}})
	r := runCardBots(t, CardsConfig{Matchmaker: "http://" + strings.TrimPrefix(url, "ws://"), N: 6, Hands: 1})
	if r.Rooms != 3 {
		t.Errorf("6 players in %d rooms of 2", r.Rooms)
	}
}

// Bots whose sockets are killed right after every third move they send still play every hand to its end: each
// resumes, and moves again when the move it sent did not reach the room (the turn is still its own); a move that did
// reach it is never applied twice (the turn number makes a repeat stale).
func TestCardBotsDropAfterMoves(t *testing.T) {
	url, _ := startCardServer(t, server.GameOptions{MaxPlayers: 2, TickRate: 30,
		Settings: map[string]string{"seats": "2", "hand_size": "5"}})
	r := runCardBots(t, CardsConfig{URL: url, N: 4, Hands: 2, DropEvery: 3})
	if r.Drops == 0 || r.Resumes < r.Drops {
		t.Errorf("%d drops, %d resumes", r.Drops, r.Resumes)
	}
}
