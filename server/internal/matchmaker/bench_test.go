package matchmaker

import (
	"fmt"
	"syscall"
	"testing"
	"time"
)

// cpuTime is the process's user and system CPU time so far. On a machine shared with other work, the CPU time a
// batch takes is a steadier figure than the wall-clock ns/op (which includes the time the process waited for a
// core); benchmarks report both.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// runBatches times b.N batches and reports their CPU time per batch too (cpu-ms/op, GC included).
func runBatches(b *testing.B, h *harness) {
	b.ResetTimer()
	start := cpuTime()
	for range b.N {
		h.mm.Process(h.now.Add(time.Second))
	}
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N)/1e6, "cpu-ms/op")
}

// BenchmarkProcessQueued measures one batch over a large queue of rated tickets that mostly cannot be matched yet
// (the worst case for forming new rooms: every ticket anchors a group attempt).
func BenchmarkProcessQueued(b *testing.B) {
	for _, n := range []int{1000, 5000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			h := newHarness(&testing.T{}, Config{MinPlayers: 4, MaxTickets: 2 * n, RatingWindow: 1, RatingWindowMax: 1},
				map[string]int{"arena": 16})
			h.rooms.createErr = nil
			for i := range n {
				h.submit(rated("arena", fmt.Sprint("p", i), float64(i*10))) // 10 apart, window 1: nobody matches
			}
			runBatches(b, h)
		})
	}
}

// incompatible returns n tickets no two of which may share a room, built the ways a client can make them so: each
// with its own value of a shared property ("region"), rated ones among them with a wide window; or half of them
// unrated with their own region and half rated far apart in one region.
func incompatible(kind string, n int) []TicketRequest {
	out := make([]TicketRequest, n)
	for i := range out {
		name := fmt.Sprint("p", i)
		switch kind {
		case "region":
			out[i] = TicketRequest{Mode: "arena", Players: []string{name}, Properties: map[string]string{"region": fmt.Sprint("r", i)}}
		case "region-rated":
			out[i] = rated("arena", name, float64(i%100))
			out[i].Properties = map[string]string{"region": fmt.Sprint("r", i), "lang": "en"}
		case "mixed":
			if i%2 == 0 {
				out[i] = TicketRequest{Mode: "arena", Players: []string{name}, Properties: map[string]string{"region": fmt.Sprint("r", i)}}
			} else {
				out[i] = rated("arena", name, float64(i*10))
				out[i].Properties = map[string]string{"region": "rated"}
			}
		}
	}
	return out
}

// BenchmarkProcessIncompatible measures one batch over 10,000 queued tickets that are mutually incompatible (the
// flood a hostile client can submit): the batch runs under the matchmaker's lock, so its cost is what every other
// call waits for.
func BenchmarkProcessIncompatible(b *testing.B) {
	const n = 10000
	for _, kind := range []string{"region", "region-rated", "mixed"} {
		b.Run(kind, func(b *testing.B) {
			h := newHarness(&testing.T{}, Config{MinPlayers: 2, MaxTickets: 2 * n, RatingWindow: 1, RatingWindowMax: 1,
				TicketTimeout: time.Hour}, map[string]int{"arena": 16})
			if kind == "region-rated" {
				h.mm.cfg.RatingWindow, h.mm.cfg.RatingWindowMax = 1000, 1000
			}
			for _, req := range incompatible(kind, n) {
				h.submit(req)
			}
			h.process()
			if st := h.mm.Stats(); st.Queued != n || st.RoomsOpened != 0 {
				b.Fatalf("stats %+v: the tickets matched", st)
			}
			runBatches(b, h)
		})
	}
}

// BenchmarkProcessIncompatibleOpenRooms is BenchmarkProcessIncompatible/region with 1,000 open rooms that have free
// seats, each of its own region: a ticket looks only at the rooms that may suit it, not at all of them.
func BenchmarkProcessIncompatibleOpenRooms(b *testing.B) {
	const n, rooms = 10000, 1000
	h := newHarness(&testing.T{}, Config{MinPlayers: 2, MaxTickets: 2*n + 2*rooms, TicketTimeout: time.Hour,
		JoinTTL: time.Hour}, map[string]int{"arena": 16})
	for i := range rooms {
		for _, p := range []string{"a", "b"} {
			h.submit(TicketRequest{Mode: "arena", Players: []string{fmt.Sprint(p, i)},
				Properties: map[string]string{"region": fmt.Sprint("room", i)}})
		}
	}
	h.process()
	for _, req := range incompatible("region", n) {
		h.submit(req)
	}
	h.process()
	if st := h.mm.Stats(); st.Queued != n || st.RoomsOpened != rooms {
		b.Fatalf("stats %+v", st)
	}
	runBatches(b, h)
}
