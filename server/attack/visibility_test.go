package attack

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tickwire/tickwire/game/cards"
	"github.com/tickwire/tickwire/proto"
	"github.com/tickwire/tickwire/proto/snapcodec"
	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/tools/client"
)

// peeker counts the snapshots in which a client held another player's hidden card, and the cards drawn that were
// announced to it though another player drew them.
type peeker struct {
	client.NopHandler
	leaks atomic.Int64
	own   atomic.Int64 // snapshots holding cards of its own hand
}

func (h *peeker) OnSnapshot(c *client.Client, w *snapcodec.World, _ uint32) {
	me := int32(c.PlayerID())
	own := false
	for _, e := range w.Entities {
		if e.Kind == cards.KindCard && e.Fields[cards.CardWhere] == cards.WhereHand {
			if e.Fields[cards.CardOwner] != me {
				h.leaks.Add(1)
			}
			own = true
		}
	}
	if own {
		h.own.Add(1)
	}
}

func (h *peeker) OnEvent(c *client.Client, ev *proto.Event) {
	if ev.GetType() == cards.EventDrawn && ev.GetPlayerId() != c.PlayerID() {
		h.leaks.Add(1)
	}
}

// Players of a hidden-information game (game/cards, hands dealt, the turn timer drawing cards every second) who churn their connections (drops and resumes, each bringing a full
// snapshot of their view) and spam acks never receive another player's hidden entity, and the arena bots playing
// alongside keep their snapshots and inputs.
func TestAttackHiddenViews(t *testing.T) {
	e := Start(t, attackConfig(), Options{})
	if err := e.Srv.RegisterGame(cards.Mode, cards.Factory, server.GameOptions{MaxPlayers: 2,
		Settings: map[string]string{"seats": "2", "turn_s": "1"}}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	const n = 6
	cs := make([]*client.Client, n)
	ps := make([]*peeker, n)
	for i := range cs {
		ps[i] = &peeker{}
		c, err := client.Dial(ctx, client.Config{URL: e.URL, Mode: cards.Mode, Name: fmt.Sprint("peek", i),
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
			t.Errorf("player %d held another player's hidden card in %d snapshots or events", c.PlayerID(), l)
		}
		if ps[i].own.Load() == 0 {
			t.Errorf("player %d never held its own hand", c.PlayerID())
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
