package room

import (
	"errors"
	"fmt"
	"sync"
	"time"
)

// ErrReserved: a reservation key is already held in the room.
var ErrReserved = errors.New("room: reservation key already held")

// seatBook counts the room's seats: the slots players hold and the seats reserved for players on their way (placed
// by the matchmaker, holding a join token). A reservation is released only by a join that presents its key, or by
// its expiry; a join without a live reservation of its own (quick play, a service join) takes only a seat that is
// neither held nor reserved. The loop and Reserve both change it, so the check and the change are one step under
// mu, and a seat is never promised twice.
type seatBook struct {
	mu       sync.Mutex
	capacity int                  // static after construction
	taken    int                  // slots held: the loop's len(players)
	reserved map[string]time.Time // key → expiry
}

// pruneLocked drops the reservations expired at now.
func (s *seatBook) pruneLocked(now time.Time) {
	for k, until := range s.reserved {
		if !now.Before(until) {
			delete(s.reserved, k)
		}
	}
}

// Reserve holds one seat per key until ttl has passed, for the players who will join with those keys
// (JoinRequest.Reservation): either every seat is reserved or none is. It fails with ErrFull when the room lacks the
// free seats (slots held and live reservations count), ErrEnded when the room is over, ErrReserved when a key is
// held already. Safe from any goroutine; never waits for the loop.
func (r *Room) Reserve(keys []string, ttl time.Duration) error {
	if State(r.stateA.Load()) == StateEnded {
		return ErrEnded
	}
	if ttl <= 0 {
		return fmt.Errorf("%w: reservation lifetime %v", ErrRejected, ttl)
	}
	now := r.cfg.Clock.Now()
	s := &r.seats
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pruneLocked(now)
	if s.taken+len(s.reserved)+len(keys) > s.capacity {
		return ErrFull
	}
	for i, k := range keys {
		if _, dup := s.reserved[k]; dup || k == "" || containsBefore(keys, i) {
			return ErrReserved
		}
	}
	if s.reserved == nil {
		s.reserved = make(map[string]time.Time)
	}
	for _, k := range keys {
		s.reserved[k] = now.Add(ttl)
	}
	return nil
}

func containsBefore(keys []string, i int) bool {
	for _, k := range keys[:i] {
		if k == keys[i] {
			return true
		}
	}
	return false
}

// Reserved returns the number of live reservations. Safe from any goroutine.
func (r *Room) Reserved() int {
	now := r.cfg.Clock.Now()
	s := &r.seats
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pruneLocked(now)
	return len(s.reserved)
}

// takeSeat claims a seat for a join (run by the loop): the join's own live reservation, else a seat neither held nor
// reserved. It returns whether a reservation was used, for giveSeat.
func (r *Room) takeSeat(key string) (reserved bool, ok bool) {
	now := r.cfg.Clock.Now()
	s := &r.seats
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pruneLocked(now)
	if _, mine := s.reserved[key]; mine && key != "" {
		delete(s.reserved, key)
		s.taken++
		return true, true
	}
	if s.taken+len(s.reserved) >= s.capacity {
		return false, false
	}
	s.taken++
	return false, true
}

// giveSeat undoes takeSeat for a join the game refused: the seat, and the reservation it used (with its expiry), are
// free again.
func (r *Room) giveSeat(key string, reserved bool, until time.Time) {
	s := &r.seats
	s.mu.Lock()
	defer s.mu.Unlock()
	s.taken--
	if reserved {
		if s.reserved == nil {
			s.reserved = make(map[string]time.Time)
		}
		s.reserved[key] = until
	}
}

// leaveSeat frees a slot for good (run by the loop when a player is removed).
func (r *Room) leaveSeat() {
	s := &r.seats
	s.mu.Lock()
	s.taken--
	s.mu.Unlock()
}

// reservationExpiry returns when key's reservation expires (zero: none). For giveSeat.
func (r *Room) reservationExpiry(key string) time.Time {
	s := &r.seats
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reserved[key]
}
