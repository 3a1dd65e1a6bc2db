package attack

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/proto/snapcodec"
	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/tools/client"
)

// secretSim gives each player a hidden entity (id secretBase + player) that only its owner may see, through
// game.Visibility, plus a public marker per player.
type secretSim struct {
	tick    game.Tick
	players []game.PlayerID
}

const secretBase = 10000

func (s *secretSim) Schema() *game.Schema {
	return &game.Schema{Kinds: []game.KindSpec{
		{ID: 1, Name: "marker", Fields: []game.FieldSpec{{Name: "t"}}},
		{ID: 2, Name: "secret", Fields: []game.FieldSpec{{Name: "v"}}, Data: true},
	}, Input: []game.InputField{{Name: "x", Min: 0, Max: 1}}}
}

func (s *secretSim) Join(p game.Player) error {
	s.players = append(s.players, p.ID)
	return nil
}

func (s *secretSim) Leave(p game.PlayerID) {
	for i, q := range s.players {
		if q == p {
			s.players = append(s.players[:i], s.players[i+1:]...)
			return
		}
	}
}

func (s *secretSim) Disconnected(game.PlayerID)                       {}
func (s *secretSim) Resumed(game.PlayerID)                            {}
func (s *secretSim) ApplyInput(game.Tick, game.PlayerID, *game.Input) {}
func (s *secretSim) Step(t game.Tick, _ *game.Events)                 { s.tick = t }
func (s *secretSim) Result() (game.Result, bool)                      { return game.Result{}, false }

func (s *secretSim) AppendEntities(dst []game.Entity) []game.Entity {
	for _, p := range s.players {
		e := game.Entity{ID: uint32(p), Kind: 1}
		e.Fields[0] = int32(s.tick)
		dst = append(dst, e)
	}
	for _, p := range s.players {
		e := game.Entity{ID: secretBase + uint32(p), Kind: 2}
		e.Fields[0] = int32(s.tick) * int32(p)
		e.SetData(fmt.Appendf(nil, "secret-of-%d", p))
		dst = append(dst, e)
	}
	return dst
}

func (s *secretSim) ViewKey(p game.PlayerID) uint64 { return uint64(p) }

func (s *secretSim) AppendView(dst, world []game.Entity, p game.PlayerID, _ uint64) []game.Entity {
	for _, e := range world {
		if e.Kind == 2 && e.ID != secretBase+uint32(p) {
			continue
		}
		dst = append(dst, e)
	}
	return dst
}

// peeker counts the snapshots in which a client held another player's secret.
type peeker struct {
	client.NopHandler
	leaks atomic.Int64
}

func (h *peeker) OnSnapshot(c *client.Client, w *snapcodec.World, _ uint32) {
	me := c.PlayerID()
	for _, e := range w.Entities {
		if e.Kind == 2 && e.ID != secretBase+me {
			h.leaks.Add(1)
		}
	}
}

// Players of a hidden-information game who churn their connections (drops and resumes, each bringing a full
// snapshot of their view) and spam acks never receive another player's hidden entity, and the arena bots playing
// alongside keep their snapshots and inputs.
func TestAttackHiddenViews(t *testing.T) {
	e := Start(t, attackConfig(), Options{})
	if err := e.Srv.RegisterGame("secrets", func(game.Config) (game.Sim, error) { return &secretSim{}, nil },
		server.GameOptions{MaxPlayers: 8}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	const n = 6
	cs := make([]*client.Client, n)
	ps := make([]*peeker, n)
	for i := range cs {
		ps[i] = &peeker{}
		c, err := client.Dial(ctx, client.Config{URL: e.URL, Mode: "secrets", Name: fmt.Sprint("peek", i),
			Handler: ps[i], LocalAddr: SourceIP(2, i)})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		cs[i] = c
	}
	for round := 0; round < 20 && ctx.Err() == nil; round++ {
		for i, c := range cs {
			if (round+i)%4 == 0 {
				c.Drop()
			} else {
				for range 5 {
					_ = c.Ack()
				}
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	var snaps, resumes int64
	for i, c := range cs {
		snaps += c.Stats().Snapshots.Load()
		resumes += int64(c.Resumes())
		if l := ps[i].leaks.Load(); l != 0 {
			t.Errorf("player %d held another player's secret in %d snapshots", c.PlayerID(), l)
		}
		if d := c.Stats().DecodeErrors.Load(); d != 0 {
			t.Errorf("player %d: %d decode errors", c.PlayerID(), d)
		}
	}
	t.Logf("%d snapshots to the churning players, %d resumes", snaps, resumes)
	if snaps == 0 || resumes == 0 {
		t.Errorf("the attack did not run: %d snapshots, %d resumes", snaps, resumes)
	}
	e.Finish()
}
