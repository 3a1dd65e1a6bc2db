package session

import (
	"context"
	"errors"
	"testing"
	"time"
)

// resume redeems tok for an attempt that succeeds (resumed true) or fails, and returns the successor it reserved.
func resume(t *testing.T, tt *Tokens, tok []byte, resumed bool) []byte {
	t.Helper()
	next := NewResumeToken()
	c, err := tt.TakeResume(context.Background(), tok, next, tt.Arrival())
	if err != nil {
		t.Fatalf("TakeResume: %v", err)
	}
	c.Done(resumed)
	return next
}

func refused(t *testing.T, tt *Tokens, tok []byte, why string) {
	t.Helper()
	if _, err := tt.TakeResume(context.Background(), tok, NewResumeToken(), tt.Arrival()); !errors.Is(err, ErrUnknownToken) {
		t.Fatalf("%s: TakeResume = %v, want ErrUnknownToken", why, err)
	}
}

func TestResumeTokensAreBoundAndDieOnceConfirmed(t *testing.T) {
	tt := NewTokens(16, time.Minute, time.Minute)
	a, b := NewResumeToken(), NewResumeToken()
	if len(a) != ResumeTokenBytes || string(a) == string(b) {
		t.Fatal("tokens are not fresh 24-byte values")
	}
	tt.BindResume(a, "room1", 7)
	refused(t, tt, b, "an unbound token")
	a1 := NewResumeToken()
	c, err := tt.TakeResume(context.Background(), a, a1, tt.Arrival())
	if err != nil || c.Grant.RoomID != "room1" || c.Grant.Player != 7 {
		t.Fatalf("TakeResume = %+v, %v", c, err)
	}
	c.Done(true)
	tt.ConfirmResume(a1) // the new connection's first frame
	refused(t, tt, a, "a used token after its successor was confirmed")
	refused(t, tt, a[:10], "a short token")
	// The successor carries the same grant.
	c, err = tt.TakeResume(context.Background(), a1, NewResumeToken(), tt.Arrival())
	if err != nil || c.Grant != (ResumeGrant{RoomID: "room1", Player: 7}) {
		t.Fatalf("successor: %+v, %v", c, err)
	}
	c.Done(true)
	tt.BindResume(b, "room1", 8)
	tt.DropResume(b)
	refused(t, tt, b, "a dropped token")
}

// TestResumeTokenCommitStep: a token stays redeemable until its successor is proven received; redeeming it again
// kills the successor issued before; redeeming the successor kills the token.
func TestResumeTokenCommitStep(t *testing.T) {
	tt := NewTokens(16, time.Minute, time.Minute)
	a := NewResumeToken()
	tt.BindResume(a, "r", 3)

	a1 := resume(t, tt, a, true) // that connection dies before the client reads its Welcome
	a2 := resume(t, tt, a, true) // so the client resumes with a again: accepted
	refused(t, tt, a1, "the successor of an abandoned attempt")
	if n := len(tt.resume); n != 2 {
		t.Fatalf("%d entries for one player's chain, want 2 (the token and its one live successor)", n)
	}
	tt.ConfirmResume(a1) // a late frame from the abandoned connection proves nothing
	a3 := resume(t, tt, a, true)
	refused(t, tt, a2, "a superseded successor")

	// A failed attempt (room busy, grace over) leaves the token as it was and forgets its reserved successor.
	a4 := resume(t, tt, a, false)
	refused(t, tt, a4, "the successor of a failed attempt")
	refused(t, tt, a3, "the successor issued before the failed attempt")

	// Resuming with the successor proves the client received it: the token is dead.
	a5 := resume(t, tt, a, true)
	a6 := resume(t, tt, a5, true)
	refused(t, tt, a, "a token whose successor was redeemed")
	// Confirming on the connection that got a6 kills a5; a6 lives.
	tt.ConfirmResume(a6)
	refused(t, tt, a5, "a token whose successor was confirmed")
	resume(t, tt, a6, true)

	// Leave drops the token and its unconfirmed predecessor.
	b := NewResumeToken()
	tt.BindResume(b, "r", 4)
	b1 := resume(t, tt, b, true)
	tt.DropResume(b1)
	refused(t, tt, b1, "a dropped token")
	refused(t, tt, b, "the predecessor of a dropped token")
}

// TestResumeAttemptsAreSerialized: while one attempt holds a token, another with the same token (or with the
// successor reserved for it) waits for it to end, or gives up when its context does.
func TestResumeAttemptsAreSerialized(t *testing.T) {
	tt := NewTokens(16, time.Minute, time.Minute)
	a := NewResumeToken()
	tt.BindResume(a, "r", 5)
	a1 := NewResumeToken()
	c1, err := tt.TakeResume(context.Background(), a, a1, tt.Arrival())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := tt.TakeResume(ctx, a, NewResumeToken(), tt.Arrival()); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a second attempt while the first holds the token: %v, want to wait until the deadline", err)
	}
	got := make(chan error, 2)
	a2 := NewResumeToken()
	go func() {
		c, err := tt.TakeResume(context.Background(), a, a2, tt.Arrival())
		if err == nil {
			c.Done(true)
		}
		got <- err
	}()
	go func() {
		c, err := tt.TakeResume(context.Background(), a1, NewResumeToken(), tt.Arrival())
		if err == nil {
			c.Done(true)
		}
		got <- err
	}()
	select {
	case err := <-got:
		t.Fatalf("an attempt did not wait: %v", err)
	case <-time.After(50 * time.Millisecond):
	}
	c1.Done(true)
	for i := 0; i < 2; i++ {
		select {
		case <-got:
		case <-time.After(2 * time.Second):
			t.Fatal("waiting attempts did not proceed after Done")
		}
	}
	// Whichever ran first, at most one successor of a is live.
	live := 0
	for _, tok := range [][]byte{a1, a2} {
		if e, ok := tt.resume[string(tok)]; ok && e.busy == nil {
			live++
		}
	}
	if live > 1 {
		t.Fatalf("%d live successors", live)
	}
}

func TestTokenTableIsBounded(t *testing.T) {
	tt := NewTokens(16, time.Minute, time.Minute)
	first := NewResumeToken()
	tt.BindResume(first, "r", 1)
	for i := 0; i < 100; i++ {
		tt.BindResume(NewResumeToken(), "r", 2)
	}
	if n := len(tt.resume); n != 16 {
		t.Fatalf("%d resume tokens held, bound 16", n)
	}
	refused(t, tt, first, "the oldest token past the bound")
}

func TestJoinTokens(t *testing.T) {
	tt := NewTokens(16, time.Minute, time.Minute)
	now := time.Unix(1000, 0)
	tt.now = func() time.Time { return now }
	tok := tt.IssueJoinToken("room9", "ann", 10*time.Second)
	g, ok := tt.TakeJoin(tok)
	if !ok || g.RoomID != "room9" || g.Name != "ann" {
		t.Fatalf("TakeJoin = %+v, %v", g, ok)
	}
	if _, ok := tt.TakeJoin(tok); ok {
		t.Fatal("a join token was accepted twice")
	}
	late := tt.IssueJoinToken("room9", "bob", 10*time.Second)
	now = now.Add(11 * time.Second)
	if _, ok := tt.TakeJoin(late); ok {
		t.Fatal("an expired join token was accepted")
	}
	capped := tt.IssueJoinToken("room9", "cy", time.Hour) // capped at the table's 1 minute
	now = now.Add(2 * time.Minute)
	if _, ok := tt.TakeJoin(capped); ok {
		t.Fatal("a join token outlived the table's maximum")
	}
	if _, ok := tt.TakeJoin("forged"); ok {
		t.Fatal("a forged join token was accepted")
	}
}

// A join refused as busy gives its token back: the client's retry is admitted, until the token's own expiry, and the
// token is single-use again once a join goes through.
func TestJoinTokenSurvivesBusyRefusal(t *testing.T) {
	tt := NewTokens(16, time.Minute, time.Minute)
	now := time.Unix(1000, 0)
	tt.now = func() time.Time { return now }
	tok := tt.IssueJoinToken("room9", "ann", 10*time.Second)
	for try := range 3 { // refused as busy twice, then admitted
		g, ok := tt.TakeJoin(tok)
		if !ok || g.RoomID != "room9" || g.Name != "ann" || !g.Expires.Equal(time.Unix(1010, 0)) {
			t.Fatalf("try %d: TakeJoin = %+v, %v", try, g, ok)
		}
		if try < 2 {
			tt.ReturnJoin(tok, g)
			now = now.Add(time.Second)
		}
	}
	if _, ok := tt.TakeJoin(tok); ok {
		t.Fatal("a join token was accepted after a join went through")
	}

	// Returning does not extend the token's life.
	late := tt.IssueJoinToken("room9", "bob", 10*time.Second)
	g, ok := tt.TakeJoin(late)
	if !ok {
		t.Fatal("TakeJoin refused a fresh token")
	}
	now = now.Add(10 * time.Second)
	tt.ReturnJoin(late, g)
	if _, ok := tt.TakeJoin(late); ok {
		t.Fatal("a join token returned at its expiry was accepted")
	}
}

// A join's token is reserved before the room can send the Welcome carrying it: a resume with it that races the join
// waits for the join to end, then resumes that player (Bind) or is refused (Cancel).
func TestResumeWaitsForTheReservingJoin(t *testing.T) {
	tt := NewTokens(16, time.Minute, time.Minute)
	for _, bind := range []bool{true, false} {
		a := NewResumeToken()
		r := tt.ReserveResume(a)
		got := make(chan error, 1)
		var grant ResumeGrant
		go func() {
			c, err := tt.TakeResume(context.Background(), a, NewResumeToken(), tt.Arrival())
			if err == nil {
				grant = c.Grant
				c.Done(true)
			}
			got <- err
		}()
		select {
		case err := <-got:
			t.Fatalf("the resume did not wait for the join: %v", err)
		case <-time.After(30 * time.Millisecond):
		}
		if bind {
			r.Bind("room1", 3)
		} else {
			r.Cancel()
		}
		r.Cancel() // after the end: nothing
		select {
		case err := <-got:
			switch {
			case bind && (err != nil || grant != (ResumeGrant{RoomID: "room1", Player: 3})):
				t.Errorf("after Bind: %+v, %v", grant, err)
			case !bind && !errors.Is(err, ErrUnknownToken):
				t.Errorf("after Cancel: %v, want ErrUnknownToken", err)
			}
		case <-time.After(2 * time.Second):
			t.Fatal("the resume did not proceed after the join ended")
		}
	}
}

// TestResumeAttemptsInArrivalOrder: an attempt whose connection arrived before that of the attempt that last redeemed
// the token (a retry overtook it: the client's first connection died with its Join still unread) is refused, and
// leaves the later attempt's successor live; attempts from later connections go on as usual.
func TestResumeAttemptsInArrivalOrder(t *testing.T) {
	tt := NewTokens(16, time.Minute, time.Minute)
	a := NewResumeToken()
	tt.BindResume(a, "r", 9)
	dead, retry := tt.Arrival(), tt.Arrival() // the first attempt's connection, then the retry's

	a2 := NewResumeToken()
	c, err := tt.TakeResume(context.Background(), a, a2, retry)
	if err != nil {
		t.Fatal(err)
	}
	c.Done(true)
	if _, err := tt.TakeResume(context.Background(), a, NewResumeToken(), dead); !errors.Is(err, ErrSupersededAttempt) {
		t.Fatalf("the overtaken attempt: %v, want ErrSupersededAttempt", err)
	}
	if e, ok := tt.resume[string(a2)]; !ok || e.busy != nil {
		t.Fatal("the retry's successor is not live after the overtaken attempt")
	}
	// The refused attempt did not use the token up: a later connection still resumes with it (the retry died too).
	a3 := NewResumeToken()
	if c, err = tt.TakeResume(context.Background(), a, a3, tt.Arrival()); err != nil {
		t.Fatalf("a later attempt: %v", err)
	}
	c.Done(true)
	refused(t, tt, a2, "the successor issued to the retry, after a later attempt")

	// An overtaken attempt that waited for the token while the later one held it is refused too.
	b := NewResumeToken()
	tt.BindResume(b, "r", 10)
	dead, retry = tt.Arrival(), tt.Arrival()
	held, err := tt.TakeResume(context.Background(), b, NewResumeToken(), retry)
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan error, 1)
	go func() {
		_, err := tt.TakeResume(context.Background(), b, NewResumeToken(), dead)
		got <- err
	}()
	held.Done(true)
	if err := <-got; !errors.Is(err, ErrSupersededAttempt) {
		t.Fatalf("the overtaken attempt after waiting: %v, want ErrSupersededAttempt", err)
	}
}

// TestResumeTokenLifetimeStartsAtDisconnect: a token held by a connection never expires, however long the player
// plays; once the connection ends, it is remembered for the resume TTL from that moment.
func TestResumeTokenLifetimeStartsAtDisconnect(t *testing.T) {
	tt := NewTokens(16, 25*time.Second, time.Minute)
	now := time.Unix(1000, 0)
	tt.now = func() time.Time { return now }
	a := NewResumeToken()
	tt.BindResume(a, "r", 1)
	now = now.Add(6 * time.Minute) // six minutes of play, far past the TTL
	tt.Disconnected(a)
	now = now.Add(24 * time.Second)
	a1 := resume(t, tt, a, true) // within the TTL of the disconnect
	now = now.Add(time.Hour)     // the resumed connection plays on
	tt.ConfirmResume(a1)
	refused(t, tt, a, "the confirmed predecessor")
	tt.Disconnected(a1)
	now = now.Add(25 * time.Second)
	refused(t, tt, a1, "a token 25s after its disconnect, TTL 25s")
	if n := len(tt.resume); n != 0 {
		t.Fatalf("%d entries after expiry, want 0", n)
	}

	// An unconfirmed predecessor keeps the lifetime its own disconnect started; the successor's starts at its own.
	b := NewResumeToken()
	tt.BindResume(b, "r", 2)
	tt.Disconnected(b)
	now = now.Add(20 * time.Second)
	b1 := resume(t, tt, b, true) // this connection dies before the client reads its Welcome
	tt.Disconnected(b1)
	now = now.Add(10 * time.Second) // b: 30s after its disconnect; b1: 10s after its own
	refused(t, tt, b, "the predecessor past its own lifetime")
	resume(t, tt, b1, true)
	tt.Disconnected([]byte("short"))  // ignored
	tt.Disconnected(NewResumeToken()) // unknown: ignored
}

// TestIdleTokensGoBeforeHeldOnes: past the bound, tokens no connection holds are forgotten first.
func TestIdleTokensGoBeforeHeldOnes(t *testing.T) {
	tt := NewTokens(16, time.Minute, time.Minute)
	held := NewResumeToken()
	tt.BindResume(held, "r", 1)
	for i := 0; i < 40; i++ {
		tok := NewResumeToken()
		tt.BindResume(tok, "r", 2)
		tt.Disconnected(tok)
	}
	if n := len(tt.resume); n != 16 {
		t.Fatalf("%d resume tokens held, bound 16", n)
	}
	resume(t, tt, held, true)
}
