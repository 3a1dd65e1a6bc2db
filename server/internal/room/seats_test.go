package room

import (
	"errors"
	"testing"
	"time"
)

// TestReservedSeatsAreNotTakenByOthers: a join without a reservation of its own (quick play) never takes a reserved
// seat; the reservation's own join does, once; an expired reservation frees its seat.
func TestReservedSeatsAreNotTakenByOthers(t *testing.T) {
	h := startRoom(t, Config{MaxPlayers: 3}, newLineSim())
	h.join("a")
	if err := h.r.Reserve([]string{"k1", "k2"}, 10*time.Second); err != nil {
		t.Fatalf("Reserve: %v", err)
	}
	if info := h.r.Info(); info.Players != 1 || info.Reserved != 2 {
		t.Fatalf("Info players %d reserved %d, want 1 and 2", info.Players, info.Reserved)
	}
	for _, key := range []string{"", "k3", "wrong"} {
		if _, err := h.r.Join(t.Context(), JoinRequest{Sink: newFakeSink(t), Name: "q", Reservation: key}); !errors.Is(err, ErrFull) {
			t.Fatalf("join with reservation %q into reserved seats: %v, want ErrFull", key, err)
		}
	}
	if err := h.r.Reserve([]string{"k3"}, time.Second); !errors.Is(err, ErrFull) {
		t.Fatalf("reserving past capacity: %v, want ErrFull", err)
	}
	if _, err := h.r.Join(t.Context(), JoinRequest{Sink: newFakeSink(t), Name: "b", Reservation: "k1"}); err != nil {
		t.Fatalf("join with its reservation: %v", err)
	}
	if info := h.r.Info(); info.Players != 2 || info.Reserved != 1 {
		t.Fatalf("Info players %d reserved %d, want 2 and 1", info.Players, info.Reserved)
	}
	// k1 was used: presenting it again is a plain join, and k2's seat stays k2's.
	if _, err := h.r.Join(t.Context(), JoinRequest{Sink: newFakeSink(t), Name: "b2", Reservation: "k1"}); !errors.Is(err, ErrFull) {
		t.Fatalf("second join with a used reservation: %v, want ErrFull", err)
	}
	// Expiry releases k2's seat: quick play may take it now, and k2 itself no longer has a seat held.
	h.clk.Advance(10 * time.Second)
	if n := h.r.Reserved(); n != 0 {
		t.Fatalf("%d reservations after expiry, want 0", n)
	}
	if _, err := h.r.Join(t.Context(), JoinRequest{Sink: newFakeSink(t), Name: "q"}); err != nil {
		t.Fatalf("quick play after the reservation expired: %v", err)
	}
	if _, err := h.r.Join(t.Context(), JoinRequest{Sink: newFakeSink(t), Name: "c", Reservation: "k2"}); !errors.Is(err, ErrFull) {
		t.Fatalf("join with an expired reservation into a full room: %v, want ErrFull", err)
	}
}

// TestReservationReleasedOnlyByItsJoinOrExpiry: leaves and refused joins do not release a reservation, a departure
// frees a seat for a plain join only when no reservation claims it, and duplicate keys are refused whole.
func TestReservationReleasedOnlyByItsJoinOrExpiry(t *testing.T) {
	h := startRoom(t, Config{MaxPlayers: 2}, newLineSim())
	if err := h.r.Reserve([]string{"k", "k"}, time.Minute); !errors.Is(err, ErrReserved) {
		t.Fatalf("duplicate keys: %v, want ErrReserved", err)
	}
	s, p := h.join("a")
	if err := h.r.Reserve([]string{"k"}, time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := h.r.Reserve([]string{"k"}, time.Minute); !errors.Is(err, ErrFull) {
		t.Fatalf("reserving a full room: %v", err)
	}
	h.r.Leave(p, s)
	h.r.sync()
	if info := h.r.Info(); info.Players != 0 || info.Reserved != 1 {
		t.Fatalf("after a leave: players %d reserved %d, want 0 and 1", info.Players, info.Reserved)
	}
	// One seat is free and one is k's: a single plain join fits, a second does not.
	if _, err := h.r.Join(t.Context(), JoinRequest{Sink: newFakeSink(t), Name: "q1"}); err != nil {
		t.Fatalf("plain join into the free seat: %v", err)
	}
	if _, err := h.r.Join(t.Context(), JoinRequest{Sink: newFakeSink(t), Name: "q2"}); !errors.Is(err, ErrFull) {
		t.Fatalf("plain join into k's seat: %v, want ErrFull", err)
	}
	h.clk.Advance(59 * time.Second)
	if _, err := h.r.Join(t.Context(), JoinRequest{Sink: newFakeSink(t), Name: "k", Reservation: "k"}); err != nil {
		t.Fatalf("k's own join before expiry: %v", err)
	}
	if info := h.r.Info(); info.Players != 2 || info.Reserved != 0 {
		t.Fatalf("players %d reserved %d, want 2 and 0", info.Players, info.Reserved)
	}
}
