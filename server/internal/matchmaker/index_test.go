package matchmaker

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// TestIndexFindsEveryCompatibleTicket checks the index against the rule itself: for every anchor, the candidates
// are exactly the later tickets whose properties agree with the anchor's and, when both are rated, whose rating lies
// within the anchor's window.
func TestIndexFindsEveryCompatibleTicket(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	keys, vals := []string{"region", "lang", "map"}, []string{"x", "y", "z"}
	for round := range 20 {
		h := newHarness(t, Config{MinPlayers: 2, MaxTickets: 1000}, map[string]int{"arena": 4})
		n := 50 + rng.IntN(150)
		for i := range n {
			req := solo("arena", fmt.Sprint("p", i))
			if rng.IntN(3) > 0 {
				r := float64(rng.IntN(400))
				req.Rating = &r
			}
			for _, k := range keys {
				if rng.IntN(2) == 0 {
					if req.Properties == nil {
						req.Properties = map[string]string{}
					}
					req.Properties[k] = vals[rng.IntN(len(vals))]
				}
			}
			h.submit(req)
			if rng.IntN(10) == 0 { // some leave the queue again
				h.mm.mu.Lock()
				last := h.mm.order[len(h.mm.order)-1]
				h.mm.finishLocked(last, StatusCanceled, "", h.now)
				h.mm.mu.Unlock()
			}
		}
		h.mm.mu.Lock()
		var tickets []*ticket
		for _, tk := range h.mm.order {
			if tk.queued() {
				tickets = append(tickets, tk)
			}
		}
		ix := h.mm.index["arena"]
		h.mm.batch++
		ix.begin(h.mm.batch, tickets)
		for i, a := range tickets {
			w := 0.0
			if a.req.Rating != nil {
				w = a.window(&h.mm.cfg, h.now.Add(time.Duration(rng.IntN(5))*time.Second))
			}
			got := ix.candidates(a, w, nil)
			var want []int
			for j := i + 1; j < len(tickets); j++ {
				b := tickets[j]
				if !propsAgree(a.req.Properties, b.req.Properties) {
					continue
				}
				if a.req.Rating != nil && b.req.Rating != nil && (*b.req.Rating < *a.req.Rating-w || *b.req.Rating > *a.req.Rating+w) {
					continue
				}
				want = append(want, j)
			}
			if !slices.Equal(got, want) {
				h.mm.mu.Unlock()
				t.Fatalf("round %d anchor %d %+v: candidates %v, want %v", round, i, a.req, got, want)
			}
		}
		h.mm.mu.Unlock()
	}
}

// TestIncompatibleTicketsStayQueued: a flood of mutually incompatible tickets opens no room and decides nothing,
// and a compatible newcomer is still matched with the right one among them.
func TestIncompatibleTicketsStayQueued(t *testing.T) {
	const n = 2000
	for _, kind := range []string{"region", "region-rated", "mixed"} {
		t.Run(kind, func(t *testing.T) {
			h := newHarness(t, Config{MinPlayers: 2, MaxTickets: 2 * n, RatingWindow: 1, RatingWindowMax: 1,
				TicketTimeout: time.Hour}, map[string]int{"arena": 16})
			var ids []string
			reqs := incompatible(kind, n)
			for _, req := range reqs {
				ids = append(ids, h.submit(req).ID)
			}
			for range 3 {
				h.advance(time.Second)
				h.process()
			}
			if st := h.mm.Stats(); st.Queued != n || st.RoomsOpened != 0 || st.Placed != 0 {
				t.Fatalf("stats %+v, want all %d queued", st, n)
			}
			mate := reqs[n/2]
			mate.Players = []string{"mate"}
			h.submit(mate)
			h.process()
			if st := h.mm.Stats(); st.Queued != n-1 || st.Placed != 2 || st.RoomsOpened != 1 {
				t.Fatalf("stats %+v after a compatible newcomer", st)
			}
			if got := h.get(ids[n/2]).Status; got != StatusPlaced {
				t.Fatalf("the newcomer's match is %q, want placed", got)
			}
		})
	}
}
