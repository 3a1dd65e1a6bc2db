package client_test

import (
	"context"
	"math/rand/v2"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/tickwire/tickwire/game/arena"
	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/tools/client"
)

// jitterConn delays every write by a uniform random 0..max, keeping the order (a write never overtakes the previous
// one): a client whose sends are jittered, as by a busy machine or a bursty uplink.
type jitterConn struct {
	net.Conn
	max time.Duration

	mu     sync.Mutex
	rng    *rand.Rand
	last   time.Time // release time of the previous write
	q      chan jitterWrite
	closed bool
}

type jitterWrite struct {
	b  []byte
	at time.Time
}

func newJitterConn(c net.Conn, max time.Duration, seed uint64) *jitterConn {
	j := &jitterConn{Conn: c, max: max, rng: rand.New(rand.NewPCG(seed, seed)), q: make(chan jitterWrite, 4096)}
	go func() {
		for w := range j.q {
			time.Sleep(time.Until(w.at))
			if _, err := j.Conn.Write(w.b); err != nil {
				_ = j.Conn.Close()
			}
		}
	}()
	return j
}

func (j *jitterConn) Write(p []byte) (int, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return 0, net.ErrClosed
	}
	at := time.Now().Add(time.Duration(j.rng.Int64N(int64(j.max) + 1)))
	if at.Before(j.last) {
		at = j.last
	}
	j.last = at
	select {
	case j.q <- jitterWrite{append([]byte(nil), p...), at}:
	default:
		return 0, net.ErrClosed // cannot happen with one input per tick; refuse rather than block
	}
	return len(p), nil
}

func (j *jitterConn) Close() error {
	j.mu.Lock()
	if !j.closed {
		j.closed = true
		close(j.q)
	}
	j.mu.Unlock()
	return j.Conn.Close()
}

// With every send delayed by a uniform 0-20 ms (order kept), the input clock measures the jitter from the leads the
// room reports and aims that much earlier: once converged, the room applies exactly one real input of the client in
// at least 99% of the ticks (counted from consecutive snapshots: the inputs acknowledged between two snapshots one
// tick apart), none is lost, and no tick ever gets two.
func TestInputClockUnderSendJitter(t *testing.T) {
	t.Parallel()
	addr := startGameServer(t, arena.Mode, arena.Factory, server.GameOptions{MaxPlayers: 2})
	var d net.Dialer
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, client.Config{URL: "ws://" + addr, Name: "jittery", PingInterval: time.Second,
		NetDial: func(ctx context.Context, network, address string) (net.Conn, error) {
			nc, err := d.DialContext(ctx, network, address)
			if err != nil {
				return nil, err
			}
			return newJitterConn(nc, 20*time.Millisecond, 7), nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	rng := rand.New(rand.NewPCG(3, 4))
	values := make([]int32, 4)
	next := func() []int32 {
		values[arena.InputDX], values[arena.InputDY] = int32(rng.IntN(3))-1, int32(rng.IntN(3))-1
		values[arena.InputAim] = int32(rng.IntN(65536))
		return values
	}
	playFor(t, c, 5*time.Second, next) // converge
	st := c.Stats()
	one0, none0, multi0, late0 := st.TicksWithInput.Load(), st.TicksMissed.Load(), st.TicksMulti.Load(), st.InputsLate.Load()
	lead0 := st.InputLead.Snapshot()
	playFor(t, c, 20*time.Second, next)
	one, none, multi := st.TicksWithInput.Load()-one0, st.TicksMissed.Load()-none0, st.TicksMulti.Load()-multi0
	late := st.InputsLate.Load() - late0
	lead := st.InputLead.Snapshot()
	lead.Neg, lead.Pos = lead.Neg.Sub(&lead0.Neg), lead.Pos.Sub(&lead0.Pos)
	_, target, _ := c.InputClockState()
	t.Logf("ticks with one input %d, none %d, several %d (%.2f%% one); late inputs %d; target lead %v; reported lead ms p1 %.2f p50 %.2f p99 %.2f; re-syncs %d",
		one, none, multi, 100*float64(one)/float64(max(one+none+multi, 1)), late, target,
		lead.Quantile(0.01), lead.Quantile(0.5), lead.Quantile(0.99), st.ClockResyncs.Load())
	if one+none < 20*25 { // 30 ticks per second for 20 s, less what a loaded machine skips
		t.Fatalf("only %d ticks measured", one+none)
	}
	if multi != 0 || float64(one) < 0.99*float64(one+none) {
		t.Errorf("%d of %d ticks had exactly one input (%d none, %d several): want at least 99%%", one, one+none+multi, none, multi)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if st.InputsLost.Load() != 0 || st.InputsAcked.Load()+st.InputsLate.Load() != st.InputsSent.Load() {
		t.Errorf("inputs sent %d acked %d late %d lost %d", st.InputsSent.Load(), st.InputsAcked.Load(),
			st.InputsLate.Load(), st.InputsLost.Load())
	}
}
