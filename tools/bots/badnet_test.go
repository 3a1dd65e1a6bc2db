package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
)

// startBadNetwork puts an in-process toxiproxy in front of upstream (host:port) and returns the proxy's address.
// Each direction gets latency ± jitter (ms); the downstream is also sliced into small, variable TCP writes, so
// WebSocket frames reach the client in pieces.
func startBadNetwork(t *testing.T, upstream string, latency, jitter int) string {
	t.Helper()
	api := toxiproxy.NewServer(toxiproxy.NewMetricsContainer(prometheus.NewRegistry()), zerolog.Nop())
	p := toxiproxy.NewProxy(api, "tickwire", "127.0.0.1:0", upstream)
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Stop)
	toxics := []string{
		fmt.Sprintf(`{"name":"lat_up","type":"latency","stream":"upstream","attributes":{"latency":%d,"jitter":%d}}`, latency, jitter),
		fmt.Sprintf(`{"name":"lat_down","type":"latency","stream":"downstream","attributes":{"latency":%d,"jitter":%d}}`, latency, jitter),
		`{"name":"slice_down","type":"slicer","stream":"downstream","attributes":{"average_size":96,"size_variation":64,"delay":50}}`,
	}
	for _, tx := range toxics {
		if _, err := p.Toxics.AddToxicJson(strings.NewReader(tx)); err != nil {
			t.Fatalf("toxic %s: %v", tx, err)
		}
	}
	return p.Listen
}

// Thirty bots play the standard workload through a bad network (about 100 ms RTT with jitter, downstream sliced into
// small TCP segments) while every bot's socket is killed about every 2 s: every bot resumes through the proxy, no
// input is lost or applied twice, every rebuilt world matches the server's hash, and the latencies show the network.
func TestBadNetworkDropEvery2s(t *testing.T) {
	if testing.Short() {
		t.Skip("bad network run takes about 10 s")
	}
	const n, oneWay, jitter = 30, 50, 15
	url, _ := startServer(t, nil)
	proxied := "ws://" + startBadNetwork(t, strings.TrimPrefix(url, "ws://"), oneWay, jitter)

	r := runBots(t, Config{URL: proxied, N: n, Ramp: time.Second, Duration: 7 * time.Second,
		Behavior: "wander", InputRate: 30, DropEvery: 2 * time.Second, Ping: 500 * time.Millisecond, Seed: 5})
	t.Logf("bots %d connected %d failed %d; resumed %d (bots %d), resume failed %d; disconnects %v",
		r.Bots, r.Connected, r.Failed, r.Resumed, r.BotsResumed, r.ResumeFailed, r.DisconnectsByCode)
	t.Logf("inputs sent %d acked %d (blind %d) late %d lost %d resent %d; ack regressions %d, beyond sent %d",
		r.InputsSent, r.InputsAcked, r.InputsAckedBlind, r.InputsLate, r.InputsLost, r.InputsResent, r.AckRegress, r.AckBeyondSent)
	t.Logf("ticks by inputs applied %+v; input lead ms p1 %.1f p50 %.1f p99 %.1f (%d); clock re-syncs %d",
		r.AppliedPerTick, r.InputLeadMS.P1, r.InputLeadMS.P50, r.InputLeadMS.P99, r.InputLeadMS.N, r.ClockResyncs)
	t.Logf("rtt ms p50 %.1f p99 %.1f (%d); ack latency ms p50 %.1f p95 %.1f p99 %.1f (%d); snapshot interval ms p50 %.1f p99 %.1f",
		r.RTTMS.P50, r.RTTMS.P99, r.RTTMS.N, r.AckLatencyMS.P50, r.AckLatencyMS.P95, r.AckLatencyMS.P99, r.AckLatencyMS.N,
		r.SnapshotIntervalMS.P50, r.SnapshotIntervalMS.P99)
	t.Logf("snapshots %d (%.1f/s per bot), decode errors %d, hash checks %d, world mismatches %d",
		r.Snapshots, r.SnapshotsPerBotPerS, r.DecodeErrors, r.HashChecks, r.WorldMismatches)

	checkClean(t, r, n)
	// Every dropped connection was resumed (a bot whose resume failed would have failed); which bots the chaos
	// schedule reached before the end depends on when they joined.
	if r.BotsResumed == 0 || r.ResumeFailed != 0 {
		t.Errorf("%d of %d bots resumed, %d resumes failed", r.BotsResumed, n, r.ResumeFailed)
	}
	// Every kill is one resume, except a kill so close to the end that its resume was cut short by the run's end.
	if d := r.DisconnectsByCode["1006"] - r.Resumed; d < 0 || d > n || len(r.DisconnectsByCode) != 1 {
		t.Errorf("disconnects %v, resumed %d: every kill should be one resume", r.DisconnectsByCode, r.Resumed)
	}
	// The toxics are in effect: a ping crosses the latency toxic both ways (2·50 ms, jitter averaging out).
	rtt := r.RTTMS.P50
	if r.RTTMS.N == 0 || rtt < 90 {
		t.Errorf("rtt p50 %.1f ms over %d pings: want at least 90 ms through the proxy", rtt, r.RTTMS.N)
	}
	// An input crosses the latency toxic up, its acknowledgement down: at least 2·(latency − jitter) each time,
	// however fast or slow the machines run.
	if lat, least := r.AckLatencyMS.P50, float64(2*(oneWay-jitter)); r.AckLatencyMS.N == 0 || lat < least {
		t.Errorf("ack latency p50 %.1f ms over %d inputs: want at least %.0f ms through the proxy", lat, r.AckLatencyMS.N, least)
	}
}
