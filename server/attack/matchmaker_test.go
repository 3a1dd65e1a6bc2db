package attack

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/tickwire/tickwire/game/arena"
	"github.com/tickwire/tickwire/server/internal/matchmaker"
	"github.com/tickwire/tickwire/tools/client"
)

// httpFrom returns an HTTP client whose connections come from source address ip.
func httpFrom(ip net.IP) *http.Client {
	return &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{DialContext: DialFrom(ip).DialContext,
		MaxIdleConnsPerHost: 4}}
}

// mmCall sends a matchmaking request and decodes the answer: into tk on success, into eb otherwise.
func mmCall(t *testing.T, hc *http.Client, method, url string, body any) (int, matchmaker.Ticket, matchmaker.ErrorBody) {
	t.Helper()
	var rd *bytes.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Errorf("%s %s: %v", method, url, err)
		return 0, matchmaker.Ticket{}, matchmaker.ErrorBody{}
	}
	defer resp.Body.Close()
	var tk matchmaker.Ticket
	var eb matchmaker.ErrorBody
	if resp.StatusCode < 300 {
		err = json.NewDecoder(resp.Body).Decode(&tk)
	} else {
		err = json.NewDecoder(resp.Body).Decode(&eb)
	}
	if err != nil {
		t.Errorf("%s %s: %d with an undecodable body: %v", method, url, resp.StatusCode, err)
	}
	return resp.StatusCode, tk, eb
}

// waitTicket long-polls a ticket until it leaves the queue (bounded).
func waitTicket(t *testing.T, hc *http.Client, base, id string) matchmaker.Ticket {
	t.Helper()
	var tk matchmaker.Ticket
	for range 10 {
		var code int
		code, tk, _ = mmCall(t, hc, http.MethodGet, base+"/v1/matchmaking/tickets/"+id+"?wait=5s", nil)
		if code != http.StatusOK || tk.Status != matchmaker.StatusQueued {
			return tk
		}
	}
	return tk
}

// About 10,000 queued tickets (9,990) that no two players can share a room with (each its own region), from 90
// sources: the matchmaker's batches over them stay cheap, so two compatible players who ask last are still placed
// together, and the bots never notice. The first attack ticket takes a free seat of the bots' room (a room nobody was
// matched into yet suits every region, and then has that ticket's region); the rest stay queued.
func TestAttackIncompatibleTickets(t *testing.T) {
	cfg := attackConfig()
	cfg.SourceTickets = 111 // the attacker has 90 addresses: the per-source cap is not what this case is about
	// The flood must still be queued at the end however slowly a busy machine runs the case: expiry is not what it is
	// about either.
	cfg.MatchTicketTimeout = time.Hour
	e := Start(t, cfg, Options{})
	const sources, perSource = 90, 111
	var wg sync.WaitGroup
	var mu sync.Mutex
	got := map[int]int{}
	for s := range sources {
		wg.Add(1)
		go func() {
			defer wg.Done()
			hc := httpFrom(SourceIP(0, s))
			defer hc.CloseIdleConnections()
			for i := range perSource {
				n := s*perSource + i
				code, _, _ := mmCall(t, hc, http.MethodPost, e.HTTP+"/v1/matchmaking/tickets", matchmaker.TicketRequest{
					Mode: arena.Mode, Players: []string{fmt.Sprint("atk", n)},
					Properties: map[string]string{"region": fmt.Sprint("r", n)}})
				mu.Lock()
				got[code]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if got[http.StatusCreated] != sources*perSource {
		t.Fatalf("attack tickets: statuses %v, want %d × 201", got, sources*perSource)
	}
	e.Mem("with the flood queued")
	// Two compatible players, submitted after the flood (the last anchors of every batch).
	hc := httpFrom(SourceIP(2, 0))
	defer hc.CloseIdleConnections()
	var ids []string
	for _, name := range []string{"alice", "bob"} {
		code, tk, eb := mmCall(t, hc, http.MethodPost, e.HTTP+"/v1/matchmaking/tickets", matchmaker.TicketRequest{
			Mode: arena.Mode, Players: []string{name}, Properties: map[string]string{"region": "home"}})
		if code != http.StatusCreated {
			t.Fatalf("legitimate ticket: %d %+v", code, eb)
		}
		ids = append(ids, tk.ID)
	}
	a, b := waitTicket(t, hc, e.HTTP, ids[0]), waitTicket(t, hc, e.HTTP, ids[1])
	if a.Status != matchmaker.StatusPlaced || b.Status != matchmaker.StatusPlaced || a.RoomID != b.RoomID {
		t.Fatalf("legitimate players behind the flood: %+v %+v, want placed together", a, b)
	}
	if q := e.Counter("tickwire_matchmaker_tickets_queued", "mode", arena.Mode); q != sources*perSource-1 {
		t.Errorf("queued %v, want %d attack tickets still queued", q, sources*perSource-1)
	}
	if n := e.Counter("tickwire_matchmaker_tickets_placed_total"); n != 1+2 {
		t.Errorf("%v tickets placed, want 3 (one into the bots' room, the 2 legitimate ones)", n)
	}
	e.Finish()
}

// One source guesses private room codes: its unknown codes fail as such until its budget of failed lookups is
// spent, then its code tickets are refused with 429 (counted by reason), while a friend with the real code from
// another address still joins.
func TestAttackPrivateCodeGuessing(t *testing.T) {
	cfg := attackConfig()
	cfg.CodeMissRefill = time.Hour // no refill during the test: the count is exact
	e := Start(t, cfg, Options{})
	host := httpFrom(SourceIP(2, 0))
	defer host.CloseIdleConnections()
	code, tk, eb := mmCall(t, host, http.MethodPost, e.HTTP+"/v1/matchmaking/tickets",
		matchmaker.TicketRequest{Mode: arena.Mode, Players: []string{"host"}, CreatePrivate: true})
	if code != http.StatusCreated {
		t.Fatalf("private room: %d %+v", code, eb)
	}
	hostTk := waitTicket(t, host, e.HTTP, tk.ID)
	if hostTk.Status != matchmaker.StatusPlaced || len(hostTk.Code) != matchmaker.CodeLength {
		t.Fatalf("host ticket %+v", hostTk)
	}

	atk := httpFrom(SourceIP(0, 0))
	defer atk.CloseIdleConnections()
	misses, refused := 0, 0
	for i := 0; i < 3*cfg.SourceCodeMisses && refused == 0; i++ {
		guess := fmt.Sprintf("%010d", i) // digits 0 and 1 are not in the alphabet: never a real code
		code, tk, eb := mmCall(t, atk, http.MethodPost, e.HTTP+"/v1/matchmaking/tickets",
			matchmaker.TicketRequest{Mode: arena.Mode, Players: []string{fmt.Sprint("guess", i)}, Code: guess})
		switch code {
		case http.StatusCreated:
			if done := waitTicket(t, atk, e.HTTP, tk.ID); done.Status != matchmaker.StatusFailed || done.Error != "unknown room code" {
				t.Fatalf("guess %d: %+v, want failed as an unknown code", i, done)
			}
			misses++
		case http.StatusTooManyRequests:
			if eb.Error == "" {
				t.Fatalf("429 without an error code")
			}
			refused++
		default:
			t.Fatalf("guess %d: status %d %+v", i, code, eb)
		}
	}
	if misses != cfg.SourceCodeMisses || refused != 1 {
		t.Fatalf("%d guesses looked up, then %d refused; want %d, then refusals", misses, refused, cfg.SourceCodeMisses)
	}
	if n := e.Counter("tickwire_limit_refusals_total", "reason", "source_code_guesses"); n < 1 {
		t.Errorf("refusals by reason source_code_guesses: %v", n)
	}
	if n := e.Counter("tickwire_matchmaker_code_misses_total", "reason", "unknown"); n != float64(misses) {
		t.Errorf("code misses by reason unknown: %v, want %d", n, misses)
	}
	friend := httpFrom(SourceIP(2, 1))
	defer friend.CloseIdleConnections()
	code, tk, eb = mmCall(t, friend, http.MethodPost, e.HTTP+"/v1/matchmaking/tickets",
		matchmaker.TicketRequest{Mode: arena.Mode, Players: []string{"friend"}, Code: hostTk.Code})
	if code != http.StatusCreated {
		t.Fatalf("friend with the real code: %d %+v", code, eb)
	}
	if ft := waitTicket(t, friend, e.HTTP, tk.ID); ft.Status != matchmaker.StatusPlaced || ft.RoomID != hostTk.RoomID {
		t.Fatalf("friend ticket %+v, want placed in %s", ft, hostTk.RoomID)
	}
	e.Finish()
}

// The matchmaker places 8 players into the bots' room (8 bots, 16 seats): their seats are reserved in the room
// until they connect. 20 quick-play joins from other addresses meanwhile never get one of those seats (they go to
// another room), and each placed player then joins with its token into its own seat.
func TestAttackQuickPlayIntoReservedSeats(t *testing.T) {
	e := Start(t, attackConfig(), Options{})
	botsRoom := ""
	for _, r := range e.Srv.Rooms(arena.Mode, false) {
		if r.Players > 0 {
			botsRoom = r.ID
		}
	}
	hc := httpFrom(SourceIP(2, 0))
	defer hc.CloseIdleConnections()
	var placed []matchmaker.Ticket
	for i := range 8 {
		code, tk, eb := mmCall(t, hc, http.MethodPost, e.HTTP+"/v1/matchmaking/tickets",
			matchmaker.TicketRequest{Mode: arena.Mode, Players: []string{fmt.Sprint("late", i)}})
		if code != http.StatusCreated {
			t.Fatalf("ticket %d: %d %+v", i, code, eb)
		}
		done := waitTicket(t, hc, e.HTTP, tk.ID)
		if done.Status != matchmaker.StatusPlaced || done.RoomID != botsRoom {
			t.Fatalf("ticket %d: %+v, want placed in the bots' room %s", i, done, botsRoom)
		}
		placed = append(placed, done)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var quick, late []*client.Client
	defer func() {
		for _, c := range append(quick, late...) {
			_ = c.Close()
		}
	}()
	for i := range 20 {
		c, err := client.Dial(ctx, client.Config{URL: e.URL, Mode: arena.Mode, Name: fmt.Sprint("quick", i),
			NetDial: DialFrom(SourceIP(0, i)).DialContext, PingInterval: time.Second})
		if err != nil {
			t.Fatalf("quick play %d: %v", i, err)
		}
		quick = append(quick, c)
	}
	for _, r := range e.Srv.Rooms(arena.Mode, false) {
		if r.ID == botsRoom && r.Players != 8 {
			t.Fatalf("the bots' room holds %d players after quick play, want its 8 bots (8 seats reserved)", r.Players)
		}
	}

	for i, tk := range placed {
		c, err := client.Dial(ctx, client.Config{URL: tk.Address, JoinToken: tk.Players[0].JoinToken,
			NetDial: DialFrom(SourceIP(2, 1+i)).DialContext, PingInterval: time.Second})
		if err != nil {
			t.Fatalf("placed player %d with its token: %v", i, err)
		}
		late = append(late, c)
	}
	for _, r := range e.Srv.Rooms(arena.Mode, false) {
		if r.ID == botsRoom && r.Players != 16 {
			t.Errorf("the bots' room holds %d players, want 16 (8 bots, 8 placed)", r.Players)
		}
	}
	e.Mem("after the joins")
	for _, c := range append(quick, late...) {
		_ = c.Close()
	}
	quick, late = nil, nil
	e.Finish()
}
