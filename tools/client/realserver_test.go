package client_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/tickwire/tickwire/game/arena"
	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/tools/client"
)

func startServer(t *testing.T) string {
	t.Helper()
	addr, _ := startGameServer(t, arena.Mode, arena.Factory, server.GameOptions{MaxPlayers: 2})
	return "ws://" + addr
}

// The real server's refusals and takeovers arrive as typed errors with the protocol's codes.
func TestRealServerDisconnectCodes(t *testing.T) {
	url := startServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	_, err := client.Dial(ctx, client.Config{URL: url, Mode: "no-such-mode"})
	if !errors.Is(err, client.ErrRoomNotFound) {
		t.Errorf("unknown mode: %v", err)
	}
	_, err = client.Dial(ctx, client.Config{URL: url, ResumeToken: []byte("forged-token-forged-token")})
	var de *client.DisconnectError
	if !errors.Is(err, client.ErrInvalidToken) || !errors.As(err, &de) || de.Reconnect || de.Reason == "" {
		t.Errorf("forged resume token: %v", err)
	}

	a, err := client.Dial(ctx, client.Config{URL: url, Name: "a"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.SendInput([]int32{1, 0, 0, 0}); err != nil {
		t.Fatal(err)
	}
	// Another connection resumes a's player with its token: a is superseded (terminal), b carries on as that player.
	b, err := client.Dial(ctx, client.Config{URL: url, ResumeToken: a.ResumeToken()})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	select {
	case <-a.Done():
	case <-ctx.Done():
		t.Fatal("superseded client did not end")
	}
	if !errors.Is(a.Err(), client.ErrSuperseded) {
		t.Errorf("superseded client ended with %v", a.Err())
	}
	if b.PlayerID() != a.PlayerID() || !b.Welcome().GetResumed() {
		t.Errorf("resumed as player %d (resumed=%v), want %d", b.PlayerID(), b.Welcome().GetResumed(), a.PlayerID())
	}
	// Out-of-range input values are a protocol violation: the server closes with 4500 and the client ends.
	if _, err := b.SendInput([]int32{5, 0, 0, 0}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-b.Done():
	case <-ctx.Done():
		t.Fatal("client with a bad frame did not end")
	}
	t.Logf("a: %v; b: %v", a.Err(), b.Err())
	if !errors.Is(b.Err(), client.ErrBadFrame) {
		t.Errorf("bad input ended with %v", b.Err())
	}
}
