package directory

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/game/arena"
	tpb "github.com/tickwire/tickwire/proto"
	"github.com/tickwire/tickwire/server/internal/room"
	gproto "google.golang.org/protobuf/proto"
)

// nopSink is a connection that accepts everything and keeps nothing.
type nopSink struct{}

func (nopSink) OfferSnapshot(f *room.Frame, _ room.Tail) { f.Release() }
func (nopSink) SendReliable([]byte) bool                 { return true }
func (nopSink) Baseline() uint32                         { return 0 }
func (nopSink) Close(uint16, string)                     {}

// countsSink records, for every welcome and player event it is handed, the room's counts as the directory lists them
// at that moment (on the room goroutine, before the frame can reach anyone).
type countsSink struct {
	nopSink
	d    *Directory
	seen chan string
}

func (s *countsSink) SendReliable(b []byte) bool {
	var f tpb.ServerFrame
	if err := gproto.Unmarshal(b, &f); err != nil {
		s.seen <- "undecodable: " + err.Error()
		return true
	}
	what := "welcome"
	if ev := f.GetEvent(); ev != nil {
		what = ev.GetType()
	} else if f.GetWelcome() == nil {
		return true
	}
	ls := s.d.List(arena.Mode, true)
	if len(ls) != 1 {
		s.seen <- fmt.Sprintf("%s: %d rooms listed", what, len(ls))
		return true
	}
	s.seen <- fmt.Sprintf("%s: players %d connected %d", what, ls[0].Players, ls[0].Connected)
	return true
}

func newDir(t *testing.T, maxPlayers int) *Directory {
	d := New(Config{})
	if err := d.Register(Mode{Name: arena.Mode, Factory: arena.Factory, Room: room.Config{MaxPlayers: maxPlayers}}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := d.Close(ctx, "test over"); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return d
}

func TestQuickJoinFillsRoomsBeforeOpeningNew(t *testing.T) {
	d := newDir(t, 3)
	ctx := context.Background()
	seen := map[string]int{}
	for i := 0; i < 7; i++ {
		r, res, err := d.QuickJoin(ctx, arena.Mode, room.JoinRequest{Sink: nopSink{}, Name: "p", ResumeToken: []byte("t")})
		if err != nil {
			t.Fatal(err)
		}
		if res.Player == 0 {
			t.Fatal("no player id")
		}
		seen[r.ID()]++
	}
	if len(seen) != 3 || d.Len() != 3 {
		t.Fatalf("7 players in %d rooms (%v), want 3 rooms of at most 3", len(seen), seen)
	}
	for id, n := range seen {
		if n > 3 {
			t.Errorf("room %s got %d players, capacity 3", id, n)
		}
	}
	if _, _, err := d.QuickJoin(ctx, "chess", room.JoinRequest{Sink: nopSink{}}); !errors.Is(err, ErrUnknownMode) {
		t.Fatalf("unknown mode: %v", err)
	}
}

func TestPrivateRoomsAndRemoval(t *testing.T) {
	d := newDir(t, 4)
	priv, err := d.Create(arena.Mode, CreateOptions{Private: true, Settings: map[string]string{"score_limit": "3"}})
	if err != nil {
		t.Fatal(err)
	}
	r, _, err := d.QuickJoin(context.Background(), arena.Mode, room.JoinRequest{Sink: nopSink{}, Name: "p", ResumeToken: []byte("t")})
	if err != nil {
		t.Fatal(err)
	}
	if r.ID() == priv.ID() {
		t.Fatal("quick play chose a private room")
	}
	if n := len(d.List("", false)); n != 1 {
		t.Fatalf("%d public rooms listed, want 1", n)
	}
	if n := len(d.List(arena.Mode, true)); n != 2 {
		t.Fatalf("%d rooms listed with private ones, want 2", n)
	}
	priv.End("test")
	select {
	case <-priv.Done():
	case <-time.After(3 * time.Second):
		t.Fatal("room did not end")
	}
	for end := time.Now().Add(time.Second); d.Len() != 1; time.Sleep(time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("ended room still listed: %d rooms", d.Len())
		}
	}
	if _, ok := d.Get(priv.ID()); ok {
		t.Fatal("ended room still found")
	}
	if _, err := d.Create("chess", CreateOptions{}); !errors.Is(err, ErrUnknownMode) {
		t.Fatalf("create unknown mode: %v", err)
	}
	if err := d.Register(Mode{Name: arena.Mode, Factory: arena.Factory}); !errors.Is(err, ErrDuplicate) {
		t.Fatalf("duplicate mode: %v", err)
	}
}

// TestTickPhasesSpread: successive rooms get tick phases spread over the interval, none equal, all within it.
func TestTickPhasesSpread(t *testing.T) {
	interval := time.Second / 30
	const n = 64
	var buckets [8]int
	seen := map[time.Duration]bool{}
	for k := range uint64(n) {
		p := tickPhase(k, 30, 0)
		if p < 0 || p >= interval {
			t.Fatalf("phase %d = %v, outside [0, %v)", k, p, interval)
		}
		if seen[p] {
			t.Fatalf("phase %d = %v repeats", k, p)
		}
		seen[p] = true
		buckets[int(p*8/interval)]++
	}
	for i, c := range buckets {
		if c < n/8-2 || c > n/8+2 {
			t.Errorf("eighth %d of the interval holds %d of %d rooms: not spread", i, c, n)
		}
	}
}

// TestListingCountsWhatPlayersWereTold: when a player learns of a join, leave or disconnect (its welcome, a player
// event), the room list already counts it. Otherwise a client that lists rooms right after its welcome does not find
// itself, and a player_left observer still sees the seat taken.
func TestListingCountsWhatPlayersWereTold(t *testing.T) {
	d := newDir(t, 4)
	ctx := context.Background()
	watch := &countsSink{d: d, seen: make(chan string, 64)}
	join := func(sink room.Sink) (*Room, game.PlayerID) {
		r, res, err := d.QuickJoin(ctx, arena.Mode, room.JoinRequest{Sink: sink, Name: "p", ResumeToken: []byte("t")})
		if err != nil {
			t.Fatal(err)
		}
		return r, res.Player
	}
	aSink, cSink := nopSink{}, &nopSink{}
	r, a := join(aSink)
	join(watch)
	_, c := join(cSink)
	r.Disconnected(c, cSink)
	r.Leave(a, aSink)
	want := []string{
		"welcome: players 2 connected 2",
		"player_joined: players 2 connected 2", // its own join, announced to everyone
		"player_joined: players 3 connected 3",
		"player_disconnected: players 3 connected 2",
		"player_left: players 2 connected 1",
	}
	for i, w := range want {
		select {
		case got := <-watch.seen:
			if got != w {
				t.Fatalf("frame %d: %q, want %q", i, got, w)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("frame %d (%q) never came", i, w)
		}
	}
}

// TestQuickJoinSkipsReservedSeats: quick play never takes a seat reserved for a placed player; it opens another room
// instead, and the reservation's own join still finds its seat.
func TestQuickJoinSkipsReservedSeats(t *testing.T) {
	d := newDir(t, 2)
	ctx := context.Background()
	r, _, err := d.QuickJoin(ctx, arena.Mode, room.JoinRequest{Sink: nopSink{}, Name: "a", ResumeToken: []byte("t")})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Reserve(r.ID(), []string{"seat"}, time.Minute); err != nil {
		t.Fatalf("Reserve: %v", err)
	}
	for i := range 3 {
		q, _, err := d.QuickJoin(ctx, arena.Mode, room.JoinRequest{Sink: nopSink{}, Name: "q", ResumeToken: []byte("t")})
		if err != nil {
			t.Fatal(err)
		}
		if q.ID() == r.ID() {
			t.Fatalf("quick play %d took the reserved seat of %s", i, r.ID())
		}
	}
	if _, err := r.Join(ctx, room.JoinRequest{Sink: nopSink{}, Name: "b", ResumeToken: []byte("t"), Reservation: "seat"}); err != nil {
		t.Fatalf("the reservation's own join: %v", err)
	}
	if err := d.Reserve("nope", []string{"x"}, time.Minute); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Reserve in an unknown room: %v", err)
	}
}

// TestRoomCapHoldsUnderConcurrentCreation: creations that are admitted but not yet running count against the cap, so
// that many at once cannot take the room count past it.
func TestRoomCapHoldsUnderConcurrentCreation(t *testing.T) {
	const limit, tries = 5, 64
	d := New(Config{Admit: func(_ string, rooms, _ int) bool { return rooms < limit }})
	// A slow factory widens the window between admission and insertion.
	slow := func(cfg game.Config) (game.Sim, error) {
		time.Sleep(5 * time.Millisecond)
		return arena.Factory(cfg)
	}
	if err := d.Register(Mode{Name: arena.Mode, Factory: slow}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = d.Close(ctx, "test over")
	})
	errs := make(chan error, tries)
	for i := 0; i < tries; i++ {
		go func() {
			_, err := d.Create(arena.Mode, CreateOptions{})
			errs <- err
		}()
	}
	created, limited := 0, 0
	for i := 0; i < tries; i++ {
		switch err := <-errs; {
		case err == nil:
			created++
		case errors.Is(err, ErrLimited):
			limited++
		default:
			t.Errorf("Create: %v", err)
		}
	}
	if created != limit || limited != tries-limit || len(d.List(arena.Mode, true)) != limit {
		t.Errorf("created %d, limited %d, listed %d; want %d created and the rest limited", created, limited,
			len(d.List(arena.Mode, true)), limit)
	}
	// A failed creation gives its place back.
	d.mu.Lock()
	pending := d.pending
	d.mu.Unlock()
	if pending != 0 {
		t.Errorf("%d creations still pending", pending)
	}
}

// TestTickPhasesSlots: with n phases, every room ticks on one of n evenly spaced phases, and successive rooms fill
// them evenly.
func TestTickPhasesSlots(t *testing.T) {
	interval := time.Second / 30
	for _, slots := range []int{1, 2, 4} {
		count := map[time.Duration]int{}
		for k := range uint64(64) {
			p := tickPhase(k, 30, slots)
			step := interval / time.Duration(slots)
			if r := p % step; p < 0 || p >= interval || (r > time.Nanosecond && step-r > time.Nanosecond) {
				t.Fatalf("%d phases: room %d at %v, not a multiple of %v", slots, k, p, step)
			}
			count[p]++
		}
		if len(count) != slots {
			t.Fatalf("%d phases: rooms on %d distinct phases %v", slots, len(count), count)
		}
		for p, c := range count {
			if c < 64/slots-3 || c > 64/slots+3 {
				t.Errorf("%d phases: %d of 64 rooms at %v", slots, c, p)
			}
		}
	}
}
