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

// startGameServer runs a real server (default configuration) with one game mode on a loopback port until the test
// ends and returns its host:port and the server (for its metrics).
func startGameServer(t *testing.T, mode string, f game.Factory, opts server.GameOptions) (string, *server.Server) {
	t.Helper()
	return startGameServerWith(t, server.DefaultConfig(), mode, f, opts)
}

// startGameServerWith is startGameServer with the given configuration (its Addr is replaced by a loopback port).
func startGameServerWith(t *testing.T, cfg server.Config, mode string, f game.Factory, opts server.GameOptions) (string, *server.Server) {
	t.Helper()
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
	return ln.Addr().String(), srv
}

// serverCounter reads a counter from the server's metrics registry: the metric called name, of the series whose
// labels include every label=value pair given (none: the sum over all series).
func serverCounter(t *testing.T, srv *server.Server, name string, labels ...string) int64 {
	t.Helper()
	mfs, err := srv.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	series:
		for _, m := range mf.GetMetric() {
			for i := 0; i+1 < len(labels); i += 2 {
				found := false
				for _, lp := range m.GetLabel() {
					found = found || (lp.GetName() == labels[i] && lp.GetValue() == labels[i+1])
				}
				if !found {
					continue series
				}
			}
			sum += m.GetCounter().GetValue()
		}
	}
	return int64(sum)
}

// roomInputCounts is what the server counted of its players' inputs (every room, so one player's when it plays
// alone): applied, filled (missed), and dropped: late (for a tick already run), early (more than the input window
// ahead), duplicate.
type roomInputCounts struct{ applied, missed, late, early, dup int64 }

// notApplied is how many inputs reached the room and were dropped: a client learns of each one only as an input a
// snapshot of its tick did not acknowledge (it counts them all as late).
func (r roomInputCounts) notApplied() int64 { return r.late + r.early + r.dup }

// roomInputsSettled returns the counts once the room has accounted for sent inputs (applied or dropped late): a
// client learns that an input is late from a snapshot of its tick, possibly before the input reached the room. It
// waits at most 10 s, then returns the counts as they are.
func roomInputsSettled(t *testing.T, srv *server.Server, sent int64) roomInputCounts {
	t.Helper()
	var r roomInputCounts
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		r = roomInputCounts{
			applied: serverCounter(t, srv, "tickwire_inputs_applied_total"),
			missed:  serverCounter(t, srv, "tickwire_inputs_missed_total"),
			late:    serverCounter(t, srv, "tickwire_inputs_dropped_total", "reason", "late"),
			early:   serverCounter(t, srv, "tickwire_inputs_dropped_total", "reason", "early"),
			dup:     serverCounter(t, srv, "tickwire_inputs_dropped_total", "reason", "duplicate"),
		}
		if r.applied+r.notApplied() >= sent || time.Now().After(deadline) {
			return r
		}
	}
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
// random. Prediction replays by tick: from each snapshot, each later tick's input (or the room's fill) and the
// game's Step, so per-tick dynamics such as gravity predict exactly, and the room, applying the same inputs at the
// same ticks, never contradicts it. The only correction allowed is one the room's own accounting explains: at a
// snapshot that reported one of the client's inputs late (dropped: the room applied its fill at that tick, which the
// prediction could not know when it was made). A late input is reported by the first snapshot of its tick or later,
// so it lies in the ticks that snapshot's prediction replayed; each snapshot is compared once, so each excused
// correction has a late input of its own. The client's knowledge of late inputs (which it hands to the predictor,
// one by one) must equal the room's count of inputs it dropped late, so no correction can be excused by a late
// input the room did not report. On an idle machine no input is late and there is no correction at all.
func TestPredictionWithGravityHasNoCorrections(t *testing.T) {
	if testing.Short() {
		t.Skip("plays for a minute")
	}
	t.Parallel()
	addr, srv := startGameServer(t, gravitygame.Mode, gravitygame.Factory, server.GameOptions{MaxPlayers: 4})
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
	// Let the last inputs be applied or reported late, then leave: the room has read every input sent before the
	// Leave (one connection, in order), so its counts are final once it has processed the Leave.
	for deadline := time.Now().Add(10 * time.Second); c.Pending() > 0 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	corrections, compared := pred.Corrections()
	lateCorr := pred.LateCorrections()
	st := c.Stats()
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	room := roomInputsSettled(t, srv, st.InputsSent.Load())
	rtt := st.RTT.Snapshot()
	lead := st.InputLead.Snapshot()
	t.Logf("compared %d snapshots: corrections %d, of which %d at a snapshot that reported an input late; jumps %d",
		compared, corrections, lateCorr, jumps)
	t.Logf("client: inputs sent %d acked %d late %d lost %d, ticks skipped %d, ticks with input %d missed %d, resumes %d; room: applied %d missed %d, dropped late %d early %d duplicate %d",
		st.InputsSent.Load(), st.InputsAcked.Load(), st.InputsLate.Load(), st.InputsLost.Load(), st.TicksSkipped.Load(),
		st.TicksWithInput.Load(), st.TicksMissed.Load(), st.Resumed.Load(), room.applied, room.missed, room.late, room.early, room.dup)
	t.Logf("rtt p50 %.1f ms; input lead ms p1 %.2f p50 %.2f p99 %.2f; clock re-syncs %d",
		rtt.Quantile(0.5), lead.Quantile(0.01), lead.Quantile(0.5), lead.Quantile(0.99), st.ClockResyncs.Load())
	if rtt.N == 0 || rtt.Quantile(0.5) < 95 {
		t.Errorf("rtt p50 %.1f ms: the proxy's 2 × 50 ms is not in effect", rtt.Quantile(0.5))
	}
	if compared < 1000 {
		t.Errorf("compared %d snapshots, want over 1000 in a minute at 30 ticks per second", compared)
	}
	// The predictor's knowledge of inputs not applied is the room's: every input was applied or dropped, and the
	// client knows of exactly the ones the room dropped (the client hands each one to the predictor).
	if st.InputsLost.Load() != 0 || st.InputsAcked.Load()+st.InputsLate.Load() != st.InputsSent.Load() ||
		room.applied != st.InputsAcked.Load() || room.notApplied() != st.InputsLate.Load() {
		t.Errorf("client: sent %d acked %d late %d lost %d; room: applied %d, dropped %d (late %d early %d duplicate %d)",
			st.InputsSent.Load(), st.InputsAcked.Load(), st.InputsLate.Load(), st.InputsLost.Load(), room.applied,
			room.notApplied(), room.late, room.early, room.dup)
	}
	// A correction without a dropped input in its replay is a misprediction; each excused one needs its own.
	if corrections != lateCorr || lateCorr > room.notApplied() {
		t.Errorf("%d corrections in %d compared snapshots: %d not explained by an input the room dropped (%d corrections at snapshots reporting one, %d inputs dropped)",
			corrections, compared, corrections-lateCorr, lateCorr, room.notApplied())
	}
}
