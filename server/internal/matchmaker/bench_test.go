package matchmaker

import (
	"fmt"
	"testing"
	"time"
)

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
			b.ResetTimer()
			for range b.N {
				h.mm.Process(h.now.Add(time.Second))
			}
		})
	}
}
