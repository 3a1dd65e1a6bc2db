package client_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"time"

	"github.com/tickwire/tickwire/game/arena"
	"github.com/tickwire/tickwire/proto/snapcodec"
	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/tools/client"
)

// A program that plays: it starts a Tickwire server with the arena in this process (a real program would connect to
// one running elsewhere), joins the arena, runs right for 30 ticks, one input per tick at the time the client's input
// clock gives, and waits until the room has applied them all.
func Example() {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	// The server: the arena on a loopback port, no admin listener.
	cfg := server.DefaultConfig()
	cfg.AdminAddr = ""
	srv, err := server.New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		panic(err)
	}
	if err := srv.RegisterGame(arena.Mode, arena.Factory, server.GameOptions{}); err != nil {
		panic(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln) }()

	// The client: Dial connects, sends Hello and Join and returns once Welcome has arrived.
	c, err := client.Dial(ctx, client.Config{URL: "ws://" + ln.Addr().String() + "/ws", Mode: arena.Mode, Name: "example"})
	if err != nil {
		panic(err)
	}
	fmt.Println("protocol version:", c.Welcome().GetProtocolVersion().Number())
	fmt.Println("mode:", c.Welcome().GetMode())

	// One input per tick, sent when the input clock wants it. An input that could not be sent now (the client is
	// resuming a dropped connection, too many are unacknowledged, or the clock is not at the next tick yet) takes no
	// sequence number: try again at the next tick.
	tick := time.Second / time.Duration(c.Welcome().GetTickRate())
	for sent := 0; sent < 30 && ctx.Err() == nil; {
		if at := c.NextInputAt(); at.IsZero() {
			time.Sleep(tick) // not joined: resuming
		} else {
			time.Sleep(time.Until(at))
		}
		_, _, err := c.SendInputTick([]int32{1, 0, 0, 0}) // dx, dy, aim, fire: run right
		switch {
		case err == nil:
			sent++
		case errors.Is(err, client.ErrNotConnected), errors.Is(err, client.ErrInputBacklog), errors.Is(err, client.ErrInputEarly):
		default:
			panic(err) // the client has ended: c.Err() says why (a *client.DisconnectError for the server's close codes)
		}
	}
	// Close waits until the server has acknowledged the inputs in flight, then leaves the room. Every input ends as
	// exactly one of: applied (acknowledged), late (the room had run its tick: dropped, reported), or lost.
	if err := c.Close(); err != nil {
		panic(err)
	}
	fmt.Println("player in the world:", playerInWorld(c)) // the world as the last snapshot left it
	st := c.Stats()
	fmt.Println("inputs sent:", st.InputsSent.Load())
	fmt.Println("each applied or reported late:", st.InputsAcked.Load()+st.InputsLate.Load() == 30 && st.InputsLost.Load() == 0)
	fmt.Println("snapshots checked against the server's hash:", st.HashChecks.Load() > 0 && st.WorldMismatches.Load() == 0)

	cancel()
	<-served
	// Output:
	// protocol version: 2
	// mode: arena
	// player in the world: true
	// inputs sent: 30
	// each applied or reported late: true
	// snapshots checked against the server's hash: true
}

// playerInWorld reports whether the client's player is an entity of its latest world (the room rebuilt from full
// and delta snapshots).
func playerInWorld(c *client.Client) bool {
	id, found := c.PlayerID(), false
	c.WithWorld(func(w *snapcodec.World) { // under the client's lock: f must not call the Client
		for _, e := range w.Entities {
			found = found || e.ID == id
		}
	})
	return found
}
