package room

import (
	"testing"
	"time"

	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/game/arena"
)

// The seats reserved in a room move with it, each with the lifetime it had left; a player who joins the imported
// room with its key takes its reserved seat, and an export with no reservation encodes as before.
func TestExportCarriesReservations(t *testing.T) {
	h := playJournaled(t, Config{CheckpointEvery: 100}, 40)
	if err := h.r.Reserve([]string{"key-a", "key-b"}, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	h.clk.Advance(4 * time.Second)
	ex, err := h.r.Export(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := ex.MarshalBinary()
	var ex2 Export
	if err := ex2.UnmarshalBinary(raw); err != nil {
		t.Fatal(err)
	}
	want := []ExportedReservation{{Key: "key-a", TTL: 6 * time.Second}, {Key: "key-b", TTL: 6 * time.Second}}
	if len(ex2.Reserved) != 2 || ex2.Reserved[0] != want[0] || ex2.Reserved[1] != want[1] {
		t.Fatalf("exported reservations %+v, want %+v", ex2.Reserved, want)
	}

	sim, err := arena.Factory(game.Config{Seed: 7, TickRate: 30, MaxPlayers: 16})
	if err != nil {
		t.Fatal(err)
	}
	clk := newFakeClock()
	r2, err := Import(Config{Clock: clk, Logger: h.r.cfg.Logger, CheckpointEvery: 100}, sim, &ex2)
	if err != nil {
		t.Fatal(err)
	}
	if tick, hash, ok := r2.Imported(); !ok || tick != ex.Tick || hash != ex.Hash {
		t.Errorf("imported at tick %d hash %016x (%v), exported at %d %016x", tick, hash, ok, ex.Tick, ex.Hash)
	}
	if got := r2.Reserved(); got != 2 {
		t.Fatalf("imported room: %d reservations, want 2", got)
	}
	if err := r2.Reserve([]string{"key-a"}, time.Second); err != ErrReserved {
		t.Errorf("reserving a moved key again: %v, want ErrReserved", err)
	}
	go r2.Run()
	t.Cleanup(func() { r2.End("test_cleanup"); <-r2.Done() })
	if _, err := r2.Join(t.Context(), JoinRequest{Sink: newFakeSink(t), Name: "late", ResumeToken: []byte("tok-late"),
		Reservation: "key-a"}); err != nil {
		t.Fatal(err)
	}
	if got := r2.Reserved(); got != 1 {
		t.Errorf("after the join with its key: %d reservations, want 1", got)
	}
	clk.Advance(7 * time.Second) // past the lifetime key-b had left
	if got := r2.Reserved(); got != 0 {
		t.Errorf("after its lifetime: %d reservations, want 0", got)
	}

	// Without reservations the encoding ends after the players, as it did before reservations moved.
	ex2.Reserved = nil
	b1, _ := ex2.MarshalBinary()
	var ex3 Export
	if err := ex3.UnmarshalBinary(b1); err != nil || len(ex3.Reserved) != 0 {
		t.Fatalf("export without reservations: %v %+v", err, ex3.Reserved)
	}
}
