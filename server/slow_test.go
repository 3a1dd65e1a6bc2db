package server_test

import (
	"io"
	"net/http"
	"strconv"
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

// metricValue returns the value of the sample named exactly name (with its labels) in a /metrics text, or -1.
func metricValue(m, name string) float64 {
	for _, l := range strings.Split(m, "\n") {
		if v, ok := strings.CutPrefix(l, name+" "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err == nil {
				return f
			}
		}
	}
	return -1
}

// TestSlowConsumerIsCutOff: a client that never reads is disconnected with 4000 once its snapshots keep being
// replaced unsent, and the room is never held up by it: it goes on ticking and sending the other player its
// snapshots while the slow client's write is stuck.
//
// Nothing here is timed: on a loaded machine the test's own goroutine may not run for a second (a /metrics request
// alone was seen to take that long, with dozens of snapshots waiting, all received), so the gaps it sees between
// snapshots say nothing about the room. What the room guarantees is causal: the slow client's write is stuck for
// good (the write timeout is longer than the test), so the only way it can be cut off is the skip limit, which takes
// MaxSkippedSnapshots+1 snapshots offered to it while it is stuck: a room blocked on that write would never offer
// them. Meanwhile the observer's stream stays whole (every snapshot decodes against the one before, ticks increase),
// it hears of the slow player's disconnection, and it keeps receiving snapshots of later ticks.
func TestSlowConsumerIsCutOff(t *testing.T) {
	cfg := testConfig()
	cfg.WriteBufferBytes = 4096
	cfg.MaxSkippedSnapshots = 10
	cfg.WriteTimeout = time.Minute // longer than the test: the stuck write never times out by itself
	// The observer's heartbeat is not under test: on a loaded machine this goroutine, which sends its pings, was seen
	// not to run for 5.4 s and 7.5 s (the room dropped 2-3 s of ticks as overruns meanwhile), and the 5 s heartbeat of
	// testConfig then closes the observer for the test's own silence.
	cfg.HeartbeatTimeout = time.Minute
	ts := startServer(t, cfg)
	observer := dial(t, ts.addr, nil)
	observer.t = t
	observer.handshake("observer")

	slow := rawDial(t, ts.addr, 2048)
	slow.writeMsg(hello())
	slow.writeMsg(joinMode("arena", "sleeper"))

	var (
		sleeper             uint32 // the slow client's player id, from the observer's player_joined event
		discTick            uint32 // the tick of the observer's player_disconnected event for it
		lastTick, snapshots uint32
		missed              uint32 // snapshot ticks the observer did not receive (latest wins: not an error)
		maxGap              time.Duration
	)
	onFrame := func(f *pb.ServerFrame) {
		if s := f.GetSnapshot(); s != nil {
			if s.Tick <= lastTick {
				t.Fatalf("observer: snapshot %d after %d", s.Tick, lastTick)
			}
			if lastTick != 0 {
				missed += s.Tick - lastTick - 1
			}
			lastTick = s.Tick
			snapshots++
		}
		if ev := f.GetEvent(); ev != nil {
			switch {
			case ev.Type == "player_joined" && ev.Text == "sleeper":
				sleeper = ev.PlayerId
			case ev.Type == "player_disconnected" && ev.PlayerId == sleeper && sleeper != 0:
				discTick = ev.Tick
			}
		}
	}

	deadline := time.Now().Add(20 * time.Second)
	lastSnap := time.Now()
	seq, sends := uint32(0), 0
	lastPing := time.Now()
	cut := false
	nextSend, nextScrape := time.Now(), time.Now()
	for !cut || discTick == 0 || lastTick <= discTick {
		now := time.Now()
		if now.After(deadline) {
			var lines []string
			for _, l := range strings.Split(metricsText(t, ts.admin), "\n") {
				if strings.HasPrefix(l, "tickwire_disconnects") || strings.HasPrefix(l, "tickwire_outbound_drops") ||
					strings.HasPrefix(l, "tickwire_connections") {
					lines = append(lines, l)
				}
			}
			t.Fatalf("within 20s: cut off %v, observer's last snapshot %d, disconnection event at tick %d (sleeper %d):\n%s",
				cut, lastTick, discTick, sleeper, strings.Join(lines, "\n"))
		}
		if now.After(nextSend) {
			// Keep the sleeper alive and its world changing (moving, firing), the observer heartbeating; never read.
			sends++
			if !cut {
				seq++
				dx := int32(1 - 2*int32(seq/20%2))
				_ = slow.SetWriteDeadline(now.Add(100 * time.Millisecond))
				slow.writeFrame(fin|opBinary, mustMarshal(t, &pb.ClientFrame{Msg: &pb.ClientFrame_Input{Input: &pb.Input{
					Seq: seq, Tick: observer.roomTick() + inputLead, Values: []int32{dx, 1 - 2*int32(seq/7%2), int32(seq * 997 % 65536), int32(seq % 2)}}}}))
			}
			if sends%10 == 0 {
				observer.send(pingFrame(uint64(sends)))
				lastPing = time.Now()
			}
			nextSend = now.Add(40 * time.Millisecond)
		}
		if !cut && now.After(nextScrape) {
			cut = metricValue(metricsText(t, ts.admin), `tickwire_disconnects_total{code="4000"}`) == 1
			nextScrape = now.Add(250 * time.Millisecond)
		}
		f := observer.recv(10 * time.Millisecond)
		if f == nil {
			if observer.code(0) != 0 || observer.disconnect != nil {
				t.Fatalf("the observer was closed (code %d, disconnect %v) at tick %d, %v after its last ping",
					observer.code(0), observer.disconnect, lastTick, time.Since(lastPing))
			}
			continue
		}
		if isSnapshot(f) {
			maxGap = max(maxGap, time.Since(lastSnap))
			lastSnap = time.Now()
		}
		onFrame(f)
	}
	m := metricsText(t, ts.admin)
	t.Logf("cut off after %d inputs; the observer got %d snapshots up to tick %d (the disconnection at tick %d), "+
		"%d ticks' snapshots replaced before it took them; longest wait between two as this goroutine saw them %v "+
		"(not asserted: scheduling); room overruns %v",
		seq, snapshots, lastTick, discTick, missed, maxGap, metricValue(m, "tickwire_tick_overruns_total"))
	for _, want := range []struct {
		name string
		min  float64
	}{
		{`tickwire_disconnects_total{code="4000"}`, 1},
		{`tickwire_outbound_drops_total{reason="skip_limit"}`, 1},
		{`tickwire_outbound_drops_total{reason="replaced"}`, float64(cfg.MaxSkippedSnapshots + 1)},
	} {
		if got := metricValue(m, want.name); got < want.min {
			t.Errorf("%s = %v, want at least %v", want.name, got, want.min)
		}
	}
	if got := metricValue(m, `tickwire_outbound_drops_total{reason="skip_limit"}`); got != 1 {
		t.Errorf("skip_limit drops %v, want 1 (the slow client only)", got)
	}
	if code := observer.code(0); code != 0 {
		t.Errorf("the observer was closed with %d", code)
	}
}
