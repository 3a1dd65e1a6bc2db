package cluster_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tickwire/tickwire/game/arena"
	"github.com/tickwire/tickwire/proto"
	"github.com/tickwire/tickwire/proto/snapcodec"
	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/tools/client"
)

// serviceKey is the service API key of the nodes of the migration tests.
const serviceKey = "migration-test-key"

// moveRoom asks node n's service API to move room id to node to ("": the one with the most headroom).
func moveRoom(t testing.TB, n *node, id, to string) (status int, body map[string]any) {
	t.Helper()
	b, _ := json.Marshal(map[string]string{"node": to})
	req, err := http.NewRequest(http.MethodPost, "http://"+n.addr+"/v1/service/rooms/"+id+"/move", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-API-Key", serviceKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body = map[string]any{}
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body
}

// roomOn reports whether node n runs room id (private rooms included), and its listing.
func roomOn(n *node, id string) (server.RoomInfo, bool) {
	for _, r := range n.srv.Rooms(arena.Mode, true) {
		if r.ID == id {
			return r, true
		}
	}
	return server.RoomInfo{}, false
}

// whereIs returns the node among nodes that runs room id (nil: none).
func whereIs(nodes []*node, id string) *node {
	for _, n := range nodes {
		if _, ok := roomOn(n, id); ok {
			return n
		}
	}
	return nil
}

// bot is a light player for the scale tests: one driver goroutine runs many bots, each sending an input every
// inputEvery; its handler watches the ticks of its snapshots across connections (the pause a move costs it).
type bot struct {
	c    *client.Client
	room string
	w    *tickWatch

	// Owned by the driver goroutine.
	next time.Time
	err  error
}

// tickWatch is a client.Handler that records each change of connection after the first (a resume): the last
// snapshot tick before it, the first after it, and the time between those two snapshots.
type tickWatch struct {
	client.NopHandler

	mu          sync.Mutex
	welcomes    int
	lastTick    uint32
	lastAt      time.Time
	resumed     bool // the last Welcome resumed the player
	waitingNext bool // a new connection's first snapshot is due
	moves       []connChange
}

// connChange is one change of connection seen by a tickWatch.
type connChange struct {
	resumed       bool
	before, after uint32
	gap           time.Duration
}

func (h *tickWatch) OnWelcome(_ *client.Client, w *proto.Welcome) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.welcomes++
	if h.welcomes > 1 {
		h.waitingNext, h.resumed = true, w.GetResumed()
	}
}

func (h *tickWatch) OnSnapshot(_ *client.Client, w *snapcodec.World, _ uint32) {
	now := time.Now()
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.waitingNext {
		h.waitingNext = false
		h.moves = append(h.moves, connChange{resumed: h.resumed, before: h.lastTick, after: w.Tick,
			gap: now.Sub(h.lastAt)})
	}
	h.lastTick, h.lastAt = w.Tick, now
}

// changes returns the changes of connection seen (after the client is closed).
func (h *tickWatch) changes() []connChange {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]connChange(nil), h.moves...)
}

// drive runs bots until until: every inputEvery each sends one wandering input.
func drive(bots []*bot, until time.Time, inputEvery time.Duration, seed int) {
	for i := 0; time.Now().Before(until); i++ {
		now := time.Now()
		for k, b := range bots {
			if b.err != nil {
				continue
			}
			if now.Before(b.next) || now.Before(b.c.NextInputAt()) {
				continue
			}
			x := int32((i/50+k+seed)%3 - 1)
			_, err := b.c.SendInput([]int32{x, int32((i/70+k)%3 - 1), int32(i * 7 % 360), int32((i + k) % 5 / 4)})
			switch {
			case err == nil:
				b.next = now.Add(inputEvery)
			case errors.Is(err, client.ErrInputEarly), errors.Is(err, client.ErrNotConnected),
				errors.Is(err, client.ErrInputBacklog):
			default:
				b.err = fmt.Errorf("send input: %w", err)
			}
		}
		time.Sleep(4 * time.Millisecond)
	}
}

// driveAll runs the bots on g goroutines until until.
func driveAll(bots []*bot, g int, until time.Time, inputEvery time.Duration) {
	var wg sync.WaitGroup
	for k := range g {
		var mine []*bot
		for i := k; i < len(bots); i += g {
			mine = append(mine, bots[i])
		}
		wg.Add(1)
		go func() { defer wg.Done(); drive(mine, until, inputEvery, k) }()
	}
	wg.Wait()
}

// dialBots matchmakes n bots, bot i through node i%len(nodes), at most par at once.
func dialBots(t testing.TB, ctx context.Context, nodes []*node, n, par int) []*bot {
	t.Helper()
	bots := make([]*bot, n)
	errs := make([]error, n)
	sem := make(chan struct{}, par)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			mm := &client.HTTPMatchmaker{BaseURL: "http://" + nodes[i%len(nodes)].addr}
			var c *client.Client
			var err error
			w := &tickWatch{}
			for try := 0; ; try++ {
				c, err = client.Dial(ctx, client.Config{Matchmaker: mm, Mode: arena.Mode, Name: fmt.Sprintf("b%d", i),
					Handler: w})
				// A ticket refused (503: the matchmaking lease is changing hands, a loaded machine delays its
				// renewal), failed (the room's node did not answer in time) or forgotten (the lease holder changed):
				// submit again. Only the matchmaking is retried, never the connection to the room.
				retry := err != nil && strings.Contains(err.Error(), "client: matchmaking")
				if !retry || try == 20 || ctx.Err() != nil {
					break
				}
				time.Sleep(250 * time.Millisecond)
			}
			if err != nil {
				errs[i] = err
				return
			}
			bots[i] = &bot{c: c, room: c.Welcome().GetRoomId(), w: w}
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("bot %d: %v", i, err)
		}
	}
	return bots
}

// quantile is the q-quantile of ds (nearest rank).
func quantile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := int(q*float64(len(s))+0.5) - 1
	return s[min(max(i, 0), len(s)-1)]
}

// startLightNode runs a node like startNode, with the arena at 10 ticks per second and a snapshot every third tick:
// the light rooms of the tests that run hundreds of players on a shared two-core machine.
func startLightNode(t testing.TB, cfg server.Config, id string) *node {
	t.Helper()
	return startNodeWith(t, cfg, id, server.GameOptions{MaxPlayers: 16, TickRate: 10, SnapshotEvery: 3, HashInterval: 9})
}

// histCount is the number of observations of histogram name in n's registry.
func histCount(t testing.TB, n *node, name string) uint64 {
	t.Helper()
	mfs, err := n.srv.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	var k uint64
	for _, mf := range mfs {
		if mf.GetName() == name {
			for _, m := range mf.GetMetric() {
				k += m.GetHistogram().GetSampleCount()
			}
		}
	}
	return k
}
