package matchmaker

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"sync"
	"testing"
	"time"
)

// fakeRooms is an in-memory room directory. Players join only when a test says so.
type fakeRooms struct {
	mu        sync.Mutex
	capacity  map[string]int
	rooms     map[string]*RoomInfo
	settings  map[string]map[string]string
	n         int
	createErr error
}

func newFakeRooms(capacity map[string]int) *fakeRooms {
	return &fakeRooms{capacity: capacity, rooms: map[string]*RoomInfo{}, settings: map[string]map[string]string{}}
}

func (f *fakeRooms) Capacity(mode string) (int, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.capacity[mode]
	return c, ok
}

func (f *fakeRooms) Create(mode string, settings map[string]string, private bool) (RoomInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.createErr != nil {
		return RoomInfo{}, f.createErr
	}
	c, ok := f.capacity[mode]
	if !ok {
		return RoomInfo{}, ErrUnknownMode
	}
	f.n++
	info := &RoomInfo{ID: fmt.Sprintf("r%03d", f.n), Mode: mode, Capacity: c, State: StateWaiting, Private: private}
	f.rooms[info.ID] = info
	f.settings[info.ID] = settings
	return *info, nil
}

func (f *fakeRooms) Get(id string) (RoomInfo, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r, ok := f.rooms[id]
	if !ok {
		return RoomInfo{}, false
	}
	return *r, true
}

func (f *fakeRooms) List() []RoomInfo {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]RoomInfo, 0, len(f.rooms))
	for _, r := range f.rooms {
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID > out[j].ID }) // deliberately not creation order
	return out
}

func (f *fakeRooms) set(id string, fn func(*RoomInfo)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f.rooms[id])
}

func (f *fakeRooms) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.rooms)
}

// fakeTokens issues distinct tokens and remembers their binding.
type fakeTokens struct {
	mu     sync.Mutex
	n      int
	issued map[string][2]string // token → room, player name
	users  map[string]Player    // token → the player it was issued for
	fail   bool
}

func (f *fakeTokens) Issue(roomID string, p Player) (string, error) {
	player := p.Name
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail {
		return "", errors.New("token store down")
	}
	if f.issued == nil {
		f.issued = map[string][2]string{}
	}
	f.n++
	tok := fmt.Sprintf("tok%d", f.n)
	f.issued[tok] = [2]string{roomID, player}
	if f.users == nil {
		f.users = map[string]Player{}
	}
	f.users[tok] = p
	return tok, nil
}

// harness bundles a matchmaker, its fakes and a fake clock.
type harness struct {
	t      *testing.T
	mm     *Matchmaker
	rooms  *fakeRooms
	tokens *fakeTokens
	now    time.Time
}

func newHarness(t *testing.T, cfg Config, capacity map[string]int) *harness {
	t.Helper()
	h := &harness{t: t, rooms: newFakeRooms(capacity), tokens: &fakeTokens{}, now: time.Unix(1_700_000_000, 0)}
	cfg.Now = func() time.Time { return h.now }
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	mm, err := New(cfg, h.rooms, h.tokens)
	if err != nil {
		t.Fatal(err)
	}
	h.mm = mm
	return h
}

func (h *harness) advance(d time.Duration) { h.now = h.now.Add(d) }
func (h *harness) process()                { h.mm.Process(h.now) }

func (h *harness) submit(req TicketRequest) Ticket {
	h.t.Helper()
	tk, err := h.mm.Submit(req)
	if err != nil {
		h.t.Fatalf("Submit(%+v): %v", req, err)
	}
	return tk
}

func (h *harness) get(id string) Ticket {
	h.t.Helper()
	tk, err := h.mm.Get(id)
	if err != nil {
		h.t.Fatalf("Get(%s): %v", id, err)
	}
	return tk
}

// join makes n reserved players of room id connect, as the server would report them.
func (h *harness) join(id string, n int) {
	h.rooms.set(id, func(r *RoomInfo) { r.Players += n })
	for range n {
		h.mm.PlayerJoined(id)
	}
}

// leave makes n players of room id leave for good, as the server would report them.
func (h *harness) leave(id string, n int) {
	h.rooms.set(id, func(r *RoomInfo) { r.Players -= n })
	for range n {
		h.mm.PlayerLeft(id)
	}
}

func solo(mode, name string) TicketRequest { return TicketRequest{Mode: mode, Players: []string{name}} }

func rated(mode, name string, r float64) TicketRequest {
	return TicketRequest{Mode: mode, Players: []string{name}, Rating: &r}
}

// reservingRooms is fakeRooms that also holds seats (SeatReserver), and refuses them in the rooms listed in full.
type reservingRooms struct {
	*fakeRooms
	full     map[string]bool
	reserved map[string][]string // room → keys
}

func (f *reservingRooms) Reserve(roomID string, keys []string, ttl time.Duration) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.full[roomID] {
		return ErrRoomFull
	}
	if f.reserved == nil {
		f.reserved = map[string][]string{}
	}
	f.reserved[roomID] = append(f.reserved[roomID], keys...)
	return nil
}
