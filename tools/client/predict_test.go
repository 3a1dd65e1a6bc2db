package client_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"strings"
	"testing"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/tools/client"
	"github.com/tickwire/tickwire/tools/client/internal/gravitygame"
)

// startGameServer runs a real server with one game mode on a loopback port until the test ends and returns its
// host:port.
func startGameServer(t *testing.T, mode string, f game.Factory, opts server.GameOptions) string {
	t.Helper()
	cfg := server.DefaultConfig()
	cfg.Addr = "127.0.0.1:0"
	srv, err := server.New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.RegisterGame(mode, f, opts); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = srv.Serve(ctx, ln); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return ln.Addr().String()
}

// startLatencyProxy puts an in-process toxiproxy in front of upstream with a fixed latency each way.
func startLatencyProxy(t *testing.T, upstream string, oneWay time.Duration) string {
	t.Helper()
	api := toxiproxy.NewServer(toxiproxy.NewMetricsContainer(prometheus.NewRegistry()), zerolog.Nop())
	p := toxiproxy.NewProxy(api, "tickwire", "127.0.0.1:0", upstream)
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Stop)
	for _, stream := range []string{"upstream", "downstream"} {
		tx := fmt.Sprintf(`{"name":"lat_%s","type":"latency","stream":%q,"attributes":{"latency":%d}}`,
			stream, stream, oneWay.Milliseconds())
		if _, err := p.Toxics.AddToxicJson(strings.NewReader(tx)); err != nil {
			t.Fatalf("toxic %s: %v", tx, err)
		}
	}
	return p.Listen
}

// playFor sends one input per tick at the client's input clock for d, with values from next.
func playFor(t *testing.T, c *client.Client, d time.Duration, next func() []int32) {
	t.Helper()
	end := time.Now().Add(d)
	for time.Now().Before(end) {
		if at := c.NextInputAt(); at.IsZero() {
			time.Sleep(5 * time.Millisecond)
			continue
		} else {
			time.Sleep(time.Until(at))
		}
		if _, err := c.SendInput(next()); err != nil && !errors.Is(err, client.ErrInputEarly) &&
			!errors.Is(err, client.ErrInputBacklog) {
			t.Fatalf("SendInput: %v", err)
		}
	}
}

// A player of a game with gravity predicted through 100 ms of round trip for a minute, running and jumping at
// random: the predictor replays each tick's input (or the room's fill) and the game's Step from every snapshot, and
// the room, applying the same inputs at the same ticks, never contradicts it.
func TestPredictionWithGravityHasNoCorrections(t *testing.T) {
	if testing.Short() {
		t.Skip("plays for a minute")
	}
	t.Parallel()
	addr := startGameServer(t, gravitygame.Mode, gravitygame.Factory, server.GameOptions{MaxPlayers: 4})
	proxied := startLatencyProxy(t, addr, 50*time.Millisecond)

	pred := client.NewPredictor(gravitygame.Model{}, 0)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, client.Config{URL: "ws://" + proxied, Mode: gravitygame.Mode, Name: "jumper",
		Predictor: pred, PingInterval: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	rng := rand.New(rand.NewPCG(1, 2))
	var move, hold int32
	values := make([]int32, 2)
	jumps := 0
	playFor(t, c, 60*time.Second, func() []int32 {
		if hold--; hold <= 0 { // a new direction every few ticks to a second
			move, hold = int32(rng.IntN(3))-1, int32(3+rng.IntN(30))
		}
		values[0], values[1] = move, 0
		if rng.IntN(20) == 0 {
			values[1] = 1
			jumps++
		}
		return values
	})
	// Let the last inputs be applied and reported.
	for deadline := time.Now().Add(3 * time.Second); c.Pending() > 0 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	corrections, compared := pred.Corrections()
	lateCorr := pred.LateCorrections()
	st := c.Stats()
	rtt := st.RTT.Snapshot()
	lead := st.InputLead.Snapshot()
	t.Logf("compared %d snapshots, corrections %d (%d with an input reported late); inputs sent %d acked %d late %d, ticks with input %d missed %d; jumps %d",
		compared, corrections, lateCorr, st.InputsSent.Load(), st.InputsAcked.Load(), st.InputsLate.Load(),
		st.TicksWithInput.Load(), st.TicksMissed.Load(), jumps)
	t.Logf("rtt p50 %.1f ms; input lead ms p1 %.2f p50 %.2f p99 %.2f; clock re-syncs %d",
		rtt.Quantile(0.5), lead.Quantile(0.01), lead.Quantile(0.5), lead.Quantile(0.99), st.ClockResyncs.Load())
	if rtt.N == 0 || rtt.Quantile(0.5) < 95 {
		t.Errorf("rtt p50 %.1f ms: the proxy's 2 × 50 ms is not in effect", rtt.Quantile(0.5))
	}
	if compared < 1000 || corrections != 0 {
		t.Errorf("%d corrections in %d compared snapshots, want 0 in over 1000", corrections, compared)
	}
}
