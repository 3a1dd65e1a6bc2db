package room

import (
	"testing"
	"time"

	"github.com/tickwire/tickwire/game"
)

// TestJoinCarriesIdentity: the Sim's Join gets the player's verified identity (an unverified request is anonymous,
// whatever user id it names), and the room's events and match results carry the user id, marked verified.
func TestJoinCarriesIdentity(t *testing.T) {
	sim := newLineSim()
	h := startRoom(t, Config{}, sim)
	claims := map[string]string{"team": "red"}
	a := newFakeSink(t)
	ra, err := h.r.Join(t.Context(), JoinRequest{Sink: a, Name: "Ann", UserID: "user-1", Claims: claims, Verified: true,
		ResumeToken: []byte("tok-a")})
	if err != nil {
		t.Fatal(err)
	}
	b := newFakeSink(t)
	rb, err := h.r.Join(t.Context(), JoinRequest{Sink: b, Name: "Bob", UserID: "claimed-admin", Claims: claims,
		ResumeToken: []byte("tok-b")})
	if err != nil {
		t.Fatal(err)
	}
	if len(sim.joined) != 2 {
		t.Fatalf("Join called %d times", len(sim.joined))
	}
	if w := (game.Player{ID: ra.Player, Name: "Ann", UserID: "user-1", Claims: claims, Verified: true}); !samePlayer(sim.joined[0], w) {
		t.Errorf("verified join: the Sim got %+v, want %+v", sim.joined[0], w)
	}
	if w := (game.Player{ID: rb.Player, Name: "Bob"}); !samePlayer(sim.joined[1], w) {
		t.Errorf("anonymous join: the Sim got %+v, want %+v", sim.joined[1], w)
	}
	if w := a.welcomes(); len(w) != 1 || w[0].GetUserId() != "user-1" || !w[0].GetVerified() {
		t.Errorf("verified player's Welcome: %v", w)
	}
	if w := b.welcomes(); len(w) != 1 || w[0].GetUserId() != "" || w[0].GetVerified() {
		t.Errorf("anonymous player's Welcome: %v", w)
	}
	h.ticks(2)
	h.r.End("test")
	select {
	case <-h.r.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("room did not end")
	}
	var joined, ended int
	for _, e := range h.drainEvents() {
		switch e.Type {
		case EventPlayerJoined:
			joined++
			if want := e.Player == ra.Player; e.Verified != want || (e.UserID == "user-1") != want {
				t.Errorf("joined event %+v", e)
			}
		case EventMatchEnded:
			ended++
			for _, r := range e.Results {
				if want := r.Player == ra.Player; r.Verified != want || (r.UserID == "user-1") != want {
					t.Errorf("result %+v", r)
				}
			}
		}
	}
	if joined != 2 || ended != 1 {
		t.Errorf("%d joined and %d match_ended events", joined, ended)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	found := false
	for _, f := range a.reliable {
		if mr := f.GetMatchResult(); mr != nil {
			found = true
			for _, p := range mr.GetPlayers() {
				if want := p.GetPlayerId() == uint32(ra.Player); p.GetVerified() != want || (p.GetUserId() == "user-1") != want {
					t.Errorf("MatchResult player %v", p)
				}
			}
		}
	}
	if !found {
		t.Error("no MatchResult")
	}
}

func samePlayer(a, b game.Player) bool {
	if a.ID != b.ID || a.Name != b.Name || a.UserID != b.UserID || a.Verified != b.Verified || len(a.Claims) != len(b.Claims) {
		return false
	}
	for k, v := range b.Claims {
		if a.Claims[k] != v {
			return false
		}
	}
	return true
}
