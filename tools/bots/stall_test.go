package main

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tickwire/tickwire/server"
)

// Slow consumers against a real server: the stalled bot stops reading, the server cuts it off (4000, counted in its
// metrics), the bot notices once it reads again (the close cannot reach it through a full socket, so by silence),
// resumes with its token and loses no input; the other bots are unaffected.
func TestStalledBotIsCutOffAndResumes(t *testing.T) {
	url, srv := startServer(t, func(c *server.Config) {
		c.WriteBufferBytes = 4096 // small buffers and a short skip limit make the cut come within seconds
		c.MaxSkippedSnapshots = 10
	})
	r := runBots(t, Config{URL: url, N: 10, Ramp: 200 * time.Millisecond, Duration: 9 * time.Second,
		Behavior: "aggressive", InputRate: 30, Stall: 1, StallAfter: 500 * time.Millisecond, StallFor: 6 * time.Second, Seed: 3})
	if r.Stalled != 1 || r.Failed != 0 || r.InputsLost != 0 || r.WorldMismatches != 0 || r.DecodeErrors != 0 {
		t.Errorf("stalled %d failed %d (%v) lost %d (%v) mismatches %d decode errors %d", r.Stalled, r.Failed,
			r.FailuresByReason, r.InputsLost, r.LostByBot, r.WorldMismatches, r.DecodeErrors)
	}
	if r.BotsResumed != 1 || r.StalledDisconnects != 1 || r.Connected != 10 {
		t.Errorf("bots resumed %d, stalled bot's disconnects %d, connected %d: want the stalled bot cut and resumed",
			r.BotsResumed, r.StalledDisconnects, r.Connected)
	}
	rec := httptest.NewRecorder() // /metrics is on the admin listener, which this test server does not open
	srv.AdminHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	m := rec.Body.Bytes()
	if !strings.Contains(string(m), `tickwire_disconnects_total{code="4000"} 1`) {
		t.Errorf("the server did not cut a slow consumer:\n%s", m)
	}
}
