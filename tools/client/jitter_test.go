package client_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/game/arena"
	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/tools/client"
)

// jitterConn delays every write by a uniform random 0..max, keeping the order (a write never overtakes the previous
// one): a client whose sends are jittered, as by a busy machine or a bursty uplink. The delay counts from the
// moment the sender meant to write (schedule), so that the network it models does not depend on how punctually this
// process runs; each input write records when it was meant to leave and when it did.
type jitterConn struct {
	net.Conn
	max time.Duration

	mu      sync.Mutex
	rng     *rand.Rand
	last    time.Time   // release time of the previous write
	base    time.Time   // when the next write was meant to happen (zero: when it happens)
	pending *jitterSend // the record of the next write (an input), set by schedule
	q       chan jitterWrite
	closed  bool
}

// jitterSend is one input's way out: when the model releases it onto the network (its scheduled send time plus the
// jitter drawn, after the previous write) and when the writer goroutine actually wrote it. Guarded by jitterConn.mu.
type jitterSend struct {
	tick     uint32 // set by the sender once SendInputTick returned
	release  time.Time
	wrote    time.Time
	released bool
}

type jitterWrite struct {
	b   []byte
	at  time.Time
	rec *jitterSend
}

func newJitterConn(c net.Conn, max time.Duration, seed uint64) *jitterConn {
	j := &jitterConn{Conn: c, max: max, rng: rand.New(rand.NewPCG(seed, seed)), q: make(chan jitterWrite, 4096)}
	go func() {
		for w := range j.q {
			time.Sleep(time.Until(w.at))
			if w.rec != nil {
				now := time.Now()
				j.mu.Lock()
				w.rec.wrote, w.rec.released = now, true
				j.mu.Unlock()
			}
			if _, err := j.Conn.Write(w.b); err != nil {
				_ = j.Conn.Close()
			}
		}
	}()
	return j
}

// schedule says that the next write is an input meant to be written at at, and returns its record.
func (j *jitterConn) schedule(at time.Time) *jitterSend {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.base, j.pending = at, &jitterSend{}
	return j.pending
}

func (j *jitterConn) Write(p []byte) (int, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return 0, net.ErrClosed
	}
	base := j.base
	if base.IsZero() {
		base = time.Now()
	}
	at := base.Add(time.Duration(j.rng.Int64N(int64(j.max) + 1)))
	if at.Before(j.last) {
		at = j.last
	}
	j.last = at
	rec := j.pending
	j.base, j.pending = time.Time{}, nil
	if rec != nil {
		rec.release = at
	}
	select {
	case j.q <- jitterWrite{append([]byte(nil), p...), at, rec}:
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

// applyLog records, on the room's goroutine, every input a Sim is handed: per tick, how many, and whether the last
// was the fill (Missed).
type applyLog struct {
	mu    sync.Mutex
	ticks map[uint32]applied
}

type applied struct {
	calls  int
	missed bool
	tick   game.Tick // the input's own tick
}

// recordingSim is a game's Sim that logs the inputs the room applies.
type recordingSim struct {
	game.Sim
	log *applyLog
}

func (s *recordingSim) ApplyInput(t game.Tick, p game.PlayerID, in *game.Input) {
	s.log.mu.Lock()
	a := s.log.ticks[uint32(t)]
	a.calls++
	a.missed, a.tick = in.Missed, in.Tick
	s.log.ticks[uint32(t)] = a
	s.log.mu.Unlock()
	s.Sim.ApplyInput(t, p, in)
}

// punctual is how late this process may run a step of the send path (the sender's wake-up, the modelled network's
// release) and still count as on time: a goroutine wakes within a small fraction of a millisecond on an idle machine,
// and a millisecond is well inside the safety margin the input clock keeps beyond the jitter.
const punctual = time.Millisecond

// resyncCause is how far back a re-sync of the input clock looks: it acts on a few consecutive lead reports (each
// the least lead of about 100 ms of inputs) once they are back at the client.
const resyncCause = 500 * time.Millisecond

// With every send delayed by a uniform 0-20 ms after the input clock scheduled it (order kept), the input clock
// measures the jitter from the leads the room reports and aims that much earlier. Once converged, the room's own
// record of the inputs it applied shows, for every tick, exactly one input of the client (never two, never none
// without the fill), and the client's real input at least 99% of the ticks this process sent on time. A tick counts
// as missed by the system when the input for it was released onto the modelled network on time and still not
// applied, or when no input was addressed to it although the sender called on schedule (the clock skipped it). The
// ticks this process itself failed (its sender woke more than punctual after the clock's schedule and too late for
// the tick, the input left later than the jitter drawn, or the clock re-synced forward over it in answer to the
// lateness of this process) are counted apart and logged: they measure the machine, not the client; on an idle
// machine they are rare. Every input is applied or reported late, as the room counted.
func TestInputClockUnderSendJitter(t *testing.T) {
	t.Parallel()
	log := &applyLog{ticks: map[uint32]applied{}}
	recording := func(cfg game.Config) (game.Sim, error) {
		s, err := arena.Factory(cfg)
		if err != nil {
			return nil, err
		}
		return &recordingSim{Sim: s, log: log}, nil
	}
	addr, srv := startGameServer(t, arena.Mode, recording, server.GameOptions{MaxPlayers: 1})
	var d net.Dialer
	var jc *jitterConn
	var jmu sync.Mutex
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, client.Config{URL: "ws://" + addr, Name: "jittery", PingInterval: time.Second,
		NetDial: func(ctx context.Context, network, address string) (net.Conn, error) {
			nc, err := d.DialContext(ctx, network, address)
			if err != nil {
				return nil, err
			}
			jmu.Lock()
			defer jmu.Unlock()
			jc = newJitterConn(nc, 20*time.Millisecond, 7)
			return jc, nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	rng := rand.New(rand.NewPCG(3, 4))
	values := make([]int32, 4)

	// The sends of the measured window: the record of each tick's input; for each tick skipped, how late the call
	// that skipped it came after the clock's schedule, and whether the clock had re-synced since the previous call
	// (a jump forward skips ticks, however punctual the sender); when this process was late (its sender woke late).
	sends := map[uint32]*jitterSend{}
	type skip struct {
		late   time.Duration
		resync bool
		at     time.Time
	}
	skipped := map[uint32]skip{}
	var senderLate []time.Time
	var first, last uint32
	st := c.Stats()
	play := func(d time.Duration, measure bool) {
		resyncs := st.ClockResyncs.Load()
		for end := time.Now().Add(d); time.Now().Before(end); {
			at := c.NextInputAt()
			if at.IsZero() {
				time.Sleep(5 * time.Millisecond)
				continue
			}
			base := at // when the input is meant to leave: its schedule, or now when that has passed
			if now := time.Now(); at.Before(now) {
				base = now
			}
			time.Sleep(time.Until(base))
			values[arena.InputDX], values[arena.InputDY] = int32(rng.IntN(3))-1, int32(rng.IntN(3))-1
			values[arena.InputAim] = int32(rng.IntN(65536))
			jmu.Lock()
			j := jc
			jmu.Unlock()
			rec := j.schedule(base)
			_, tick, err := c.SendInputTick(values)
			now := time.Now()
			r := st.ClockResyncs.Load()
			resynced := r != resyncs
			resyncs = r
			// How late the sender called (at most: the clock took the tick during the call): after its schedule,
			// unless the clock re-synced forward, which makes the schedule pass at once.
			calledLate := now.Sub(at)
			if resynced {
				calledLate = now.Sub(base)
			}
			if err != nil {
				if !errors.Is(err, client.ErrInputEarly) && !errors.Is(err, client.ErrInputBacklog) {
					t.Fatalf("SendInputTick: %v", err)
				}
				continue
			}
			if !measure {
				last = tick
				continue
			}
			if calledLate > punctual {
				senderLate = append(senderLate, now)
			}
			j.mu.Lock()
			rec.tick = tick
			j.mu.Unlock()
			if first == 0 {
				first = tick
			} else {
				for s := last + 1; s < tick; s++ {
					skipped[s] = skip{calledLate, resynced, now}
				}
			}
			sends[tick], last = rec, tick
		}
	}
	play(5*time.Second, false) // converge
	lead0, resyncs0 := st.InputLead.Snapshot(), st.ClockResyncs.Load()
	play(20*time.Second, true)
	lead := st.InputLead.Snapshot()
	lead.Neg, lead.Pos = lead.Neg.Sub(&lead0.Neg), lead.Pos.Sub(&lead0.Pos)
	_, target, _ := c.InputClockState()
	for deadline := time.Now().Add(10 * time.Second); c.Pending() > 0 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}

	// When this process was late: its sender woke late, or an input left later than the jitter drawn for it.
	jc.mu.Lock()
	lateAt := senderLate
	for _, s := range sends {
		if !s.released || s.wrote.Sub(s.release) > punctual {
			lateAt = append(lateAt, s.release)
		}
	}
	// A re-sync answers the leads the room reported over the last few reports: it is this process's doing when
	// this process was late in that time.
	causedByProcess := func(resyncAt time.Time) bool {
		for _, at := range lateAt {
			if !at.After(resyncAt) && resyncAt.Sub(at) < resyncCause {
				return true
			}
		}
		return false
	}

	// Every tick of the window, by the room's record.
	var one, sysMissed, procMissed, sendLate, skipLate, skipResync, several int
	var sysTicks []uint32
	var sysWhy []string
	log.mu.Lock()
	for tk := first; tk <= last; tk++ {
		a := log.ticks[tk]
		switch sk := skipped[tk]; {
		case a.calls != 1:
			several++ // the room must hand the Sim exactly one input per tick
			sysTicks = append(sysTicks, tk)
		case !a.missed && uint32(a.tick) == tk:
			one++
		case sends[tk] != nil: // sent, not applied: it arrived after its tick
			if s := sends[tk]; !s.released || s.wrote.Sub(s.release) > punctual {
				procMissed++
				sendLate++
			} else {
				sysMissed++
				sysTicks = append(sysTicks, tk)
				sysWhy = append(sysWhy, fmt.Sprintf("%d: sent, left %v after the jitter drawn, not applied", tk, s.wrote.Sub(s.release)))
			}
		case sk.late > punctual: // skipped by the clock: the sender came too late for it
			procMissed++
			skipLate++
		case sk.resync && causedByProcess(sk.at): // skipped by a re-sync after this process was late
			procMissed++
			skipResync++
		default:
			sysMissed++
			sysTicks = append(sysTicks, tk)
			sysWhy = append(sysWhy, fmt.Sprintf("%d: skipped by a call %v after the schedule (re-synced %v)", tk, sk.late, sk.resync))
		}
	}
	log.mu.Unlock()
	jc.mu.Unlock()
	room := roomInputsSettled(t, srv, st.InputsSent.Load())
	for _, w := range sysWhy {
		t.Log(w)
	}
	measured := one + sysMissed
	t.Logf("ticks %d..%d: the client's input applied %d, missed by the system %d %v, by this process %d (sender woke too late %d, input left late %d, re-sync after this process was late %d), not exactly one input %d",
		first, last, one, sysMissed, sysTicks, procMissed, skipLate, sendLate, skipResync, several)
	t.Logf("%.2f%% of the %d ticks sent on time had the input applied; target lead %v; reported lead ms p1 %.2f p50 %.2f p99 %.2f; re-syncs %d",
		100*float64(one)/float64(max(measured, 1)), measured, target, lead.Quantile(0.01), lead.Quantile(0.5),
		lead.Quantile(0.99), st.ClockResyncs.Load()-resyncs0)
	t.Logf("client: inputs sent %d acked %d late %d lost %d, ticks skipped %d; room: applied %d missed %d, dropped late %d early %d duplicate %d",
		st.InputsSent.Load(), st.InputsAcked.Load(), st.InputsLate.Load(), st.InputsLost.Load(), st.TicksSkipped.Load(),
		room.applied, room.missed, room.late, room.early, room.dup)
	// The 99% needs enough ticks to mean anything (the window holds about 600).
	if measured < 200 {
		t.Fatalf("only %d ticks sent on time", measured)
	}
	if several != 0 || st.TicksMulti.Load() != 0 || float64(one) < 0.99*float64(measured) {
		t.Errorf("%d of %d ticks sent on time had the client's input applied (%d missed, %d not exactly one input): want at least 99%%",
			one, measured, sysMissed, several)
	}
	if st.InputsLost.Load() != 0 || st.InputsAcked.Load()+st.InputsLate.Load() != st.InputsSent.Load() ||
		room.applied != st.InputsAcked.Load() || room.notApplied() != st.InputsLate.Load() {
		t.Errorf("client: sent %d acked %d late %d lost %d; room: applied %d dropped %d", st.InputsSent.Load(),
			st.InputsAcked.Load(), st.InputsLate.Load(), st.InputsLost.Load(), room.applied, room.notApplied())
	}
}
