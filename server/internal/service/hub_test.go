package service

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"
)

func recv(t *testing.T, s *Subscriber) Event {
	t.Helper()
	select {
	case b := <-s.Events():
		var ev Event
		if err := json.Unmarshal(b, &ev); err != nil {
			t.Fatal(err)
		}
		return ev
	case <-time.After(2 * time.Second):
		t.Fatal("no event")
	}
	return Event{}
}

func none(t *testing.T, s *Subscriber) {
	t.Helper()
	select {
	case b := <-s.Events():
		t.Fatalf("unexpected event %s", b)
	default:
	}
}

func TestHubFilters(t *testing.T) {
	h := NewHub(HubConfig{})
	all, _ := h.Subscribe(Filter{})
	room1, _ := h.Subscribe(Filter{Rooms: []string{"r1"}})
	duel, _ := h.Subscribe(Filter{Modes: []string{"duel"}})
	ends, _ := h.Subscribe(Filter{Modes: []string{"arena"}, Types: []string{EventMatchEnded}})

	h.Publish(Event{Type: EventPlayerJoined, RoomID: "r1", Mode: "arena", Player: "a"})
	h.Publish(Event{Type: EventPlayerJoined, RoomID: "r2", Mode: "duel", Player: "b"})
	h.Publish(Event{Type: EventMatchEnded, RoomID: "r1", Mode: "arena", Results: []PlayerScore{{PlayerID: 1, Name: "a", Score: 3, Rank: 1}}})

	for i, want := range []string{"r1", "r2", "r1"} {
		if ev := recv(t, all); ev.RoomID != want || ev.Seq != uint64(i+1) {
			t.Fatalf("all: event %d = %+v, want room %s seq %d", i, ev, want, i+1)
		}
	}
	if ev := recv(t, room1); ev.Type != EventPlayerJoined || ev.Player != "a" {
		t.Fatalf("room1 first: %+v", ev)
	}
	if ev := recv(t, room1); ev.Type != EventMatchEnded {
		t.Fatalf("room1 second: %+v", ev)
	}
	none(t, room1)
	if ev := recv(t, duel); ev.RoomID != "r2" {
		t.Fatalf("duel: %+v", ev)
	}
	none(t, duel)
	if ev := recv(t, ends); ev.Type != EventMatchEnded || len(ev.Results) != 1 || ev.Results[0].Score != 3 {
		t.Fatalf("ends: %+v", ev)
	}
	none(t, ends)
	h.Unsubscribe(all)
	h.Publish(Event{Type: EventPlayerLeft, RoomID: "r1", Mode: "arena"})
	none(t, all)
	if h.Subscribers() != 3 {
		t.Fatalf("%d subscribers, want 3", h.Subscribers())
	}
}

func TestHubDropsSlowSubscriberWithoutBlocking(t *testing.T) {
	h := NewHub(HubConfig{Queue: 8})
	slow, _ := h.Subscribe(Filter{})
	fast, _ := h.Subscribe(Filter{})
	done := make(chan error, 1)
	go func() {
		for i := range 1000 {
			h.Publish(Event{Type: EventPlayerJoined, RoomID: "r1", Tick: uint32(i)})
			// The fast subscriber keeps up; the slow one never reads.
			var ev Event
			if err := json.Unmarshal(<-fast.Events(), &ev); err != nil || ev.Tick != uint32(i) {
				done <- fmt.Errorf("fast got tick %d (%v), want %d", ev.Tick, err, i)
				return
			}
		}
		done <- nil
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Publish blocked on a subscriber that does not read")
	}
	select {
	case <-slow.Dropped():
	default:
		t.Fatal("the slow subscriber was not dropped")
	}
	select {
	case <-fast.Dropped():
		t.Fatal("the reading subscriber was dropped")
	default:
	}
	if len(slow.Events()) != 8 {
		t.Fatalf("slow subscriber holds %d events, want its queue bound 8", len(slow.Events()))
	}
	if h.Dropped() != 1 {
		t.Fatalf("Dropped() = %d, want 1", h.Dropped())
	}
}

func TestHubLimitAndConcurrency(t *testing.T) {
	h := NewHub(HubConfig{MaxSubscribers: 2, Queue: 4})
	a, _ := h.Subscribe(Filter{})
	if _, err := h.Subscribe(Filter{}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Subscribe(Filter{}); err != ErrTooManySubscribers {
		t.Fatalf("third subscriber: %v, want ErrTooManySubscribers", err)
	}
	h.Unsubscribe(a)
	// Publishers on several goroutines while subscribers come and go (run with -race).
	var wg sync.WaitGroup
	for p := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 500 {
				h.Publish(Event{Type: EventPlayerJoined, RoomID: fmt.Sprint("r", p), Tick: uint32(i)})
			}
		}()
	}
	for range 100 {
		if s, err := h.Subscribe(Filter{Rooms: []string{"r1"}}); err == nil {
			h.Unsubscribe(s)
		}
	}
	wg.Wait()
	if got := h.Seq(); got != 2000 {
		t.Fatalf("Seq = %d, want 2000", got)
	}
}
