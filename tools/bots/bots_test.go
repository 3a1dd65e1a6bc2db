package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/tickwire/tickwire/game/arena"
	"github.com/tickwire/tickwire/server"
)

// startServer runs a real Tickwire server with the arena on a loopback port until the test ends.
func startServer(t *testing.T, tune func(*server.Config)) (url string, srv *server.Server) {
	t.Helper()
	return startServerWith(t, tune, server.GameOptions{MaxPlayers: arena.DefaultMaxPlayers})
}

// startServerWith is startServer with the arena's room options.
func startServerWith(t *testing.T, tune func(*server.Config), opts server.GameOptions) (url string, srv *server.Server) {
	t.Helper()
	cfg := server.DefaultConfig()
	cfg.Addr = "127.0.0.1:0"
	cfg.ShutdownTimeout = 3 * time.Second
	if tune != nil {
		tune(&cfg)
	}
	srv, err := server.New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.RegisterGame(arena.Mode, arena.Factory, opts); err != nil {
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

func window(long, short time.Duration) time.Duration {
	if testing.Short() {
		return short
	}
	return long
}

func runBots(t *testing.T, cfg Config) *Report {
	t.Helper()
	if testing.Verbose() {
		cfg.Progress = testLog{t}
	}
	if cfg.Logger == nil { // why a bot failed to join, or anything else the run warns of
		cfg.Logger = slog.New(slog.NewTextHandler(testLog{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	r, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("report: %+v", *r)
	return r
}

type testLog struct{ t *testing.T }

func (l testLog) Write(p []byte) (int, error) { l.t.Log(string(p)); return len(p), nil }

// checkClean asserts what every healthy run must show. No bot failed: each one joined (a bot that never did counts
// as failed) and ended cleanly. How many were in play when the window ended depends on how fast a loaded machine lets
// them join: logged, not checked.
func checkClean(t *testing.T, r *Report, n int) {
	t.Helper()
	t.Logf("%d of %d bots in play at the end of the window", r.Connected, n)
	if r.Failed != 0 || r.Bots != n {
		t.Errorf("failed %d (%v) of %d bots", r.Failed, r.FailuresByReason, r.Bots)
	}
	// Every input sent was applied or reported late; none lost.
	if r.InputsLost != 0 || r.InputsSent == 0 || r.InputsAcked+r.InputsLate != r.InputsSent {
		t.Errorf("inputs sent %d acked %d late %d lost %d", r.InputsSent, r.InputsAcked, r.InputsLate, r.InputsLost)
	}
	if r.AppliedPerTick.Several != 0 || r.AppliedPerTick.One == 0 {
		t.Errorf("ticks by inputs applied: %+v", r.AppliedPerTick)
	}
	if r.WorldMismatches != 0 || r.HashChecks == 0 || r.DecodeErrors != 0 {
		t.Errorf("world mismatches %d of %d hash checks, decode errors %d", r.WorldMismatches, r.HashChecks, r.DecodeErrors)
	}
	if r.AckRegress != 0 || r.AckBeyondSent != 0 {
		t.Errorf("inconsistent acknowledgements: %d regressions, %d beyond sent", r.AckRegress, r.AckBeyondSent)
	}
	if !r.OK() {
		t.Errorf("report not OK")
	}
}

// serverCounter is the sum of a counter's series in the server's metrics registry.
func serverCounter(t *testing.T, srv *server.Server, name string) int64 {
	t.Helper()
	mfs, err := srv.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() == name {
			for _, m := range mf.GetMetric() {
				sum += m.GetCounter().GetValue()
			}
		}
	}
	return int64(sum)
}

// Fifty bots play the standard workload against a real server: nobody fails, no input is lost, every rebuilt world
// matches the server's hash, and the bots decoded snapshots the server wrote to them, never more. (How many per
// second is the load tool's figure, logged here: a loaded machine delivers fewer.)
func TestFiftyBots(t *testing.T) {
	url, srv := startServer(t, nil)
	r := runBots(t, Config{URL: url, N: 50, Ramp: time.Second, Duration: window(9*time.Second, 3*time.Second),
		Behavior: "wander", InputRate: 30, Ping: time.Second, Seed: 1})
	checkClean(t, r, 50)
	if r.Resumed != 0 || len(r.DisconnectsByCode) != 0 {
		t.Errorf("unexpected disconnects: %v", r.DisconnectsByCode)
	}
	written := serverCounter(t, srv, "tickwire_snapshots_out_total")
	t.Logf("snapshots: %d decoded of %d written; %.1f/s per bot, interval p50 %.1f ms", r.Snapshots, written,
		r.SnapshotsPerBotPerS, r.SnapshotIntervalMS.P50)
	if r.Snapshots == 0 || r.Snapshots > written {
		t.Errorf("bots decoded %d snapshots, the server wrote %d", r.Snapshots, written)
	}
	if r.AckLatencyMS.N == 0 || r.AckLatencyMS.P50 <= 0 || r.RTTMS.N == 0 {
		t.Errorf("latency not measured: ack %+v rtt %+v", r.AckLatencyMS, r.RTTMS)
	}
}

// The same with every bot's socket killed about every 2 s: every bot resumes and nothing is lost.
func TestFiftyBotsDropEvery2s(t *testing.T) {
	url, _ := startServer(t, nil)
	r := runBots(t, Config{URL: url, N: 50, Ramp: time.Second, Duration: window(9*time.Second, 4*time.Second),
		Behavior: "aggressive", InputRate: 30, DropEvery: 2 * time.Second, Seed: 2})
	checkClean(t, r, 50)
	// Every dropped connection was resumed: a bot whose resume failed would have failed. Which bots the chaos
	// schedule reached before the end depends on when they joined.
	t.Logf("%d of 50 bots resumed", r.BotsResumed)
	if r.BotsResumed == 0 || r.ResumeFailed != 0 {
		t.Errorf("%d of 50 bots resumed, %d resumes failed", r.BotsResumed, r.ResumeFailed)
	}
	// Every kill is one resume, except a kill so close to the end that its resume was cut short by the run's end.
	if d := r.DisconnectsByCode["1006"] - r.Resumed; d < 0 || d > 50 || len(r.DisconnectsByCode) != 1 {
		t.Errorf("disconnects %v, resumed %d: every kill should be one resume", r.DisconnectsByCode, r.Resumed)
	}
}

// Bots can also join through the server's matchmaking API (HTTPMatchmaker): rooms fill to 16, then a new one opens.
func TestBotsThroughMatchmaker(t *testing.T) {
	url, srv := startServer(t, nil)
	r := runBots(t, Config{URL: "", Matchmaker: "http://" + strings.TrimPrefix(url, "ws://"), N: 20,
		Ramp: 500 * time.Millisecond, Duration: 2 * time.Second, Behavior: "wander", InputRate: 30, Seed: 4})
	checkClean(t, r, 20)
	if rooms := srv.Rooms("arena", true); len(rooms) < 2 {
		t.Errorf("20 players in %d rooms of 16", len(rooms))
	}
}

// A match that ends (time limit) is a normal end: every bot gets the MatchResult and 4509, none counts as failed,
// and inputs still in flight at the end are counted apart, not as lost.
func TestMatchEndIsNotAFailure(t *testing.T) {
	url, _ := startServerWith(t, nil, server.GameOptions{MaxPlayers: arena.DefaultMaxPlayers,
		Settings: map[string]string{"time_limit_s": "2"}})
	r := runBots(t, Config{URL: url, N: 16, Ramp: 200 * time.Millisecond, Duration: 4 * time.Second,
		Behavior: "wander", InputRate: 30, Seed: 3})
	if r.Failed != 0 || r.InputsLost != 0 || !r.OK() {
		t.Errorf("failed %d (%v), inputs lost %d", r.Failed, r.FailuresByReason, r.InputsLost)
	}
	if r.MatchesEnded != 16 || r.DisconnectsByCode["4509"] != 16 {
		t.Errorf("matches ended %d, disconnects %v; want 16 ended with 4509", r.MatchesEnded, r.DisconnectsByCode)
	}
	if r.InputsAcked == 0 || r.InputsAcked+r.InputsLate+r.InputsAfterEnd != r.InputsSent {
		t.Errorf("inputs sent %d = acked %d + late %d + after the end %d?", r.InputsSent, r.InputsAcked, r.InputsLate, r.InputsAfterEnd)
	}
}
