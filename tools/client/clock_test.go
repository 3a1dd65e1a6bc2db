package client

import (
	"math/rand/v2"
	"testing"
	"time"
)

// simRoom is a room seen through a network, on a simulated clock: tick t is due at t·interval; an input sent at s
// reaches the room at s + oneWay + a uniform send jitter (order kept); every 100 ms the room reports the least lead
// of the inputs that arrived since the last report, which reaches the client oneWay later.
type simRoom struct {
	interval, oneWay, jitter time.Duration
	rng                      *rand.Rand
	lastArrival              time.Duration
}

// TestInputClockHoldsItsLead drives an InputClock against a simulated room with 50 ms each way and 20 ms of send
// jitter: once converged, at least 99% of the inputs arrive before their tick is due, and the lead stays within a
// few milliseconds of what the jitter needs; ticks strictly increase, at most 1.05 per tick interval.
func TestInputClockHoldsItsLead(t *testing.T) {
	for _, tc := range []struct {
		name           string
		oneWay, jitter time.Duration
		startErr       int // ticks the Welcome's tick is off by
	}{
		{"loopback", 0, 0, 0},
		{"100ms rtt", 50 * time.Millisecond, 0, 0},
		{"loopback jitter 20ms", 0, 20 * time.Millisecond, 0},
		{"100ms rtt jitter 20ms", 50 * time.Millisecond, 20 * time.Millisecond, 0},
		{"welcome 20 ticks stale", 50 * time.Millisecond, 5 * time.Millisecond, -20},
		{"welcome 20 ticks ahead", 50 * time.Millisecond, 5 * time.Millisecond, 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const interval = time.Second / 30
			r := &simRoom{interval: interval, oneWay: tc.oneWay, jitter: tc.jitter, rng: rand.New(rand.NewPCG(1, 1))}
			epoch := time.Unix(1000, 0)
			k := NewInputClock(interval)
			now := 10 * time.Second
			roomTick := uint32(now / interval)
			k.Start(epoch.Add(now), uint32(int(roomTick)+tc.startErr), 2*tc.oneWay)

			type report struct {
				at   time.Duration
				lead time.Duration
			}
			var reports []report
			var minLead time.Duration
			have := false
			nextReport := now + 100*time.Millisecond
			var ok, late, counted int
			var lastTick uint32
			var sends []time.Duration
			end := now + 30*time.Second
			for now < end {
				at := k.NextAt().Sub(epoch)
				if at < now {
					at = now
				}
				// Deliver the reports due before the next send.
				for len(reports) > 0 && reports[0].at <= at {
					k.OnLead(epoch.Add(reports[0].at), reports[0].lead)
					reports = reports[1:]
				}
				for nextReport <= at {
					if have {
						reports = append(reports, report{nextReport + tc.oneWay, minLead})
						have = false
					}
					nextReport += 100 * time.Millisecond
				}
				if next := k.NextAt().Sub(epoch); next > at {
					now = next
					continue
				}
				now = at
				tick, took := k.Take(epoch.Add(now), 0)
				if !took {
					t.Fatalf("Take refused at NextAt")
				}
				if tick <= lastTick {
					t.Fatalf("tick %d after %d", tick, lastTick)
				}
				lastTick = tick
				sends = append(sends, now)
				arrival := max(now+tc.oneWay+time.Duration(r.rng.Int64N(int64(tc.jitter)+1)), r.lastArrival)
				r.lastArrival = arrival
				lead := time.Duration(tick)*interval - arrival
				if !have || lead < minLead {
					minLead, have = lead, true
				}
				if now > 10*time.Second+10*time.Second { // converged
					counted++
					if lead >= 0 {
						ok++
					} else {
						late++
					}
				}
				if d := k.Dilation(); d > MaxDilation || d < -MaxDilation {
					t.Fatalf("dilation %v", d)
				}
			}
			// Never faster than 1.05 inputs per tick interval, over any second.
			for i, j := 0, 0; i < len(sends); i++ {
				for sends[i]-sends[j] > time.Second {
					j++
				}
				if n := i - j + 1; float64(n) > 1.05*float64(time.Second/interval)+1 {
					t.Fatalf("%d inputs in a second", n)
				}
			}
			if float64(ok) < 0.99*float64(counted) {
				t.Errorf("%d of %d inputs on time, %d late (target %v)", ok, counted, late, k.Target())
			}
			if tgt := k.Target(); tgt > SafetyMargin+tc.jitter+5*time.Millisecond {
				t.Errorf("target lead %v for %v of jitter: too much latency", tgt, tc.jitter)
			}
			t.Logf("on time %d/%d, target %v, resyncs %d", ok, counted, k.Target(), k.Resyncs())
		})
	}
}
