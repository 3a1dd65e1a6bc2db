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

// drive sends n inputs at about the server's tick rate, skipping ticks while the client is not connected.
func drive(t *testing.T, c *Client, n int, every time.Duration, during func(i int)) {
	t.Helper()
	sent := 0
	for i := 0; sent < n; i++ {
		if during != nil {
			during(i)
		}
		_, err := c.SendInput([]int32{int32(i%3) - 1, 1})
		switch {
		case err == nil:
			sent++
		case errors.Is(err, ErrNotConnected), errors.Is(err, ErrInputBacklog):
		default:
			t.Fatalf("SendInput: %v", err)
		}
		if i > 50*n {
			t.Fatalf("sent only %d of %d inputs", sent, n)
		}
		time.Sleep(every)
	}
}

func TestJoinInputsSnapshots(t *testing.T) {
	s := startFakeServer(t, 100, nil)
	c := dial(t, s, Config{Name: "a", PingInterval: 50 * time.Millisecond})
	if c.PlayerID() == 0 {
		t.Fatal("no player id")
	}
	drive(t, c, 40, 10*time.Millisecond, nil)
	// Wait until the world shows the server's final position of this player.
	deadline := time.Now().Add(2 * time.Second)
	for {
		sent, acked := c.Inputs()
		if sent == acked || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond) // a few more snapshots
	x, y, applied := s.player(c.PlayerID())
	var gotX, gotY int32
	found := false
	id := c.PlayerID()
	c.WithWorld(func(w *snapcodec.World) {
		for _, e := range w.Entities {
			if e.ID == id {
				gotX, gotY, found = e.Fields[0], e.Fields[1], true
			}
		}
	})
	if !found || gotX != x || gotY != y {
		t.Errorf("own entity in world = (%d,%d) found=%v, server has (%d,%d)", gotX, gotY, found, x, y)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	st := c.Stats()
	if got := st.InputsSent.Load(); got != 40 || applied != 40 {
		t.Errorf("sent %d, server applied %d, want 40", got, applied)
	}
	if st.InputsAcked.Load() != 40 || st.InputsLost.Load() != 0 {
		t.Errorf("acked %d lost %d, want 40 and 0", st.InputsAcked.Load(), st.InputsLost.Load())
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
	drive(t, c, 150, 5*time.Millisecond, func(i int) {
		if i%40 == 39 {
			c.Drop()
		}
	})
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if sent, acked := c.Inputs(); sent == acked {
			break
		}
	}
	if _, _, applied := s.player(c.PlayerID()); applied != 150 {
		t.Errorf("server applied up to %d, want 150", applied)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if st.Resumed.Load() < 3 {
		t.Errorf("resumed %d times, want >= 3", st.Resumed.Load())
	}
	if st.InputsLost.Load() != 0 || st.InputsAcked.Load() != 150 || st.InputsSent.Load() != 150 {
		t.Errorf("sent %d acked %d lost %d", st.InputsSent.Load(), st.InputsAcked.Load(), st.InputsLost.Load())
	}
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
	drive(t, c, 20, 5*time.Millisecond, nil)
	c.Drop() // and resume over TLS
	drive(t, c, 20, 5*time.Millisecond, nil)
	_ = c.Close()
	st := c.Stats()
	if st.InputsAcked.Load() != 40 || st.InputsLost.Load() != 0 || c.Resumes() != 1 || st.Snapshots.Load() == 0 {
		t.Errorf("acked %d lost %d resumes %d snapshots %d", st.InputsAcked.Load(), st.InputsLost.Load(), c.Resumes(), st.Snapshots.Load())
	}
	if _, err := Dial(context.Background(), Config{URL: s.url}); err == nil || !strings.Contains(err.Error(), "tls") {
		t.Errorf("untrusted certificate accepted: %v", err)
	}
}

func TestUnacknowledgedInputsAreLost(t *testing.T) {
	s := startFakeServer(t, 100, func(s *fakeServer) { s.ignoreInput = true })
	c := dial(t, s, Config{DrainTimeout: 100 * time.Millisecond})
	drive(t, c, 10, time.Millisecond, nil)
	_ = c.Close()
	if got := c.Stats().InputsLost.Load(); got != 10 {
		t.Errorf("lost %d, want 10", got)
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
	drive(t, c, 60, 5*time.Millisecond, func(i int) {
		switch i {
		case 10:
			c.Stall(true)
		case 20:
			s.kick(c.PlayerID(), proto.CloseCode_CLOSE_SLOW_CONSUMER)
		}
	})
	_ = c.Close()
	st := c.Stats()
	if st.Disconnects()[4000] != 1 || st.Resumed.Load() != 1 {
		t.Errorf("disconnects %v, resumed %d: want one 4000 and one resume", st.Disconnects(), st.Resumed.Load())
	}
	if st.InputsLost.Load() != 0 || st.InputsAcked.Load() != 60 {
		t.Errorf("acked %d lost %d", st.InputsAcked.Load(), st.InputsLost.Load())
	}
}

// A connection that goes silent (the server stopped writing, and no close reached the client) is dropped after
// SilenceTimeout and resumed; nothing is lost.
func TestSilentConnectionIsResumed(t *testing.T) {
	s := startFakeServer(t, 100, nil)
	c := dial(t, s, Config{SilenceTimeout: 200 * time.Millisecond})
	drive(t, c, 80, 5*time.Millisecond, func(i int) {
		if i == 10 {
			s.mute(c.PlayerID())
		}
	})
	_ = c.Close()
	st := c.Stats()
	if c.Resumes() != 1 || st.Disconnects()[CodeConnectionLost] != 1 {
		t.Errorf("resumes %d, disconnects %v", c.Resumes(), st.Disconnects())
	}
	if st.InputsLost.Load() != 0 || st.InputsAcked.Load() != 80 {
		t.Errorf("acked %d lost %d", st.InputsAcked.Load(), st.InputsLost.Load())
	}
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
