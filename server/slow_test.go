package server_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	pb "github.com/tickwire/tickwire/proto"
)

// metricsText fetches /metrics.
func metricsText(t testing.TB, addr string) string {
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// TestSlowConsumerIsCutOff: a client that never reads is disconnected with 4000 once its snapshots keep being
// replaced unsent, while another player's snapshots keep arriving on time.
func TestSlowConsumerIsCutOff(t *testing.T) {
	cfg := testConfig()
	cfg.WriteBufferBytes = 4096
	cfg.MaxSkippedSnapshots = 10
	ts := startServer(t, cfg)
	observer := dial(t, ts.addr, nil)
	observer.handshake("observer")

	slow := rawDial(t, ts.addr, 2048)
	slow.writeMsg(hello())
	slow.writeMsg(joinMode("arena", "sleeper"))

	deadline := time.Now().Add(20 * time.Second)
	lastSnap := time.Now()
	var maxGap time.Duration
	seq := uint32(0)
	nextSend, nextScrape := time.Now(), time.Now()
	for {
		now := time.Now()
		if now.After(deadline) {
			var lines []string
			for _, l := range strings.Split(metricsText(t, ts.addr), "\n") {
				if strings.HasPrefix(l, "tickwire_disconnects") || strings.HasPrefix(l, "tickwire_outbound_drops") ||
					strings.HasPrefix(l, "tickwire_connections") {
					lines = append(lines, l)
				}
			}
			t.Fatalf("the non-reading client was not cut off within 20s:\n%s", strings.Join(lines, "\n"))
		}
		if now.After(nextSend) {
			// Keep the sleeper alive and its world changing (moving, firing), the observer heartbeating; never read.
			seq++
			dx := int32(1 - 2*int32(seq/20%2))
			_ = slow.SetWriteDeadline(now.Add(100 * time.Millisecond))
			slow.writeFrame(fin|opBinary, mustMarshal(t, &pb.ClientFrame{Msg: &pb.ClientFrame_Input{Input: &pb.Input{
				Seq: seq, Tick: observer.roomTick() + inputLead, Values: []int32{dx, 1 - 2*int32(seq/7%2), int32(seq * 997 % 65536), int32(seq % 2)}}}}))
			if seq%10 == 0 {
				observer.send(pingFrame(uint64(seq)))
			}
			nextSend = now.Add(40 * time.Millisecond)
		}
		if now.After(nextScrape) {
			if strings.Contains(metricsText(t, ts.addr), `tickwire_disconnects_total{code="4000"} 1`) {
				break
			}
			nextScrape = now.Add(250 * time.Millisecond)
		}
		if f := observer.recv(10 * time.Millisecond); f != nil && isSnapshot(f) {
			if gap := time.Since(lastSnap); gap > maxGap {
				maxGap = gap
			}
			lastSnap = time.Now()
		}
	}
	t.Logf("cut off after %d inputs; observer's longest snapshot gap %v", seq, maxGap)
	if maxGap > 400*time.Millisecond { // about 12 ticks: generous for a loaded 2-core machine and the race detector
		t.Errorf("observer's snapshots stalled for %v while the slow client was stuck", maxGap)
	}
	m := metricsText(t, ts.addr)
	for _, want := range []string{`tickwire_outbound_drops_total{reason="skip_limit"} 1`, `tickwire_outbound_drops_total{reason="replaced"}`} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	// The observer is still in the game.
	observer.waitFor("snapshot after the cut", time.Second, isSnapshot)
}
