package server_test

import (
	"context"
	"errors"
	"net"
	"sync/atomic"
	"testing"
	"time"

	twclient "github.com/tickwire/tickwire/tools/client"
)

// A room moves from one server to another in the same process (ExportRoom, ImportRoom): the player, closed with 1001
// by the first, resumes on the second with its token (its dialer now reaches the second server) and plays on. Every
// input it sent is applied exactly once or reported late: none lost, none applied twice.
func TestRoomMovesToAnotherServer(t *testing.T) {
	a := startServer(t, testConfig())
	b := startServer(t, testConfig())
	// Once the room is on its way, the player's dialer reaches the second server, and only when the room is there:
	// as a redirect would send it (a node answers with the room's new address once it runs there). Dialing the
	// first server again would get 4504 (it no longer knows the token), a terminal refusal.
	var moving atomic.Bool
	imported := make(chan struct{})
	dial := func(ctx context.Context, network, _ string) (net.Conn, error) {
		addr := a.addr
		if moving.Load() {
			select {
			case <-imported:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
			addr = b.addr
		}
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := twclient.Dial(ctx, twclient.Config{URL: "ws://" + a.addr + "/ws", Name: "mover", NetDial: dial})
	if err != nil {
		t.Fatal(err)
	}
	roomID := c.Welcome().GetRoomId()
	play := func(n int) {
		for i := 0; i < n; {
			if ctx.Err() != nil {
				t.Fatal("timed out playing")
			}
			_, err := c.SendInput([]int32{1, int32(i%3) - 1, int32(i * 777 & 0xffff), int32(i % 2)})
			switch {
			case err == nil:
				i++
			case errors.Is(err, twclient.ErrInputEarly), errors.Is(err, twclient.ErrNotConnected),
				errors.Is(err, twclient.ErrInputBacklog):
			default:
				t.Fatal(err)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	play(40)
	moving.Store(true)
	ex, err := a.srv.ExportRoom(ctx, roomID)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := ex.MarshalBinary()
	t.Logf("exported room %s at tick %d: %d bytes", roomID, ex.Tick, len(raw))
	if err := b.srv.ImportRoom(ex); err != nil {
		t.Fatal(err)
	}
	close(imported)
	play(60)
	if err := c.Close(); err != nil {
		t.Logf("close: %v", err)
	}
	s := c.Stats()
	sent, acked, late, lost := s.InputsSent.Load(), s.InputsAcked.Load(), s.InputsLate.Load(), s.InputsLost.Load()
	t.Logf("inputs sent %d acked %d late %d lost %d resent %d; resumes %d", sent, acked, late, lost,
		s.InputsResent.Load(), c.Resumes())
	if c.Resumes() < 1 || lost != 0 || acked+late != sent || s.AckRegress.Load() != 0 || s.TicksMulti.Load() != 0 {
		t.Fatalf("after the move: resumes %d, sent %d acked %d late %d lost %d, ack regressions %d, ticks with two "+
			"inputs %d", c.Resumes(), sent, acked, late, lost, s.AckRegress.Load(), s.TicksMulti.Load())
	}
	rooms := b.srv.Rooms("arena", true)
	if len(rooms) != 1 || rooms[0].ID != roomID || rooms[0].Tick <= ex.Tick {
		t.Fatalf("rooms on the second server: %+v", rooms)
	}
	if len(a.srv.Rooms("arena", true)) != 0 {
		t.Fatalf("the first server still runs %+v", a.srv.Rooms("arena", true))
	}
}
