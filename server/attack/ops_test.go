package attack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/game/arena"
	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/tools/client"
)

// stuckSim is an arena whose Step blocks, once stuck is set, until release is closed: game code in an endless loop.
type stuckSim struct {
	game.Sim
	stuck   *atomic.Bool
	entered chan struct{} // closed when a Step blocked
	release <-chan struct{}
}

func (s *stuckSim) Step(t game.Tick, ev *game.Events) {
	if s.stuck.Load() {
		close(s.entered)
		<-s.release
	}
	s.Sim.Step(t, ev)
}

// A game whose simulation gets stuck in Step: the watchdog fails its room, whose players get 4510 (ROOM_FAILED,
// terminal), while the bots in the other room keep their snapshots and inputs; the abandoned goroutine ends when
// the Step returns.
func TestAttackStuckSim(t *testing.T) {
	cfg := attackConfig()
	cfg.StallTimeout = 500 * time.Millisecond
	e := Start(t, cfg, Options{})
	var stuck atomic.Bool
	entered, release := make(chan struct{}), make(chan struct{})
	t.Cleanup(func() { close(release) })
	var sims atomic.Int32
	err := e.Srv.RegisterGame("stuck", func(gc game.Config) (game.Sim, error) {
		sim, err := arena.Factory(gc)
		if err != nil {
			return nil, err
		}
		if sims.Add(1) > 1 {
			return nil, errors.New("one stuck room only")
		}
		return &stuckSim{Sim: sim, stuck: &stuck, entered: entered, release: release}, nil
	}, server.GameOptions{MaxPlayers: 4})
	if err != nil {
		t.Fatal(err)
	}
	const victims = 3
	var cs []*client.Client
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for i := 0; i < victims; i++ {
		d := DialFrom(SourceIP(0, i))
		c, err := client.Dial(ctx, client.Config{URL: e.URL, Mode: "stuck", Name: fmt.Sprintf("victim%d", i),
			ClientName: "attack-victim", PingInterval: time.Second, NetDial: d.DialContext})
		if err != nil {
			t.Fatalf("victim %d: %v", i, err)
		}
		defer c.Close()
		cs = append(cs, c)
	}
	for i, c := range cs {
		for n := 0; c.Tick() == 0; n++ {
			if n == 2000 {
				t.Fatalf("victim %d received no snapshot", i)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	stuck.Store(true)
	select {
	case <-entered:
	case <-time.After(20 * time.Second):
		t.Fatal("the stuck room never ran its Step")
	}
	for i, c := range cs {
		select {
		case <-c.Done():
		case <-time.After(20 * time.Second):
			t.Fatalf("victim %d still connected to the stuck room", i)
		}
		var de *client.DisconnectError
		if err := c.Err(); !errors.As(err, &de) || de.Code != 4510 || de.Reconnect {
			t.Errorf("victim %d ended with %v, want 4510 (terminal)", i, err)
		}
	}
	// The players are closed first; the room_error event (which counts the failure) and the directory forgetting the
	// room follow on other goroutines: wait for them (bounded).
	failed := func() float64 { return e.Counter("tickwire_rooms_failed_total", "reason", "stalled") }
	for i := 0; i < 1000 && (failed() != 1 || len(e.Srv.Rooms("stuck", true)) != 0); i++ {
		time.Sleep(10 * time.Millisecond)
	}
	if n := failed(); n != 1 {
		t.Errorf("tickwire_rooms_failed_total{reason=stalled} = %v, want 1", n)
	}
	for _, r := range e.Srv.Rooms("stuck", true) {
		t.Errorf("the stuck room is still listed: %+v", r)
	}
	e.Mem("after the stuck room failed")
	e.Finish()
}

// A game factory that panics: creating a room of its mode fails with a clear error (in-process, over the service
// API, and for a quick-play join), the process lives on, and the bots play on.
func TestAttackPanickingFactory(t *testing.T) {
	cfg := attackConfig()
	cfg.ServiceAPIKey = "ops-key"
	cfg.ServiceAPIOn = "public" // the harness serves the public port only
	e := Start(t, cfg, Options{})
	var calls atomic.Int32
	if err := e.Srv.RegisterGame("broken", func(game.Config) (game.Sim, error) {
		calls.Add(1)
		panic("broken game: nil map")
	}, server.GameOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Srv.CreateRoom("broken", nil, false); err == nil || !strings.Contains(err.Error(), "game factory panicked: broken game: nil map") {
		t.Errorf("CreateRoom: %v", err)
	}
	req, _ := http.NewRequest("POST", e.HTTP+"/v1/service/rooms", strings.NewReader(`{"mode":"broken"}`))
	req.Header.Set("X-API-Key", "ops-key")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), "game factory panicked") {
		t.Errorf("service API create: %d %s", resp.StatusCode, body)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	d := DialFrom(SourceIP(0, 0))
	c, err := client.Dial(ctx, client.Config{URL: e.URL, Mode: "broken", Name: "unlucky", ClientName: "attack-victim",
		NetDial: d.DialContext})
	var de *client.DisconnectError
	if err == nil {
		c.Close()
		t.Error("a quick-play join into the broken mode succeeded")
	} else if !errors.As(err, &de) || de.Code != 4510 || de.Reconnect {
		t.Errorf("quick-play join into the broken mode: %v, want 4510 (terminal)", err)
	}
	if n := calls.Load(); n < 3 {
		t.Errorf("the factory ran %d times, want every attempt to reach it", n)
	}
	e.Finish()
}
