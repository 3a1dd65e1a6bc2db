package matchmaker

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

func TestFillsOpenRoomsBeforeOpeningNew(t *testing.T) {
	h := newHarness(t, Config{MinPlayers: 2}, map[string]int{"arena": 4})
	a := h.submit(solo("arena", "a"))
	h.process()
	if got := h.get(a.ID).Status; got != StatusQueued {
		t.Fatalf("one player below the minimum: status %q, want queued", got)
	}
	if n := h.rooms.count(); n != 0 {
		t.Fatalf("rooms opened below the minimum: %d", n)
	}
	b := h.submit(solo("arena", "b"))
	c := h.submit(solo("arena", "c"))
	h.process()
	room := h.get(a.ID).RoomID
	for _, id := range []string{a.ID, b.ID, c.ID} {
		tk := h.get(id)
		if tk.Status != StatusPlaced || tk.RoomID != room {
			t.Fatalf("ticket %s: %q in %q, want placed in %q", id, tk.Status, tk.RoomID, room)
		}
	}
	h.join(room, 2) // two connect, one still on its way: its seat stays reserved
	d := h.submit(solo("arena", "d"))
	e := h.submit(solo("arena", "e"))
	f := h.submit(solo("arena", "f"))
	h.process()
	if got := h.get(d.ID).RoomID; got != room {
		t.Fatalf("d went to %q, want the open room %q", got, room)
	}
	if h.get(e.ID).RoomID == room || h.get(f.ID).RoomID == room {
		t.Fatalf("room %s overfilled", room)
	}
	if h.get(e.ID).RoomID != h.get(f.ID).RoomID || h.get(e.ID).Status != StatusPlaced {
		t.Fatalf("e and f should share the second room: %+v %+v", h.get(e.ID), h.get(f.ID))
	}
	if n := h.rooms.count(); n != 2 {
		t.Fatalf("%d rooms, want 2", n)
	}
	if st := h.mm.Stats(); st != (Stats{Placed: 6, RoomsOpened: 2}) {
		t.Fatalf("stats %+v", st)
	}
}

func TestCapacityAndFullRoomsFirst(t *testing.T) {
	h := newHarness(t, Config{MinPlayers: 2}, map[string]int{"arena": 4})
	var ids []string
	for i := range 10 {
		ids = append(ids, h.submit(solo("arena", fmt.Sprint("p", i))).ID)
	}
	h.process()
	per := map[string]int{}
	for _, id := range ids {
		tk := h.get(id)
		if tk.Status != StatusPlaced {
			t.Fatalf("ticket %s %q, want placed", id, tk.Status)
		}
		per[tk.RoomID]++
	}
	if per["r001"] != 4 || per["r002"] != 4 || per["r003"] != 2 || len(per) != 3 {
		t.Fatalf("occupancy %v, want r001:4 r002:4 r003:2", per)
	}
	// Nobody has connected yet, but reservations keep r001/r002 closed and r003 is filled next.
	x := h.submit(solo("arena", "x"))
	h.process()
	if got := h.get(x.ID).RoomID; got != "r003" {
		t.Fatalf("x placed in %q, want r003 (the only room with space)", got)
	}
}

func TestRatingWindowWidens(t *testing.T) {
	h := newHarness(t, Config{MinPlayers: 2, RatingWindow: 100, RatingWiden: 25, RatingWindowMax: 1000},
		map[string]int{"arena": 8})
	lo := h.submit(rated("arena", "lo", 1000))
	h.advance(time.Second)
	hi := h.submit(rated("arena", "hi", 1300))
	near := h.submit(rated("arena", "near", 1350))
	h.process()
	// hi and near are 50 apart: matched at once; lo is 300-350 away from them.
	if h.get(hi.ID).Status != StatusPlaced || h.get(hi.ID).RoomID != h.get(near.ID).RoomID {
		t.Fatalf("hi and near should share a room: %+v %+v", h.get(hi.ID), h.get(near.ID))
	}
	if h.get(lo.ID).Status != StatusQueued {
		t.Fatalf("lo placed too early")
	}
	room := h.get(hi.ID).RoomID
	// lo joins the room once lo's window covers the room's span 1000..1350, i.e. 100+25·s ≥ 350: s ≥ 10.
	h.advance(8 * time.Second) // lo has waited 9 s: window 325
	h.process()
	if h.get(lo.ID).Status != StatusQueued {
		t.Fatalf("lo placed with a window of 325 into a span of 350")
	}
	h.advance(time.Second) // 10 s: window 350
	h.process()
	if tk := h.get(lo.ID); tk.Status != StatusPlaced || tk.RoomID != room {
		t.Fatalf("lo %+v, want placed in %s once its window widened", tk, room)
	}
}

func TestRatingWindowMutualForNewRooms(t *testing.T) {
	h := newHarness(t, Config{MinPlayers: 2, RatingWindow: 100, RatingWiden: 25, RatingWindowMax: 200},
		map[string]int{"arena": 8})
	old := h.submit(rated("arena", "old", 1000))
	h.advance(20 * time.Second) // old's window is capped at 200
	fresh := h.submit(rated("arena", "fresh", 1150))
	h.process()
	if h.get(old.ID).Status != StatusQueued || h.get(fresh.ID).Status != StatusQueued {
		t.Fatal("a 150 gap must fit both windows (fresh's is 100)")
	}
	h.advance(2 * time.Second) // fresh: 150
	h.process()
	if h.get(old.ID).Status != StatusPlaced || h.get(old.ID).RoomID != h.get(fresh.ID).RoomID {
		t.Fatalf("old and fresh should share a room now: %+v %+v", h.get(old.ID), h.get(fresh.ID))
	}
}

func TestPropertiesMustAgree(t *testing.T) {
	h := newHarness(t, Config{MinPlayers: 2}, map[string]int{"arena": 8})
	eu1 := h.submit(TicketRequest{Mode: "arena", Players: []string{"eu1"}, Properties: map[string]string{"region": "eu"}})
	us1 := h.submit(TicketRequest{Mode: "arena", Players: []string{"us1"}, Properties: map[string]string{"region": "us"}})
	any1 := h.submit(solo("arena", "any1"))
	us2 := h.submit(TicketRequest{Mode: "arena", Players: []string{"us2"}, Properties: map[string]string{"region": "us"}})
	h.process()
	if h.get(eu1.ID).RoomID != h.get(any1.ID).RoomID || h.get(eu1.ID).Status != StatusPlaced {
		t.Fatalf("eu1 and any1 should share a room: %+v %+v", h.get(eu1.ID), h.get(any1.ID))
	}
	if h.get(us1.ID).RoomID != h.get(us2.ID).RoomID || h.get(us1.ID).RoomID == h.get(eu1.ID).RoomID {
		t.Fatalf("us players should share a room apart from eu: %+v %+v", h.get(us1.ID), h.get(us2.ID))
	}
	eu2 := h.submit(TicketRequest{Mode: "arena", Players: []string{"eu2"}, Properties: map[string]string{"region": "eu"}})
	h.process()
	if h.get(eu2.ID).RoomID != h.get(eu1.ID).RoomID {
		t.Fatalf("eu2 should backfill the eu room")
	}
}

func TestPartiesStayTogether(t *testing.T) {
	h := newHarness(t, Config{MinPlayers: 2}, map[string]int{"arena": 4})
	p3 := h.submit(TicketRequest{Mode: "arena", Players: []string{"a1", "a2", "a3"}})
	q2 := h.submit(TicketRequest{Mode: "arena", Players: []string{"b1", "b2"}})
	s1 := h.submit(solo("arena", "c1"))
	r2 := h.submit(TicketRequest{Mode: "arena", Players: []string{"d1", "d2"}})
	h.process()
	// 3+1 fill the first room; the party of 2 that did not fit opens the second with the other party of 2.
	if h.get(p3.ID).RoomID != h.get(s1.ID).RoomID {
		t.Fatalf("the solo should fill the party of 3's room")
	}
	if h.get(q2.ID).RoomID != h.get(r2.ID).RoomID || h.get(q2.ID).RoomID == h.get(p3.ID).RoomID {
		t.Fatalf("the parties of 2 should share the second room")
	}
	for _, id := range []string{p3.ID, q2.ID, s1.ID, r2.ID} {
		tk := h.get(id)
		for _, s := range tk.Players {
			b := h.tokens.issued[s.JoinToken]
			if b != [2]string{tk.RoomID, s.Player} {
				t.Fatalf("token of %s bound to %v, want room %s", s.Player, b, tk.RoomID)
			}
		}
	}
	// A party never squeezes into a room without space for all of it: with both rooms full it opens its own.
	big := h.submit(TicketRequest{Mode: "arena", Players: []string{"e1", "e2", "e3"}})
	h.process()
	if got := h.get(big.ID); got.Status != StatusPlaced || got.RoomID == h.get(p3.ID).RoomID || got.RoomID == h.get(q2.ID).RoomID {
		t.Fatalf("party of 3 with both rooms full: %+v, want a room of its own", got)
	}
	// A solo fills the party's room rather than anything else.
	s2 := h.submit(solo("arena", "s2"))
	h.process()
	if got := h.get(s2.ID).RoomID; got != h.get(big.ID).RoomID {
		t.Fatalf("s2 in %q, want the party of 3's room", got)
	}
	// Too big for any room: refused up front.
	if _, err := h.mm.Submit(TicketRequest{Mode: "arena", Players: []string{"1", "2", "3", "4", "5"}}); !errors.Is(err, ErrBadRequest) {
		t.Fatalf("party of 5 for rooms of 4: err %v, want ErrBadRequest", err)
	}
}

func TestPrivateRoomsByCode(t *testing.T) {
	h := newHarness(t, Config{MinPlayers: 2}, map[string]int{"arena": 3})
	host := h.submit(TicketRequest{Mode: "arena", Players: []string{"host"}, CreatePrivate: true,
		Settings: map[string]string{"score_limit": "5"}})
	h.process()
	ht := h.get(host.ID)
	if ht.Status != StatusPlaced || len(ht.Code) != CodeLength {
		t.Fatalf("private host ticket %+v, want placed with a code", ht)
	}
	if got := h.rooms.settings[ht.RoomID]["score_limit"]; got != "5" {
		t.Fatalf("private room settings %v", h.rooms.settings[ht.RoomID])
	}
	// Public players never land in the private room, even though it has space.
	pub := h.submit(solo("arena", "pub"))
	h.process()
	if h.get(pub.ID).Status != StatusQueued {
		t.Fatalf("a public ticket was placed while only a private room had space: %+v", h.get(pub.ID))
	}
	friend := h.submit(TicketRequest{Mode: "arena", Players: []string{"f1", "f2"}, Code: toLower(ht.Code)})
	h.process()
	if ft := h.get(friend.ID); ft.Status != StatusPlaced || ft.RoomID != ht.RoomID || ft.Code != ht.Code {
		t.Fatalf("friend ticket %+v, want placed in %s", ft, ht.RoomID)
	}
	late := h.submit(TicketRequest{Mode: "arena", Players: []string{"late"}, Code: ht.Code})
	wrong := h.submit(TicketRequest{Mode: "arena", Players: []string{"wrong"}, Code: "ZZZZZZ"})
	h.process()
	if lt := h.get(late.ID); lt.Status != StatusFailed || lt.Error == "" {
		t.Fatalf("join of a full private room: %+v, want failed", lt)
	}
	if wt := h.get(wrong.ID); wt.Status != StatusFailed {
		t.Fatalf("unknown code: %+v, want failed", wt)
	}
	// Private rooms are hidden from the listing; an ended private room's code stops working.
	h.rooms.set(ht.RoomID, func(r *RoomInfo) { r.State = StateEnded })
	again := h.submit(TicketRequest{Mode: "arena", Players: []string{"again"}, Code: ht.Code})
	h.process()
	if h.get(again.ID).Status != StatusFailed {
		t.Fatalf("code of an ended room still works")
	}
}

func toLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

func TestBackfillRunningRooms(t *testing.T) {
	h := newHarness(t, Config{MinPlayers: 2, Modes: map[string]ModeConfig{"duel": {NoBackfill: true}}},
		map[string]int{"arena": 2, "duel": 2})
	for _, mode := range []string{"arena", "duel"} {
		h.submit(solo(mode, mode+"1"))
		h.submit(solo(mode, mode+"2"))
	}
	h.process()
	for _, id := range []string{"r001", "r002"} {
		h.join(id, 2)
		h.rooms.set(id, func(r *RoomInfo) { r.State = StateRunning })
	}
	h.process()
	// One player of each room leaves.
	for _, id := range []string{"r001", "r002"} {
		h.leave(id, 1)
	}
	a := h.submit(solo("arena", "arena3"))
	d := h.submit(solo("duel", "duel3"))
	h.process()
	if got := h.get(a.ID); got.Status != StatusPlaced || got.RoomID != "r001" {
		t.Fatalf("arena3 %+v, want backfilled into r001", got)
	}
	if got := h.get(d.ID); got.Status != StatusQueued {
		t.Fatalf("duel3 %+v, want queued (no backfill in duel, below the minimum for a new room)", got)
	}
	// An ended room is never filled.
	h.rooms.set("r001", func(r *RoomInfo) { r.State = StateEnded; r.Players = 0 })
	b := h.submit(solo("arena", "arena4"))
	h.process()
	if got := h.get(b.ID); got.Status != StatusQueued {
		t.Fatalf("arena4 %+v, want queued: the only arena room ended", got)
	}
}

func TestReservationsExpire(t *testing.T) {
	h := newHarness(t, Config{MinPlayers: 2, JoinTTL: 10 * time.Second}, map[string]int{"arena": 2})
	h.submit(solo("arena", "a"))
	h.submit(solo("arena", "b"))
	h.process()
	c := h.submit(solo("arena", "c"))
	h.advance(9 * time.Second)
	h.process()
	if h.get(c.ID).Status != StatusQueued {
		t.Fatal("c placed while both seats were reserved")
	}
	h.join("r001", 1) // a connects; b never does
	h.advance(2 * time.Second)
	h.process()
	if got := h.get(c.ID); got.Status != StatusPlaced || got.RoomID != "r001" {
		t.Fatalf("c %+v, want b's expired seat in r001", got)
	}
}

func TestTimeoutAndCancel(t *testing.T) {
	h := newHarness(t, Config{MinPlayers: 2, TicketTimeout: 30 * time.Second, Retention: 10 * time.Second},
		map[string]int{"arena": 4})
	a := h.submit(solo("arena", "a"))
	b := h.submit(solo("arena", "b"))
	if _, err := h.mm.Cancel(b.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := h.mm.Cancel(b.ID); err != nil {
		t.Fatalf("second cancel: %v, want idempotent", err)
	}
	h.process()
	if h.get(a.ID).Status != StatusQueued || h.get(b.ID).Status != StatusCanceled {
		t.Fatalf("a canceled ticket was matched: %+v %+v", h.get(a.ID), h.get(b.ID))
	}
	// The canceled player may queue again.
	h.advance(29 * time.Second)
	b2 := h.submit(solo("arena", "b"))
	h.advance(time.Second)
	h.process()
	if got := h.get(a.ID); got.Status != StatusTimedOut || got.WaitedMs != 30000 {
		t.Fatalf("a %+v, want timed_out after 30000 ms", got)
	}
	if h.get(b2.ID).Status != StatusQueued {
		t.Fatal("b2 should still wait")
	}
	// Wait returns at once for a finished ticket.
	start := time.Now()
	if tk, err := h.mm.Wait(context.Background(), a.ID, 5*time.Second); err != nil || tk.Status != StatusTimedOut || time.Since(start) > time.Second {
		t.Fatalf("Wait on a finished ticket: %+v %v after %v", tk, err, time.Since(start))
	}
	if _, err := h.mm.Cancel(a.ID); !errors.Is(err, ErrNotQueued) {
		t.Fatalf("cancel of a timed-out ticket: %v, want ErrNotQueued", err)
	}
	if st := h.mm.Stats(); st != (Stats{Queued: 1, Canceled: 1, TimedOut: 1}) {
		t.Fatalf("stats %+v", st)
	}
	// Finished tickets are forgotten after the retention.
	h.advance(10 * time.Second)
	h.process()
	if _, err := h.mm.Get(a.ID); !errors.Is(err, ErrTicketNotFound) {
		t.Fatalf("a still readable past retention: %v", err)
	}
}

func TestWaitWakesOnPlacement(t *testing.T) {
	h := newHarness(t, Config{MinPlayers: 2}, map[string]int{"arena": 4})
	a := h.submit(solo("arena", "a"))
	got := make(chan Ticket, 1)
	go func() {
		tk, _ := h.mm.Wait(context.Background(), a.ID, 10*time.Second)
		got <- tk
	}()
	h.submit(solo("arena", "b"))
	time.Sleep(10 * time.Millisecond)
	h.mm.Process(h.now)
	select {
	case tk := <-got:
		if tk.Status != StatusPlaced || len(tk.Players) != 1 || tk.Players[0].JoinToken == "" {
			t.Fatalf("woken with %+v", tk)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Wait did not wake on placement")
	}
}

func TestSubmitRejects(t *testing.T) {
	h := newHarness(t, Config{MaxTickets: 4}, map[string]int{"arena": 4})
	if _, err := h.mm.Submit(solo("nope", "a")); !errors.Is(err, ErrUnknownMode) {
		t.Fatalf("unknown mode: %v", err)
	}
	h.submit(TicketRequest{Mode: "arena", Players: []string{"a", "b"}})
	// Names are free-form: an anonymous name is never de-duplicated (TestQueueDedupeByVerifiedUser).
	if _, err := h.mm.Submit(solo("arena", "b")); err != nil {
		t.Fatalf("an anonymous player named like a queued one: %v", err)
	}
	for _, req := range []TicketRequest{
		{Mode: "arena", Players: []string{"x", "x"}},
		{Mode: "arena", Players: []string{""}},
		{Mode: "arena", Players: []string{"012345678901234567890123456789012"}},
		{Mode: "arena", CreatePrivate: true, Code: "ABC"},
		{Mode: "arena", Settings: map[string]string{"a": "b"}},
	} {
		if _, err := h.mm.Submit(req); !errors.Is(err, ErrBadRequest) {
			t.Errorf("Submit(%+v): %v, want ErrBadRequest", req, err)
		}
	}
	gen := h.submit(TicketRequest{Mode: "arena"})
	if len(gen.Players) != 1 || gen.Players[0].Player == "" {
		t.Fatalf("no name given: %+v, want one generated player", gen)
	}
	h.submit(solo("arena", "c"))
	if _, err := h.mm.Submit(solo("arena", "d")); !errors.Is(err, ErrQueueFull) {
		t.Fatalf("over MaxTickets: %v, want ErrQueueFull", err)
	}
}

func TestCreateFailureKeepsTicketsQueued(t *testing.T) {
	h := newHarness(t, Config{MinPlayers: 2}, map[string]int{"arena": 4})
	a := h.submit(solo("arena", "a"))
	h.submit(solo("arena", "b"))
	h.rooms.createErr = errors.New("server at its room cap")
	h.process()
	if h.get(a.ID).Status != StatusQueued {
		t.Fatalf("a %+v, want still queued after a transient create failure", h.get(a.ID))
	}
	h.rooms.createErr = nil
	h.process()
	if h.get(a.ID).Status != StatusPlaced {
		t.Fatalf("a %+v, want placed on retry", h.get(a.ID))
	}
}

// TestNoPlayerPlacedTwice runs random traffic (parties, ratings, regions, cancels, joins, leaves, room ends) and
// checks the invariants after every batch: a ticket is placed once, into one room, with one token per player bound to
// that room; no player holds a seat in two live rooms; no room is ever promised more seats than it has.
func TestNoPlayerPlacedTwice(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	h := newHarness(t, Config{MinPlayers: 3, TicketTimeout: 20 * time.Second, JoinTTL: 5 * time.Second},
		map[string]int{"arena": 6, "duel": 2})
	type seat struct{ room, ticket string }
	seated := map[string]seat{} // player → where it sits now
	placed := map[string]bool{} // ticket → seen placed
	pending := map[string][]string{}
	next := 0
	var free []string
	reused := 0
	var open []Ticket
	for round := range 300 {
		for range rng.IntN(6) {
			mode := []string{"arena", "arena", "duel"}[rng.IntN(3)]
			size := 1
			if mode == "arena" && rng.IntN(4) == 0 {
				size = 1 + rng.IntN(3)
			}
			var players []string
			for range size {
				if len(free) > 0 { // a player whose room ended queues again under the same name
					players = append(players, free[len(free)-1])
					reused++
					free = free[:len(free)-1]
					continue
				}
				next++
				players = append(players, fmt.Sprint("p", next))
			}
			req := TicketRequest{Mode: mode, Players: players}
			if rng.IntN(2) == 0 {
				r := float64(1000 + rng.IntN(600))
				req.Rating = &r
			}
			if rng.IntN(3) == 0 {
				req.Properties = map[string]string{"region": []string{"eu", "us"}[rng.IntN(2)]}
			}
			open = append(open, h.submit(req))
		}
		if len(open) > 0 && rng.IntN(5) == 0 {
			_, _ = h.mm.Cancel(open[rng.IntN(len(open))].ID)
		}
		h.advance(time.Duration(200+rng.IntN(800)) * time.Millisecond)
		h.process()
		// Check the invariants and simulate clients.
		still := open[:0]
		for _, tk := range open {
			tk = h.get(tk.ID)
			switch tk.Status {
			case StatusQueued:
				still = append(still, tk)
				continue
			case StatusPlaced:
			default:
				for _, s := range tk.Players { // canceled or timed out: the players may queue again
					free = append(free, s.Player)
				}
				continue
			}
			if placed[tk.ID] {
				t.Fatalf("round %d: ticket %s placed twice", round, tk.ID)
			}
			placed[tk.ID] = true
			for _, s := range tk.Players {
				if prev, ok := seated[s.Player]; ok {
					t.Fatalf("round %d: player %s placed in %s and %s", round, s.Player, prev.room, tk.RoomID)
				}
				if b := h.tokens.issued[s.JoinToken]; b != [2]string{tk.RoomID, s.Player} {
					t.Fatalf("token %s bound to %v", s.JoinToken, b)
				}
				seated[s.Player] = seat{tk.RoomID, tk.ID}
				pending[tk.RoomID] = append(pending[tk.RoomID], s.Player)
			}
		}
		open = still
		for _, info := range h.rooms.List() {
			if info.State == StateEnded {
				continue
			}
			seats := info.Players + len(h.mm.tracks[info.ID].reservedCopy()) // the room's own count: the truth here
			if seats > info.Capacity {
				t.Fatalf("round %d: room %s promised %d seats of %d", round, info.ID, seats, info.Capacity)
			}
			// Most placed players connect; some never do (their reservation expires).
			for _, p := range pending[info.ID] {
				if rng.IntN(10) < 8 {
					h.join(info.ID, 1)
				}
				_ = p
			}
			pending[info.ID] = nil
			if info.Players > 0 && rng.IntN(8) == 0 {
				h.leave(info.ID, 1)
				h.rooms.set(info.ID, func(r *RoomInfo) { r.State = StateRunning })
			}
			if rng.IntN(40) == 0 {
				h.rooms.set(info.ID, func(r *RoomInfo) { r.State = StateEnded; r.Players = 0 })
				for p, s := range seated {
					if s.room == info.ID {
						delete(seated, p)
						free = append(free, p)
					}
				}
			}
		}
	}
	if len(placed) < 100 || reused < 20 {
		t.Fatalf("%d tickets placed, %d players queued again: the traffic did not exercise placement", len(placed), reused)
	}
}

// reservedCopy is a test helper reading a track's reservations (nil track: none).
func (tr *roomTrack) reservedCopy() []time.Time {
	if tr == nil {
		return nil
	}
	return append([]time.Time(nil), tr.reserved...)
}

// TestJoinEventBeforeRoomCount: a room reports a join event a moment before its own player count includes it; the
// seat must not be handed out again in that moment.
func TestJoinEventBeforeRoomCount(t *testing.T) {
	h := newHarness(t, Config{MinPlayers: 2}, map[string]int{"arena": 2})
	h.submit(solo("arena", "a"))
	h.submit(solo("arena", "b"))
	h.process()
	h.mm.PlayerJoined("r001") // events seen, RoomInfo.Players still 0
	h.mm.PlayerJoined("r001")
	c := h.submit(solo("arena", "c"))
	d := h.submit(solo("arena", "d"))
	h.process()
	if got := h.get(c.ID).RoomID; got == "r001" {
		t.Fatal("c was given a seat of r001 that a joined player holds")
	}
	if h.get(c.ID).RoomID != h.get(d.ID).RoomID {
		t.Fatalf("c and d should open r002 together: %+v %+v", h.get(c.ID), h.get(d.ID))
	}
	// Once the room's count catches up and one player leaves, the seat is free again.
	h.rooms.set("r001", func(r *RoomInfo) { r.Players = 2 })
	h.leave("r001", 1)
	e := h.submit(solo("arena", "e"))
	h.process()
	if got := h.get(e.ID).RoomID; got != "r001" {
		t.Fatalf("e in %q, want the freed seat of r001", got)
	}
}

func TestQueuedByModeAndPlacementWait(t *testing.T) {
	var waits []time.Duration
	h := newHarness(t, Config{MinPlayers: 2, OnPlaced: func(d time.Duration) { waits = append(waits, d) }},
		map[string]int{"arena": 4, "duel": 2})
	a := h.submit(solo("arena", "a"))
	h.submit(solo("duel", "x"))
	h.advance(3 * time.Second)
	h.process()
	if got := h.mm.QueuedByMode(); got["arena"] != 1 || got["duel"] != 1 || len(got) != 2 {
		t.Fatalf("queued by mode %v, want arena:1 duel:1", got)
	}
	h.submit(solo("arena", "b"))
	h.advance(time.Second)
	h.process()
	if got := h.mm.QueuedByMode(); got["arena"] != 0 || got["duel"] != 1 {
		t.Fatalf("queued by mode after placing arena %v, want arena:0 duel:1", got)
	}
	if h.get(a.ID).Status != StatusPlaced || len(waits) != 2 || waits[0] != 4*time.Second || waits[1] != time.Second {
		t.Fatalf("placement waits %v, want [4s 1s]", waits)
	}
	h.advance(time.Minute)
	h.process() // the duel ticket times out: no wait observed
	if got := h.mm.QueuedByMode(); got["duel"] != 0 || len(waits) != 2 {
		t.Fatalf("after the timeout: queued %v, waits %v", got, waits)
	}
	if st := h.mm.Stats(); st != (Stats{Placed: 2, TimedOut: 1, RoomsOpened: 1}) {
		t.Fatalf("stats %+v", st)
	}
}

// TestPrivateCodesExpire: a code admits newcomers for Config.CodeTTL, then fails as expired; misses are counted by
// reason; codes carry at least 40 bits.
func TestPrivateCodesExpire(t *testing.T) {
	h := newHarness(t, Config{MinPlayers: 2, CodeTTL: time.Minute}, map[string]int{"arena": 4})
	host := h.submit(TicketRequest{Mode: "arena", Players: []string{"host"}, CreatePrivate: true})
	h.process()
	code := h.get(host.ID).Code
	if len(code) != CodeLength || CodeLength*5 < 40 {
		t.Fatalf("code %q: want %d characters of 5 bits", code, CodeLength)
	}
	early := h.submit(TicketRequest{Mode: "arena", Players: []string{"early"}, Code: code})
	wrong := h.submit(TicketRequest{Mode: "arena", Players: []string{"wrong"}, Code: "ZZZZZZZZZZ"})
	h.advance(59 * time.Second)
	h.process()
	if got := h.get(early.ID); got.Status != StatusPlaced {
		t.Fatalf("join within the code's lifetime: %+v", got)
	}
	h.advance(time.Second)
	late := h.submit(TicketRequest{Mode: "arena", Players: []string{"late"}, Code: code})
	h.process()
	if got := h.get(late.ID); got.Status != StatusFailed || got.Error != "room code expired" {
		t.Fatalf("join after the code expired: %+v", got)
	}
	if got := h.get(wrong.ID); got.Status != StatusFailed || got.Error != "unknown room code" {
		t.Fatalf("unknown code: %+v", got)
	}
	if st := h.mm.Stats(); st.CodeMisses != (CodeMisses{Unknown: 1, Expired: 1}) {
		t.Fatalf("code misses %+v", st.CodeMisses)
	}
}

// TestUntrackedRoomTakesOnItsFirstPlayersProperties: a room the matchmaker never placed into (opened by quick play)
// suits any ticket, but once one is placed there, the room has that ticket's properties, within the same batch too.
func TestUntrackedRoomTakesOnItsFirstPlayersProperties(t *testing.T) {
	h := newHarness(t, Config{MinPlayers: 3}, map[string]int{"arena": 8})
	info, _ := h.rooms.Create("arena", nil, false)
	h.rooms.set(info.ID, func(r *RoomInfo) { r.Players, r.State = 2, StateRunning })
	eu := h.submit(TicketRequest{Mode: "arena", Players: []string{"eu"}, Properties: map[string]string{"region": "eu"}})
	us := h.submit(TicketRequest{Mode: "arena", Players: []string{"us"}, Properties: map[string]string{"region": "us"}})
	eu2 := h.submit(TicketRequest{Mode: "arena", Players: []string{"eu2"}, Properties: map[string]string{"region": "eu"}})
	h.process()
	if got := h.get(eu.ID); got.RoomID != info.ID {
		t.Fatalf("first ticket %+v, want placed in the open room", got)
	}
	if got := h.get(eu2.ID); got.RoomID != info.ID {
		t.Fatalf("same region %+v, want placed in the open room", got)
	}
	if got := h.get(us.ID); got.Status != StatusQueued {
		t.Fatalf("other region %+v, want queued", got)
	}
}

// TestRoomRefusesSeats: with a SeatReserver, each placed player's seat is reserved in the room under its join token;
// a room that refuses (its seats went to quick play meanwhile) is skipped and the ticket goes elsewhere or stays
// queued, never placed without a seat.
func TestRoomRefusesSeats(t *testing.T) {
	h := newHarness(t, Config{MinPlayers: 2}, map[string]int{"arena": 4})
	rr := &reservingRooms{fakeRooms: h.rooms, full: map[string]bool{}}
	mm, err := New(h.mm.cfg, rr, h.tokens)
	if err != nil {
		t.Fatal(err)
	}
	h.mm = mm
	a, b := h.submit(solo("arena", "a")), h.submit(solo("arena", "b"))
	h.process()
	room := h.get(a.ID).RoomID
	if h.get(b.ID).RoomID != room || len(rr.reserved[room]) != 2 {
		t.Fatalf("a and b in %q/%q, reserved %v", room, h.get(b.ID).RoomID, rr.reserved)
	}
	for i, key := range rr.reserved[room] {
		if key != h.get([]string{a.ID, b.ID}[i]).Players[0].JoinToken {
			t.Fatalf("reservation %d is %q, want the player's join token", i, key)
		}
	}
	rr.full[room] = true // quick play filled it
	c := h.submit(solo("arena", "c"))
	h.process()
	if got := h.get(c.ID); got.Status != StatusQueued {
		t.Fatalf("c %+v: the only open room refused the seat, want queued", got)
	}
	d := h.submit(solo("arena", "d"))
	h.process()
	if gc, gd := h.get(c.ID), h.get(d.ID); gc.Status != StatusPlaced || gc.RoomID == room || gd.RoomID != gc.RoomID {
		t.Fatalf("c %+v d %+v: want both placed in a new room", gc, gd)
	}
}
