package service_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lxzan/gws"

	"github.com/tickwire/tickwire/game/arena"
	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/server/internal/matchmaker"
	"github.com/tickwire/tickwire/server/internal/service"
	"github.com/tickwire/tickwire/tools/client"
)

// serverRooms adapts a running server's public API to service.Rooms.
type serverRooms struct {
	srv      *server.Server
	capacity map[string]int
}

func convert(i server.RoomInfo) matchmaker.RoomInfo {
	return matchmaker.RoomInfo{ID: i.ID, Mode: i.Mode, Players: i.Players, Capacity: i.Capacity, State: i.State, Private: i.Private}
}

func (r serverRooms) Capacity(mode string) (int, bool) { c, ok := r.capacity[mode]; return c, ok }

func (r serverRooms) Create(mode string, settings map[string]string, private bool) (matchmaker.RoomInfo, error) {
	if _, ok := r.capacity[mode]; !ok {
		return matchmaker.RoomInfo{}, matchmaker.ErrUnknownMode
	}
	info, err := r.srv.CreateRoom(mode, settings, private)
	return convert(info), err
}

func (r serverRooms) Get(id string) (matchmaker.RoomInfo, bool) {
	for _, i := range r.srv.Rooms("", true) {
		if i.ID == id {
			return convert(i), true
		}
	}
	return matchmaker.RoomInfo{}, false
}

func (r serverRooms) List() []matchmaker.RoomInfo {
	var out []matchmaker.RoomInfo
	for _, i := range r.srv.Rooms("", true) {
		out = append(out, convert(i))
	}
	return out
}

func (r serverRooms) End(id, reason string) error {
	if !r.srv.EndRoom(id, reason) {
		return matchmaker.ErrRoomNotFound
	}
	return nil
}

func (r serverRooms) Broadcast(string, service.ServerEvent) error {
	return errors.New("not available through the server's public API")
}

func (r serverRooms) Signal(context.Context, string, string, []byte) ([]byte, error) {
	return nil, errors.New("not available through the server's public API")
}

type serverTokens struct{ srv *server.Server }

func (t serverTokens) Issue(roomID string, p matchmaker.Player) (string, error) {
	return t.srv.IssueJoinTokenFor(roomID, server.Identity{Name: p.Name, UserID: p.UserID, Claims: p.Claims,
		Verified: p.Verified}, 0), nil
}

// stack is a game server on loopback plus the matchmaking and service APIs in front of it.
type stack struct {
	srv   *server.Server
	wsURL string
	mm    *matchmaker.Matchmaker
	svc   *service.Service
	api   *httptest.Server
}

const apiKey = "e2e-key"

func startStack(t *testing.T, mmCfg matchmaker.Config) *stack { return startStackCap(t, mmCfg, 16) }

func startStackCap(t *testing.T, mmCfg matchmaker.Config, capacity int) *stack {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg := server.DefaultConfig()
	cfg.Addr = "127.0.0.1:0"
	cfg.ShutdownTimeout = 3 * time.Second
	srv, err := server.New(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.RegisterGame(arena.Mode, arena.Factory, server.GameOptions{MaxPlayers: capacity}); err != nil {
		t.Fatal(err)
	}
	rooms := serverRooms{srv: srv, capacity: map[string]int{arena.Mode: capacity}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	st := &stack{srv: srv, wsURL: "ws://" + ln.Addr().String() + "/ws"}
	mmCfg.PublicURL = st.wsURL
	mmCfg.Logger = log
	if st.mm, err = matchmaker.New(mmCfg, rooms, serverTokens{srv}); err != nil {
		t.Fatal(err)
	}
	if st.svc, err = service.New(service.Config{APIKey: apiKey, PublicURL: st.wsURL, Matchmaker: st.mm, Logger: log}, rooms, serverTokens{srv}); err != nil {
		t.Fatal(err)
	}
	srv.OnRoomEvent(func(ev server.RoomEvent) {
		out := service.Event{Type: ev.Type, RoomID: ev.Room, Tick: ev.Tick, PlayerID: ev.Player, Player: ev.Name, Reason: ev.Reason}
		if ev.Type == "created" {
			out.Type = service.EventRoomCreated
		}
		if info, ok := rooms.Get(ev.Room); ok {
			out.Mode = info.Mode
		}
		for _, r := range ev.Results {
			out.Results = append(out.Results, service.PlayerScore{PlayerID: r.Player, Name: r.Name, Score: r.Score, Rank: r.Rank})
		}
		st.svc.Publish(out)
	})
	mux := http.NewServeMux()
	mux.Handle("/v1/service/", st.svc.Handler())
	mux.Handle("/v1/", st.mm.Handler())
	st.api = httptest.NewServer(mux)

	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln) }()
	mmCtx, mmCancel := context.WithCancel(context.Background())
	go st.mm.Run(mmCtx)
	t.Cleanup(func() {
		mmCancel()
		st.svc.Close()
		st.api.Close()
		cancel()
		select {
		case <-served:
		case <-time.After(5 * time.Second):
			t.Error("server did not shut down")
		}
	})
	return st
}

// httpMatchmaker is a client.Matchmaker over the matchmaking HTTP API; it remembers the ticket it got.
type httpMatchmaker struct {
	base, name string
	ticket     matchmaker.Ticket
	placed     time.Time // when Match returned the assignment
}

func (m *httpMatchmaker) Match(ctx context.Context, mode, _ string) (client.Assignment, error) {
	body, _ := json.Marshal(matchmaker.TicketRequest{Mode: mode, Players: []string{m.name}})
	req, _ := http.NewRequestWithContext(ctx, "POST", m.base+"/v1/matchmaking/tickets", bytes.NewReader(body))
	if err := doJSON(req, 201, &m.ticket); err != nil {
		return client.Assignment{}, err
	}
	for m.ticket.Status == matchmaker.StatusQueued {
		req, _ := http.NewRequestWithContext(ctx, "GET", m.base+"/v1/matchmaking/tickets/"+m.ticket.ID+"?wait=5s", nil)
		if err := doJSON(req, 200, &m.ticket); err != nil {
			return client.Assignment{}, err
		}
	}
	if m.ticket.Status != matchmaker.StatusPlaced {
		return client.Assignment{}, fmt.Errorf("ticket %s: %s %s", m.ticket.ID, m.ticket.Status, m.ticket.Error)
	}
	m.placed = time.Now()
	return client.Assignment{URL: m.ticket.Address, JoinToken: m.ticket.Players[0].JoinToken}, nil
}

func doJSON(req *http.Request, want int, out any) error {
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		return fmt.Errorf("%s %s: %d %s", req.Method, req.URL.Path, resp.StatusCode, b)
	}
	return json.Unmarshal(b, out)
}

// TestMatchmakingE2E: 200 bots ask for the arena at once; each is placed exactly once and rooms of 16 are full before
// the next opens (12 full rooms and one of 8). How long tickets waited is logged, not asserted: on a busy machine
// with the race detector a batch can take seconds, so the ticket timeout is the hang bound too.
//
// The 200 connections start together, so the last Welcome waits for the server to handle all the others: with the
// race detector on a loaded machine that took over 5 s (the client's default DialTimeout). How long connecting takes
// is not what this test checks, so one bound (a hang guard) covers the whole run, connections included. A room can
// also fall behind the server's join timeout there: the join is refused with 4002 (busy, reconnect later), its join
// token stays valid, and client.Dial retries with it, so every bot still ends up placed exactly once.
func TestMatchmakingE2E(t *testing.T) {
	if testing.Short() {
		t.Skip("200 connections")
	}
	const bots, hang = 200, 2 * time.Minute
	st := startStack(t, matchmaker.Config{MinPlayers: 2, Interval: 50 * time.Millisecond, TicketTimeout: hang})
	ctx, cancel := context.WithTimeout(context.Background(), hang)
	defer cancel()

	var wg sync.WaitGroup
	mms := make([]*httpMatchmaker, bots)
	clients := make([]*client.Client, bots)
	errs := make([]error, bots)
	connectMs := make([]int64, bots) // from the assignment to the Welcome
	start := make(chan struct{})
	for i := range bots {
		mms[i] = &httpMatchmaker{base: st.api.URL, name: fmt.Sprintf("bot%03d", i)}
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			clients[i], errs[i] = client.Dial(ctx, client.Config{Matchmaker: mms[i], Mode: arena.Mode, Name: mms[i].name,
				NoResume: true, DialTimeout: hang, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
			connectMs[i] = time.Since(mms[i].placed).Milliseconds()
		}()
	}
	close(start)
	wg.Wait()
	defer func() {
		for _, c := range clients {
			if c != nil {
				_ = c.Close()
			}
		}
	}()

	perRoom := map[string]map[uint32]string{}
	for i := range bots {
		if errs[i] != nil {
			t.Fatalf("bot %d: %v", i, errs[i])
		}
		tk := mms[i].ticket
		if tk.Status != matchmaker.StatusPlaced {
			t.Fatalf("bot %d ticket %+v", i, tk)
		}
		w := clients[i].Welcome()
		if w.RoomId != tk.RoomID {
			t.Fatalf("bot %d welcomed into %s, ticket says %s", i, w.RoomId, tk.RoomID)
		}
		if perRoom[w.RoomId] == nil {
			perRoom[w.RoomId] = map[uint32]string{}
		}
		if prev, dup := perRoom[w.RoomId][w.PlayerId]; dup {
			t.Fatalf("player %d of room %s is both %s and %s", w.PlayerId, w.RoomId, prev, mms[i].name)
		}
		perRoom[w.RoomId][w.PlayerId] = mms[i].name
	}
	var sizes []int
	total := 0
	for _, info := range st.srv.Rooms(arena.Mode, true) { // in creation order
		sizes = append(sizes, info.Players)
		total += info.Players
		if len(perRoom[info.ID]) != info.Players {
			t.Errorf("room %s has %d players, %d bots were welcomed there", info.ID, info.Players, len(perRoom[info.ID]))
		}
	}
	want := []int{16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 8}
	if fmt.Sprint(sizes) != fmt.Sprint(want) || total != bots {
		t.Fatalf("room sizes in creation order %v (total %d), want %v", sizes, total, want)
	}
	waits := make([]int64, bots)
	for i, m := range mms {
		waits[i] = m.ticket.WaitedMs
	}
	sort.Slice(waits, func(i, j int) bool { return waits[i] < waits[j] })
	sort.Slice(connectMs, func(i, j int) bool { return connectMs[i] < connectMs[j] })
	t.Logf("%d bots in %d rooms; ticket wait p50 %d ms, max %d ms; connect p50 %d ms, max %d ms", bots, len(sizes),
		waits[bots/2], waits[bots-1], connectMs[bots/2], connectMs[bots-1])
}

// streamClient reads the service event stream.
type streamClient struct {
	gws.BuiltinEventHandler
	events chan service.Event
	closed chan struct{}
}

func (s *streamClient) OnMessage(_ *gws.Conn, m *gws.Message) {
	var ev service.Event
	_ = json.Unmarshal(m.Bytes(), &ev)
	m.Close()
	s.events <- ev
}

func (s *streamClient) OnClose(*gws.Conn, error) { close(s.closed) }

// TestServiceAPIE2E: a backend creates a room with settings and tokens for named players, follows its events over
// the stream, bots play it to the time limit, and the stream delivers the joins and the match result.
func TestServiceAPIE2E(t *testing.T) {
	st := startStack(t, matchmaker.Config{})
	names := []string{"alice", "bob", "carol"}
	body, _ := json.Marshal(service.CreateRoomRequest{Mode: arena.Mode, Settings: map[string]string{"time_limit_s": "2"}, Players: names})

	// A wrong key is refused.
	req, _ := http.NewRequest("POST", st.api.URL+"/v1/service/rooms", bytes.NewReader(body))
	req.Header.Set("X-API-Key", "wrong")
	var e matchmaker.ErrorBody
	if err := doJSON(req, 401, &e); err != nil || e.Error != "unauthorized" {
		t.Fatalf("wrong key: %v %+v", err, e)
	}
	req, _ = http.NewRequest("POST", st.api.URL+"/v1/service/rooms", strings.NewReader(`{"mode":"chess"}`))
	req.Header.Set("X-API-Key", apiKey)
	if err := doJSON(req, 400, &e); err != nil || e.Error != "unknown_mode" {
		t.Fatalf("unknown mode: %v %+v", err, e)
	}

	req, _ = http.NewRequest("POST", st.api.URL+"/v1/service/rooms", bytes.NewReader(body))
	req.Header.Set("X-API-Key", apiKey)
	var g service.RoomGrant
	if err := doJSON(req, 201, &g); err != nil {
		t.Fatal(err)
	}
	if g.Address != st.wsURL || len(g.Seats) != 3 || !g.Private {
		t.Fatalf("grant %+v", g)
	}

	// Subscribe to this room's events.
	sc := &streamClient{events: make(chan service.Event, 256), closed: make(chan struct{})}
	conn, _, err := gws.NewClient(sc, &gws.ClientOption{
		Addr:          "ws" + strings.TrimPrefix(st.api.URL, "http") + "/v1/service/events?room=" + g.RoomID,
		RequestHeader: http.Header{"X-Api-Key": {apiKey}},
	})
	if err != nil {
		t.Fatal(err)
	}
	go conn.ReadLoop()
	defer conn.WriteClose(1000, nil)
	next := func() service.Event {
		t.Helper()
		select {
		case ev := <-sc.events:
			return ev
		case <-time.After(10 * time.Second):
			t.Fatal("no event on the stream")
		}
		return service.Event{}
	}
	if ev := next(); ev.Type != service.EventSubscribed {
		t.Fatalf("first frame %+v", ev)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	bots := make([]*client.Client, len(g.Seats))
	for i, seat := range g.Seats {
		if bots[i], err = client.Dial(ctx, client.Config{URL: g.Address, JoinToken: seat.JoinToken, Name: seat.Player, NoResume: true, Logger: quiet}); err != nil {
			t.Fatalf("%s: %v", seat.Player, err)
		}
		defer bots[i].Close()
	}
	// A forged token is refused; a join token is single-use.
	if _, err := client.Dial(ctx, client.Config{URL: g.Address, JoinToken: "forged-token", NoResume: true, Logger: quiet}); !errors.Is(err, client.ErrInvalidToken) {
		t.Fatalf("forged join token: %v, want 4504", err)
	}
	if _, err := client.Dial(ctx, client.Config{URL: g.Address, JoinToken: g.Seats[0].JoinToken, NoResume: true, Logger: quiet}); !errors.Is(err, client.ErrInvalidToken) {
		t.Fatalf("reused join token: %v, want 4504", err)
	}

	// Play until the room ends the match: everyone moves and fires.
	ended := make(chan struct{})
	go func() {
		tick := time.NewTicker(33 * time.Millisecond)
		defer tick.Stop()
		for n := 0; ; n++ {
			select {
			case <-ended:
				return
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			for i, b := range bots {
				_, _ = b.SendInput([]int32{int32(i%3 - 1), 1, int32(n * 997 % 65536), int32(n % 2)})
			}
		}
	}()
	joined := map[string]bool{}
	var result service.Event
	for result.Type == "" {
		switch ev := next(); ev.Type {
		case service.EventPlayerJoined:
			if ev.RoomID != g.RoomID || ev.Mode != arena.Mode {
				t.Fatalf("join event %+v", ev)
			}
			joined[ev.Player] = true
		case service.EventMatchEnded:
			result = ev
		}
	}
	close(ended)
	if len(joined) != 3 || !joined["alice"] || !joined["bob"] || !joined["carol"] {
		t.Fatalf("joins seen on the stream: %v", joined)
	}
	if result.Reason != "time_limit" || len(result.Results) != 3 || result.Results[0].Rank != 1 {
		t.Fatalf("match_ended %+v", result)
	}
	got := map[string]bool{}
	for _, r := range result.Results {
		got[r.Name] = true
	}
	if !got["alice"] || !got["bob"] || !got["carol"] {
		t.Fatalf("results %+v, want every named player", result.Results)
	}
	// The bots got the same result in the game protocol.
	for _, b := range bots {
		select {
		case <-b.Done():
		case <-time.After(5 * time.Second):
			t.Fatal("bot not ended with the room")
		}
		mr := b.MatchResult()
		if mr == nil || mr.Reason != "time_limit" || len(mr.Players) != 3 {
			t.Fatalf("bot's match result %v", mr)
		}
		if !errors.Is(b.Err(), client.ErrRoomEnded) {
			t.Fatalf("bot ended with %v, want 4509", b.Err())
		}
	}
}

// TestBackfillE2E: a full running room is not offered to a newcomer until one of its players leaves; then the
// newcomer is placed into that room rather than waiting for a new one.
func TestBackfillE2E(t *testing.T) {
	st := startStackCap(t, matchmaker.Config{MinPlayers: 2, Interval: 20 * time.Millisecond}, 4)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	// dial runs on goroutines of its own: it returns its error for the test goroutine to report (t.Fatal there
	// would end only the dialing goroutine).
	type dialed struct {
		c   *client.Client
		m   *httpMatchmaker
		err error
	}
	dial := func(name string) dialed {
		m := &httpMatchmaker{base: st.api.URL, name: name}
		c, err := client.Dial(ctx, client.Config{Matchmaker: m, Mode: arena.Mode, Name: name, NoResume: true, Logger: quiet})
		if err != nil {
			return dialed{m: m, err: fmt.Errorf("%s: %w", name, err)}
		}
		t.Cleanup(func() { _ = c.Close() })
		return dialed{c: c, m: m}
	}
	first := make([]dialed, 4)
	var done sync.WaitGroup
	for i := range first {
		done.Add(1)
		go func() {
			defer done.Done()
			first[i] = dial(fmt.Sprint("p", i))
		}()
	}
	done.Wait()
	for _, d := range first {
		if d.err != nil {
			t.Fatal(d.err)
		}
	}
	roomID := first[0].c.Welcome().RoomId
	for _, d := range first {
		if d.c.Welcome().RoomId != roomID {
			t.Fatalf("the first four were split: %s and %s", roomID, d.c.Welcome().RoomId)
		}
	}
	// The newcomer waits: the only room is full and one player is below the minimum for a new one.
	late := make(chan dialed, 1)
	go func() { late <- dial("late") }()
	time.Sleep(300 * time.Millisecond)
	select {
	case d := <-late:
		if d.err != nil {
			t.Fatal(d.err)
		}
		t.Fatalf("the newcomer was placed into %s while every room was full", d.m.ticket.RoomID)
	default:
	}
	if err := first[0].c.Close(); err != nil && !errors.Is(err, client.ErrLeft) {
		t.Fatalf("leave: %v", err)
	}
	d := <-late // bounded by ctx
	if d.err != nil {
		t.Fatalf("the newcomer was not backfilled after a player left: %v", d.err)
	}
	if d.m.ticket.RoomID != roomID {
		t.Fatalf("newcomer placed into %s, want the backfilled %s", d.m.ticket.RoomID, roomID)
	}
	if rooms := st.srv.Rooms(arena.Mode, true); len(rooms) != 1 || rooms[0].Players != 4 {
		t.Fatalf("rooms %+v, want the one room full again", rooms)
	}
}

// TestLeaveFreesSeatE2E: a player who leaves frees its seat at once (player_left), even when its client closes the
// socket right after the Leave while snapshots are still arriving. The client's close then resets the connection,
// the server's next snapshot write fails, and the server used to close its socket on that error before its read
// loop had taken the Leave from the kernel's buffer: the player waited out the grace period (player_disconnected)
// instead, and matchmaking could not backfill the seat (seen under load, several in 60).
func TestLeaveFreesSeatE2E(t *testing.T) {
	st := startStackCap(t, matchmaker.Config{}, 16)
	sub, err := st.svc.Hub().Subscribe(service.Filter{Types: []string{service.EventPlayerLeft, service.EventPlayerDisconnected}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	for i := range 30 {
		c, err := client.Dial(ctx, client.Config{URL: st.wsURL, Mode: arena.Mode, Name: "p", NoResume: true, Logger: quiet})
		if err != nil {
			t.Fatal(err)
		}
		id := c.Welcome().PlayerId
		time.Sleep(100 * time.Millisecond) // snapshots are flowing, some unread, when it closes
		if err := c.Close(); err != nil && !errors.Is(err, client.ErrLeft) {
			t.Fatalf("close %d: %v", i, err)
		}
		for ev := (service.Event{}); ev.PlayerID != id; {
			select {
			case b := <-sub.Events():
				ev = service.Event{}
				if err := json.Unmarshal(b, &ev); err != nil {
					t.Fatal(err)
				}
			case <-ctx.Done():
				t.Fatalf("close %d: no event for player %d", i, id)
			}
			if ev.PlayerID == id && ev.Type != service.EventPlayerLeft {
				t.Fatalf("close %d: %s (%s), want %s", i, ev.Type, ev.Reason, service.EventPlayerLeft)
			}
		}
	}
}
