package matchmaker

import (
	"errors"
	"testing"
	"time"

	"github.com/tickwire/tickwire/server/internal/auth"
)

const testSecret = "matchmaker-test-secret-0123456789abcdef"

func playerToken(t *testing.T, secret, sub, name string, exp time.Time) string {
	t.Helper()
	tok, err := auth.SignHS256("k1", secret, map[string]any{"sub": sub, "name": name, "exp": exp.Unix(), "tier": "gold"})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestQueueDedupeByVerifiedUser: tickets carry verified identities to the join tokens; the queue de-duplicates by
// verified user id (whatever names the tickets give), never by a free-form name; refused tokens are ErrUnauthenticated
// with the auth reason; Require refuses anonymous tickets.
func TestQueueDedupeByVerifiedUser(t *testing.T) {
	ks := &auth.KeySet{Keys: []auth.Key{{Kid: "k1", Alg: "HS256", Secret: testSecret}}}
	v, err := auth.NewVerifier(ks, nil)
	if err != nil {
		t.Fatal(err)
	}
	var refused []auth.Reason
	a := &auth.Authenticator{Verifier: v, OnResult: func(where string, _ bool, r auth.Reason) {
		if where != auth.AtTicket {
			t.Errorf("checked at %q", where)
		}
		if r != "" {
			refused = append(refused, r)
		}
	}}
	h := newHarness(t, Config{MinPlayers: 2, Auth: a}, map[string]int{"arena": 4})
	exp := time.Now().Add(time.Hour)
	ann := playerToken(t, testSecret, "user-1", "Ann", exp)
	t1 := h.submit(TicketRequest{Mode: "arena", Players: []string{"whoever"}, PlayerTokens: []string{ann}})
	if t1.Players[0].Player != "Ann" {
		t.Errorf("seat name %q, want the token's name Ann", t1.Players[0].Player)
	}
	// The same user under another name and another token: one queued ticket per user.
	again := playerToken(t, testSecret, "user-1", "Not Ann", exp)
	if _, err := h.mm.Submit(TicketRequest{Mode: "arena", Players: []string{"x"}, PlayerTokens: []string{again}}); !errors.Is(err, ErrPlayerQueued) {
		t.Fatalf("the same verified user twice: %v, want ErrPlayerQueued", err)
	}
	// Another user who calls itself Ann queues fine; so does an anonymous "Ann".
	bob := playerToken(t, testSecret, "user-2", "Ann", exp)
	h.submit(TicketRequest{Mode: "arena", Players: []string{"b"}, PlayerTokens: []string{bob}})
	h.submit(solo("arena", "Ann"))

	for _, tc := range []struct {
		name string
		tok  string
		want auth.Reason
	}{
		{"forged", playerToken(t, testSecret+"x", "user-9", "Eve", exp), auth.ReasonBadSignature},
		{"expired", playerToken(t, testSecret, "user-9", "Eve", time.Now().Add(-time.Minute)), auth.ReasonExpired},
		{"garbage", "eyJ.nope.x", auth.ReasonMalformed},
	} {
		_, err := h.mm.Submit(TicketRequest{Mode: "arena", Players: []string{"e"}, PlayerTokens: []string{tc.tok}})
		if !errors.Is(err, ErrUnauthenticated) || auth.ReasonOf(err) != tc.want {
			t.Errorf("%s: %v, want ErrUnauthenticated %s", tc.name, err, tc.want)
		}
	}
	if len(refused) != 3 {
		t.Errorf("refusals reported: %v", refused)
	}
	if _, err := h.mm.Submit(TicketRequest{Mode: "arena", Players: []string{"a", "b"}, PlayerTokens: []string{ann}}); !errors.Is(err, ErrBadRequest) {
		t.Errorf("one token for two players: %v, want ErrBadRequest", err)
	}

	h.process()
	if got := h.get(t1.ID); got.Status != StatusPlaced {
		t.Fatalf("ticket %+v not placed", got)
	}
	p := h.tokens.users[h.get(t1.ID).Players[0].JoinToken]
	if !p.Verified || p.UserID != "user-1" || p.Name != "Ann" || p.Claims["tier"] != "gold" {
		t.Errorf("join token issued for %+v, want verified user-1 Ann with tier gold", p)
	}
	// Placed: the user may queue again.
	h.submit(TicketRequest{Mode: "arena", Players: []string{"x"}, PlayerTokens: []string{again}})

	// Identity required: anonymous tickets are refused.
	req := &auth.Authenticator{Verifier: v, Require: true}
	h2 := newHarness(t, Config{Auth: req}, map[string]int{"arena": 4})
	if _, err := h2.mm.Submit(solo("arena", "anon")); !errors.Is(err, ErrUnauthenticated) || auth.ReasonOf(err) != auth.ReasonMissing {
		t.Errorf("anonymous ticket with identity required: %v, want ErrUnauthenticated missing", err)
	}
	h2.submit(TicketRequest{Mode: "arena", PlayerTokens: []string{ann}})
}
