package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/proto"
	"github.com/tickwire/tickwire/proto/snapcodec"
)

func dial(t *testing.T, s *fakeServer, cfg Config) *Client {
	t.Helper()
	cfg.URL = s.url
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := Dial(ctx, cfg)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// drive sends n inputs at the times the input clock gives (one per tick), waiting while the client is not connected.
func drive(t *testing.T, c *Client, n int, during func(i int)) {
	t.Helper()
	sent := 0
	for i := 0; sent < n; i++ {
		if during != nil {
			during(i)
		}
		if at := c.NextInputAt(); at.IsZero() {
			time.Sleep(2 * time.Millisecond)
		} else {
			time.Sleep(time.Until(at))
		}
		_, err := c.SendInput([]int32{int32(i%3) - 1, 1})
		switch {
		case err == nil:
			sent++
		case errors.Is(err, ErrNotConnected), errors.Is(err, ErrInputBacklog), errors.Is(err, ErrInputEarly):
		default:
			t.Fatalf("SendInput: %v", err)
		}
		if i > 50*n {
			t.Fatalf("sent only %d of %d inputs", sent, n)
		}
	}
}

// settle waits until no sent input is pending (each acknowledged or known late).
func settle(c *Client) {
	for deadline := time.Now().Add(2 * time.Second); c.Pending() > 0 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
}

// checkApplied asserts the exact accounting: every input sent was applied once (acknowledged, and the server applied
// as many) or reported late, none lost.
func checkApplied(t *testing.T, s *fakeServer, c *Client, sent int) {
	t.Helper()
	st := c.Stats()
	applied, _, late, _, dups := s.counts(c.PlayerID())
	acked, blind := st.InputsAcked.Load(), st.InputsAckedBlind.Load()
	if st.InputsSent.Load() != int64(sent) || st.InputsLost.Load() != 0 || acked+st.InputsLate.Load() != int64(sent) ||
		int64(applied) > acked || int64(applied) < acked-blind {
		t.Errorf("sent %d acked %d (blind %d) late %d lost %d; server applied %d late %d duplicates %d",
			st.InputsSent.Load(), acked, blind, st.InputsLate.Load(), st.InputsLost.Load(), applied, late, dups)
	}
	if st.AckRegress.Load() != 0 || st.AckBeyondSent.Load() != 0 || st.TicksMulti.Load() != 0 {
		t.Errorf("regressions %d, beyond sent %d, ticks with several inputs %d", st.AckRegress.Load(),
			st.AckBeyondSent.Load(), st.TicksMulti.Load())
	}
}

func TestJoinInputsSnapshots(t *testing.T) {
	s := startFakeServer(t, 100, nil)
	c := dial(t, s, Config{Name: "a", PingInterval: 50 * time.Millisecond})
	if c.PlayerID() == 0 {
		t.Fatal("no player id")
	}
	drive(t, c, 40, nil)
	// Once every input is acknowledged, the world is of a tick after the last one applied: the own entity in it is
	// the server's at that tick (the player keeps moving, so only the same tick compares).
	settle(c)
	var got [game.MaxFields]int32
	var tick uint32
	found := false
	id := c.PlayerID()
	c.WithWorld(func(w *snapcodec.World) {
		tick = w.Tick
		for _, e := range w.Entities {
			if e.ID == id {
				got, found = e.Fields, true
			}
		}
	})
	want, ok := s.entityAt(tick, id)
	if !found || !ok || got != want {
		t.Errorf("own entity in the world of tick %d = %v (found %v), server had %v (kept %v)", tick, got, found, want, ok)
	}
	if _, _, applied := s.player(id); c.Pending() != 0 || applied == 0 {
		t.Errorf("%d inputs pending, server applied up to seq %d", c.Pending(), applied)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	st := c.Stats()
	checkApplied(t, s, c, 40)
	if st.InputLead.Snapshot().N() == 0 {
		t.Errorf("no input lead reported")
	}
	if st.DecodeErrors.Load() != 0 || st.WorldMismatches.Load() != 0 || st.HashChecks.Load() == 0 {
		t.Errorf("decode errors %d, mismatches %d, hash checks %d", st.DecodeErrors.Load(), st.WorldMismatches.Load(), st.HashChecks.Load())
	}
	if st.FullSnapshots.Load() != 1 || st.Snapshots.Load() < 10 {
		t.Errorf("snapshots %d (full %d)", st.Snapshots.Load(), st.FullSnapshots.Load())
	}
	if al := st.AckLatency.Snapshot(); al.N == 0 || al.Quantile(0.5) <= 0 {
		t.Errorf("no ack latency samples")
	}
	if rtt, _ := c.Clock(); rtt <= 0 {
		t.Errorf("no RTT measured")
	}
}

func TestResumeAfterDropLosesNothing(t *testing.T) {
	s := startFakeServer(t, 100, nil)
	st := NewStats()
	c := dial(t, s, Config{Name: "r", Stats: st})
	drive(t, c, 150, func(i int) {
		if i%40 == 39 {
			c.Drop()
		}
	})
	settle(c)
	if err := c.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if st.Resumed.Load() < 3 || st.InputsResent.Load() == 0 {
		t.Errorf("resumed %d times, resent %d inputs: want >= 3 resumes with resends", st.Resumed.Load(), st.InputsResent.Load())
	}
	checkApplied(t, s, c, 150)
	if st.DecodeErrors.Load() != 0 || st.WorldMismatches.Load() != 0 || st.AckRegress.Load() != 0 {
		t.Errorf("decode errors %d mismatches %d regressions %d", st.DecodeErrors.Load(), st.WorldMismatches.Load(), st.AckRegress.Load())
	}
	if got := st.Disconnects()[CodeConnectionLost]; got != st.Resumed.Load() {
		t.Errorf("disconnects by 1006 = %d, resumes %d", got, st.Resumed.Load())
	}
}

func TestWSS(t *testing.T) {
	s := startFakeServer(t, 100, func(s *fakeServer) { s.useTLS = true })
	c := dial(t, s, Config{TLS: s.clientTLS})
	drive(t, c, 20, nil)
	c.Drop() // and resume over TLS
	drive(t, c, 20, nil)
	settle(c)
	_ = c.Close()
	st := c.Stats()
	checkApplied(t, s, c, 40)
	if c.Resumes() != 1 || st.Snapshots.Load() == 0 {
		t.Errorf("resumes %d snapshots %d", c.Resumes(), st.Snapshots.Load())
	}
	if _, err := Dial(context.Background(), Config{URL: s.url}); err == nil || !strings.Contains(err.Error(), "tls") {
		t.Errorf("untrusted certificate accepted: %v", err)
	}
}

// Inputs the server never reports on (no snapshot reaches the client) are lost when the client ends.
func TestUnacknowledgedInputsAreLost(t *testing.T) {
	s := startFakeServer(t, 100, nil)
	c := dial(t, s, Config{DrainTimeout: 100 * time.Millisecond, SilenceTimeout: -1})
	s.mute(c.PlayerID())
	drive(t, c, 10, nil)
	_ = c.Close()
	if st := c.Stats(); st.InputsLost.Load() != 10 || st.InputsLate.Load() != 0 {
		t.Errorf("lost %d late %d, want 10 and 0", st.InputsLost.Load(), st.InputsLate.Load())
	}
}

// Inputs the room does not apply by their tick are late, not lost: a snapshot of their tick reports a lower
// last_input_seq.
func TestUnappliedInputsAreLate(t *testing.T) {
	s := startFakeServer(t, 100, func(s *fakeServer) { s.ignoreInput = true })
	c := dial(t, s, Config{DrainTimeout: time.Second})
	drive(t, c, 10, nil)
	_ = c.Close()
	if st := c.Stats(); st.InputsLost.Load() != 0 || st.InputsLate.Load() != 10 || st.InputsAcked.Load() != 0 {
		t.Errorf("lost %d late %d acked %d, want 0, 10, 0", st.InputsLost.Load(), st.InputsLate.Load(), st.InputsAcked.Load())
	}
}

func TestWorldMismatchDetected(t *testing.T) {
	s := startFakeServer(t, 100, func(s *fakeServer) { s.badHash = true })
	c := dial(t, s, Config{})
	time.Sleep(100 * time.Millisecond)
	_ = c.Close()
	st := c.Stats()
	if st.HashChecks.Load() == 0 || st.WorldMismatches.Load() != st.HashChecks.Load() {
		t.Errorf("hash checks %d, mismatches %d: every check should fail", st.HashChecks.Load(), st.WorldMismatches.Load())
	}
}

func TestRefusalIsTypedError(t *testing.T) {
	s := startFakeServer(t, 100, func(s *fakeServer) { s.maxPlayers = 1 })
	_ = dial(t, s, Config{})
	_, err := Dial(context.Background(), Config{URL: s.url})
	if !errors.Is(err, ErrRoomFull) {
		t.Fatalf("err = %v, want ErrRoomFull", err)
	}
	var de *DisconnectError
	if !errors.As(err, &de) || de.Code != 4507 || de.Reconnect || de.Reason != "full" {
		t.Fatalf("DisconnectError = %+v", de)
	}
	_, err = Dial(context.Background(), Config{URL: s.url, Mode: "nope"})
	if !errors.Is(err, ErrRoomNotFound) {
		t.Fatalf("err = %v, want ErrRoomNotFound", err)
	}
	_, err = Dial(context.Background(), Config{URL: s.url, ResumeToken: []byte("forged")})
	if !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("err = %v, want ErrInvalidToken", err)
	}
}

func TestTerminalCloseEndsClient(t *testing.T) {
	s := startFakeServer(t, 100, nil)
	c := dial(t, s, Config{})
	s.kick(c.PlayerID(), proto.CloseCode_CLOSE_ROOM_ENDED)
	select {
	case <-c.Done():
	case <-time.After(2 * time.Second):
		t.Fatal("client did not end")
	}
	if !errors.Is(c.Err(), ErrRoomEnded) {
		t.Fatalf("Err = %v", c.Err())
	}
	if c.Stats().Disconnects()[4509] != 1 {
		t.Errorf("disconnects = %v", c.Stats().Disconnects())
	}
}

// A stalled client keeps sending; when the server gives up on it (4000), the client still reads the Disconnect,
// resumes, and loses nothing.
func TestStalledClientSeesSlowConsumerAndResumes(t *testing.T) {
	s := startFakeServer(t, 100, nil)
	c := dial(t, s, Config{})
	drive(t, c, 60, func(i int) {
		switch i {
		case 10:
			c.Stall(true)
		case 20:
			s.kick(c.PlayerID(), proto.CloseCode_CLOSE_SLOW_CONSUMER)
		}
	})
	settle(c)
	_ = c.Close()
	st := c.Stats()
	if st.Disconnects()[4000] != 1 || st.Resumed.Load() != 1 {
		t.Errorf("disconnects %v, resumed %d: want one 4000 and one resume", st.Disconnects(), st.Resumed.Load())
	}
	checkApplied(t, s, c, 60)
}

// A connection that goes silent (the server stopped writing, and no close reached the client) is dropped after
// SilenceTimeout and resumed; nothing is lost. The server sees the muted connection replaced by a resume exactly once.
// Every connection the client dropped was resumed: besides the muted one, a client whose own process could not read
// for SilenceTimeout (a loaded machine) also finds its connection silent, drops and resumes it, losing nothing;
// such drops are logged, not counted against the client.
func TestSilentConnectionIsResumed(t *testing.T) {
	s := startFakeServer(t, 100, nil)
	c := dial(t, s, Config{SilenceTimeout: 200 * time.Millisecond})
	drive(t, c, 80, func(i int) {
		if i == 10 {
			s.mute(c.PlayerID())
		}
	})
	settle(c)
	_ = c.Close()
	st := c.Stats()
	muted := s.mutedResumes(c.PlayerID())
	t.Logf("resumes %d (out of the muted connection %d), disconnects %v", c.Resumes(), muted, st.Disconnects())
	if muted != 1 || c.Resumes() < 1 || int64(c.Resumes()) != st.Disconnects()[CodeConnectionLost] || len(st.Disconnects()) != 1 {
		t.Errorf("resumes %d (out of the muted connection %d), disconnects %v: want the muted connection resumed once, every drop resumed",
			c.Resumes(), muted, st.Disconnects())
	}
	checkApplied(t, s, c, 80)
}

func TestHistogramQuantiles(t *testing.T) {
	var h Histogram
	for i := 1; i <= 1000; i++ {
		h.Record(time.Duration(i) * time.Millisecond)
	}
	s := h.Snapshot()
	for _, tc := range []struct{ q, want float64 }{{0.5, 500}, {0.99, 990}, {0, 1}} {
		if got := s.Quantile(tc.q); got < tc.want*0.96 || got > tc.want*1.04 {
			t.Errorf("q%.2f = %.1f ms, want about %.0f", tc.q, got, tc.want)
		}
	}
	if s.MaxMS() != 1000 {
		t.Errorf("max = %v", s.MaxMS())
	}
	for us := uint64(0); us < 1<<30; us = us*3/2 + 1 {
		i := histIndex(us)
		if v := histValue(i); v < float64(us)*0.96 || v > float64(us)*1.04+1 {
			t.Fatalf("value of bucket of %d us = %.0f", us, v)
		}
	}
}

// A fake matchmaking service: the first poll still finds the ticket queued, the second finds it placed in the fake
// server's room. The fake server refuses join tokens, which proves the client used the matchmaker's token and URL.
func TestHTTPMatchmakerSeam(t *testing.T) {
	s := startFakeServer(t, 100, nil)
	polls := 0
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/matchmaking/tickets", func(w http.ResponseWriter, r *http.Request) {
		var req mmTicketRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Mode != "arena" || len(req.Players) != 1 || req.Players[0] != "zed" {
			http.Error(w, "bad ticket", 400)
			return
		}
		w.WriteHeader(201)
		_, _ = io.WriteString(w, `{"ticket_id":"t1","status":"queued","players":[{"player":"zed"}]}`)
	})
	mux.HandleFunc("GET /v1/matchmaking/tickets/t1", func(w http.ResponseWriter, r *http.Request) {
		polls++
		if polls == 1 {
			_, _ = io.WriteString(w, `{"ticket_id":"t1","status":"queued","players":[{"player":"zed"}]}`)
			return
		}
		fmt.Fprintf(w, `{"ticket_id":"t1","status":"placed","address":%q,"players":[{"player":"zed","join_token":"jt"}]}`, s.url+"/ws")
	})
	hs := httptest.NewServer(mux)
	defer hs.Close()
	mm := &HTTPMatchmaker{BaseURL: hs.URL}
	a, err := mm.Match(context.Background(), "arena", "zed")
	if err != nil || a.JoinToken != "jt" || a.URL != s.url+"/ws" || polls != 2 {
		t.Fatalf("Match = %+v, %v after %d polls", a, err, polls)
	}
	_, err = Dial(context.Background(), Config{Matchmaker: mm, Name: "zed"})
	if !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("Dial through the matchmaker: %v, want the fake server's refusal of join tokens", err)
	}
}

// A snapshot the client cannot apply makes its read goroutine drop the connection (from inside the socket read) and
// resume; nothing is lost or applied twice.
func TestUndecodableSnapshotResumes(t *testing.T) {
	s := startFakeServer(t, 100, nil)
	c := dial(t, s, Config{})
	drive(t, c, 20, nil)
	s.mu.Lock()
	conn := s.players[c.PlayerID()].conn
	s.mu.Unlock()
	s.send(conn, &proto.ServerFrame{Msg: &proto.ServerFrame_Snapshot{Snapshot: &proto.Snapshot{Tick: 1 << 30, BaselineTick: 12345}}})
	drive(t, c, 40, nil)
	settle(c)
	_ = c.Close()
	if c.Resumes() != 1 || c.Stats().DecodeErrors.Load() != 1 {
		t.Errorf("resumes %d, decode errors %d", c.Resumes(), c.Stats().DecodeErrors.Load())
	}
	checkApplied(t, s, c, 60)
}
