package session

import (
	"testing"
	"time"
)

func TestResumeTokensAreSingleUseAndBound(t *testing.T) {
	tt := NewTokens(16, time.Minute, time.Minute)
	a, b := NewResumeToken(), NewResumeToken()
	if len(a) != ResumeTokenBytes || string(a) == string(b) {
		t.Fatal("tokens are not fresh 24-byte values")
	}
	tt.BindResume(a, "room1", 7)
	if _, ok := tt.TakeResume(b); ok {
		t.Fatal("an unbound token was accepted")
	}
	g, ok := tt.TakeResume(a)
	if !ok || g.RoomID != "room1" || g.Player != 7 {
		t.Fatalf("TakeResume = %+v, %v", g, ok)
	}
	if _, ok := tt.TakeResume(a); ok {
		t.Fatal("a used token was accepted again")
	}
	if _, ok := tt.TakeResume(a[:10]); ok {
		t.Fatal("a short token was accepted")
	}
	tt.BindResume(b, "room1", 8)
	tt.DropResume(b)
	if _, ok := tt.TakeResume(b); ok {
		t.Fatal("a dropped token was accepted")
	}
}

func TestTokenTableIsBounded(t *testing.T) {
	tt := NewTokens(16, time.Minute, time.Minute)
	first := NewResumeToken()
	tt.BindResume(first, "r", 1)
	for i := 0; i < 100; i++ {
		tt.BindResume(NewResumeToken(), "r", 2)
	}
	if n := tt.resume.Len(); n != 16 {
		t.Fatalf("%d resume tokens held, bound 16", n)
	}
	if _, ok := tt.TakeResume(first); ok {
		t.Fatal("the oldest token survived past the bound")
	}
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
