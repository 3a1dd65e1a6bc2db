package server_test

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tickwire/tickwire/game/arena"
	pb "github.com/tickwire/tickwire/proto"
	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/server/internal/auth"
)

func joinWithToken(target *pb.Join, name, token string) *pb.ClientFrame {
	target.Name, target.PlayerToken = name, token
	return &pb.ClientFrame{Msg: &pb.ClientFrame_Join{Join: target}}
}

// TestRequiredIdentityWithHook: with RequireIdentity and an Authenticate hook, anonymous quick play is refused with
// 4512, an expired token with 4513, a good one plays verified (the game, the events and the results see the user id);
// a join token the program issued for a verified user admits that user; the public matchmaker can be turned off.
func TestRequiredIdentityWithHook(t *testing.T) {
	cfg := testConfig()
	cfg.RequireIdentity = true
	cfg.PublicMatchmaker = false
	cfg.Authenticate = func(_ context.Context, token, name string) (server.Identity, error) {
		switch {
		case token == "old":
			return server.Identity{}, server.ErrPlayerTokenExpired
		case strings.HasPrefix(token, "good-"):
			u := strings.TrimPrefix(token, "good-")
			return server.Identity{UserID: u, Name: "Verified " + u, Claims: map[string]string{"team": "red"}, Verified: true}, nil
		case token == "":
			return server.Identity{Name: name}, nil // anonymous: RequireIdentity refuses it
		}
		return server.Identity{}, errors.New("unknown player")
	}
	ts := startServer(t, cfg)
	var mu sync.Mutex
	var events []server.RoomEvent
	ts.srv.OnRoomEvent(func(ev server.RoomEvent) {
		mu.Lock()
		events = append(events, ev)
		mu.Unlock()
	})
	for _, tc := range []struct {
		token string
		code  uint16
	}{{"", 4512}, {"old", 4513}, {"bogus", 4512}} {
		c := dial(t, ts.addr, nil)
		c.send(hello())
		c.send(joinWithToken(&pb.Join{Target: &pb.Join_Mode{Mode: arena.Mode}}, "x", tc.token))
		c.expectClose(tc.code, true, 5*time.Second)
	}
	c := dial(t, ts.addr, nil)
	c.send(hello())
	c.send(joinWithToken(&pb.Join{Target: &pb.Join_Mode{Mode: arena.Mode}}, "typed name", "good-ann"))
	c.waitFor("welcome", 5*time.Second, isWelcome)
	rooms := ts.srv.Rooms(arena.Mode, true)
	if len(rooms) != 1 {
		t.Fatalf("rooms %+v", rooms)
	}
	// A seat issued by the program for a verified user; the player's own token, if sent, must be that user's.
	tok := ts.srv.IssueJoinTokenFor(rooms[0].ID, server.Identity{UserID: "bob", Name: "Bob", Verified: true}, 0)
	b := dial(t, ts.addr, nil)
	b.send(hello())
	b.send(joinWithToken(&pb.Join{Target: &pb.Join_JoinToken{JoinToken: tok}}, "", ""))
	b.waitFor("welcome", 5*time.Second, isWelcome)
	tok = ts.srv.IssueJoinTokenFor(rooms[0].ID, server.Identity{UserID: "cy", Name: "Cy", Verified: true}, 0)
	m := dial(t, ts.addr, nil)
	m.send(hello())
	m.send(joinWithToken(&pb.Join{Target: &pb.Join_JoinToken{JoinToken: tok}}, "", "good-mallory"))
	m.expectClose(4512, true, 5*time.Second)

	ts.srv.EndRoom(rooms[0].ID, "test")
	var mr *pb.MatchResult
	c.waitFor("match result", 5*time.Second, func(f *pb.ServerFrame) bool { mr = f.GetMatchResult(); return mr != nil })
	users := map[string]bool{}
	for _, p := range mr.GetPlayers() {
		if p.GetVerified() {
			users[p.GetUserId()] = true
		}
	}
	if !users["ann"] || !users["bob"] || len(users) != 2 {
		t.Errorf("verified users in the MatchResult: %v, want ann and bob", users)
	}
	ended := func() bool {
		mu.Lock()
		defer mu.Unlock()
		for _, ev := range events {
			if ev.Type == "match_ended" {
				return true
			}
		}
		return false
	}
	for i := 0; !ended() && i < 500; i++ {
		time.Sleep(10 * time.Millisecond)
	}
	mu.Lock()
	joined := map[string]string{}
	for _, ev := range events {
		if ev.Type == "player_joined" && ev.Verified {
			joined[ev.UserID] = ev.Name
		}
	}
	mu.Unlock()
	if joined["ann"] != "Verified ann" || joined["bob"] != "Bob" || len(joined) != 2 {
		t.Errorf("verified player_joined events: %v", joined)
	}

	resp, err := http.Post("http://"+ts.addr+"/v1/matchmaking/tickets", "application/json", strings.NewReader(`{"mode":"arena"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("public matchmaker off: POST tickets = %d, want 404", resp.StatusCode)
	}
}

func TestRequireIdentityNeedsKeys(t *testing.T) {
	cfg := testConfig()
	cfg.RequireIdentity = true
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "require identity") {
		t.Fatalf("Validate = %v, want a require identity error", err)
	}
	cfg.AuthKeys = "/nonexistent/keys.json"
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if _, err := server.New(cfg, nil); err == nil {
		t.Fatal("New accepted a missing key file")
	}
}

// TestAuthKeyRotation: ReloadAuthKeys (SIGHUP in the binary) swaps the key set while the server runs: tokens of the
// new kid are accepted from then on and those of a removed kid refused (4512, unknown_kid); a key file that does not
// load leaves the keys in place.
func TestAuthKeyRotation(t *testing.T) {
	const oldSecret, newSecret = "rotation-test-old-secret-0123456789abcdef", "rotation-test-new-secret-0123456789abcdef"
	path := filepath.Join(t.TempDir(), "keys.json")
	write := func(body string) {
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(`{"keys":[{"kid":"old","alg":"HS256","secret":"` + oldSecret + `"}]}`)
	cfg := testConfig()
	cfg.AuthKeys = path
	ts := startServer(t, cfg)
	exp := time.Now().Add(time.Hour).Unix()
	oldTok, _ := auth.SignHS256("old", oldSecret, map[string]any{"sub": "u-old", "exp": exp})
	newTok, _ := auth.SignHS256("new", newSecret, map[string]any{"sub": "u-new", "exp": exp})
	try := func(tok string, want uint16) {
		t.Helper()
		c := dial(t, ts.addr, nil)
		c.send(hello())
		c.send(joinWithToken(&pb.Join{Target: &pb.Join_Mode{Mode: arena.Mode}}, "p", tok))
		if want == 0 {
			c.waitFor("welcome", 5*time.Second, isWelcome)
			return
		}
		c.expectClose(want, true, 5*time.Second)
	}
	try(oldTok, 0)
	try(newTok, 4512)
	write(`{"keys":[{"kid":"new","alg":"HS256","secret":"` + newSecret + `"}]}`)
	if err := ts.srv.ReloadAuthKeys(); err != nil {
		t.Fatal(err)
	}
	try(newTok, 0)
	try(oldTok, 4512)
	write(`{"keys":[`)
	if err := ts.srv.ReloadAuthKeys(); err == nil {
		t.Fatal("a broken key file was loaded")
	}
	try(newTok, 0)
}
