package matchmaker

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"maps"
	"strings"
	"sync"
	"time"
)

// Matchmaker queues tickets and places them into rooms. See the package documentation.
type Matchmaker struct {
	// Static after construction.
	cfg    Config
	rooms  Rooms
	tokens Tokens
	log    *slog.Logger

	// Guarded by joinsMu, which is never held while calling out, so PlayerJoined and PlayerLeft never wait for
	// Process.
	joinsMu sync.Mutex
	deltas  map[string]presence // room id → joins and leaves reported since the last Process

	// Guarded by mu.
	mu      sync.Mutex
	seq     uint64
	tickets map[string]*ticket
	queued  map[string]*ticket    // player name → its queued ticket: a player is in at most one queued ticket
	tracks  map[string]*roomTrack // rooms the matchmaker has placed players into
	codes   map[string]string     // private room code → room id
	stats   Stats
	byMode  map[string]int        // mode → tickets waiting now; an entry stays (at 0) once its mode has had a ticket
	order   []*ticket             // queued tickets, oldest first (and some that left the queue since the last batch)
	ended   []*ticket             // finished tickets still held (for Retention)
	index   map[string]*modeIndex // mode → its queued public tickets
	batch   uint64                // batches run
}

// Stats are the matchmaker's counters, for metrics.
type Stats struct {
	Queued      int    // tickets waiting now
	Placed      uint64 // tickets placed (since start)
	Canceled    uint64
	TimedOut    uint64
	Failed      uint64
	RoomsOpened uint64 // rooms the matchmaker created (public and private)
	// CodeMisses counts the private-code tickets that failed, by reason.
	CodeMisses CodeMisses
}

// CodeMisses counts failed private-code lookups by reason (the ticket's Error in brackets). Each one also counts
// against its source's budget of failed lookups (Config.Gate).
type CodeMisses struct {
	Unknown uint64 // no such code, or its room is gone or of another mode ["unknown room code"]
	Expired uint64 // the code is older than Config.CodeTTL ["room code expired"]
	Full    uint64 // the private room has no free seat for the party ["the private room is full"]
}

// Stats returns the current counters.
func (m *Matchmaker) Stats() Stats {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.stats
}

// QueuedByMode returns the number of tickets waiting now, by mode (a new map; modes that have had a ticket since
// start are present, at 0 when none waits).
func (m *Matchmaker) QueuedByMode() map[string]int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return maps.Clone(m.byMode)
}

// roomTrack is what the matchmaker remembers of a room it placed players into. Guarded by Matchmaker.mu.
type roomTrack struct {
	id      string
	mode    string
	seq     uint64 // creation order among tracked rooms: older rooms are filled first
	private bool
	code    string
	codeTTL time.Time // when code stops admitting newcomers (Config.CodeTTL after the room opened)
	// Ratings of the rated players placed here (their span must fit a newcomer's window).
	rated      int
	rmin, rmax float64
	props      map[string]string
	sig        string // propSignature(props)
	// Seats reserved for placed players who have not joined yet: their expiry times, oldest first.
	reserved []time.Time
	// present counts the room's players as its events tell (joins minus leaves since the room was tracked). The room's
	// own count (RoomInfo.Players) and its events are two views that may briefly disagree; occupancy takes the larger,
	// so a seat is never promised twice.
	present int
}

// presence is a room's joins and leaves reported between two batches.
type presence struct{ joined, left int }

// New makes a Matchmaker. Call Run (or Process yourself) to place tickets.
func New(cfg Config, rooms Rooms, tokens Tokens) (*Matchmaker, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if rooms == nil || tokens == nil {
		return nil, fmt.Errorf("matchmaker: Rooms and Tokens are required")
	}
	return &Matchmaker{
		cfg:     cfg,
		rooms:   rooms,
		tokens:  tokens,
		log:     cfg.Logger,
		deltas:  make(map[string]presence),
		tickets: make(map[string]*ticket),
		queued:  make(map[string]*ticket),
		tracks:  make(map[string]*roomTrack),
		codes:   make(map[string]string),
		byMode:  make(map[string]int),
		index:   make(map[string]*modeIndex),
	}, nil
}

// Run calls Process every Config.Interval until ctx is done.
func (m *Matchmaker) Run(ctx context.Context) {
	t := time.NewTicker(m.cfg.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			m.Process(m.cfg.Now())
		}
	}
}

// PlayerJoined tells the matchmaker that a player took a seat in room roomID (the room's player_joined event), which
// releases one of the room's reservations. Cheap and never blocks on Process: safe to call from a room's event
// callback.
func (m *Matchmaker) PlayerJoined(roomID string) {
	m.joinsMu.Lock()
	d := m.deltas[roomID]
	d.joined++
	m.deltas[roomID] = d
	m.joinsMu.Unlock()
}

// PlayerLeft tells the matchmaker that a player gave up its seat in room roomID for good (the room's player_left
// event). Like PlayerJoined, safe to call from a room's event callback.
func (m *Matchmaker) PlayerLeft(roomID string) {
	m.joinsMu.Lock()
	d := m.deltas[roomID]
	d.left++
	m.deltas[roomID] = d
	m.joinsMu.Unlock()
}

func (m *Matchmaker) takeDeltas() map[string]presence {
	m.joinsMu.Lock()
	defer m.joinsMu.Unlock()
	if len(m.deltas) == 0 {
		return nil
	}
	d := m.deltas
	m.deltas = make(map[string]presence)
	return d
}

// Submit queues a ticket. Errors: ErrUnknownMode, ErrBadRequest (wrapped with the reason), ErrUnauthenticated
// (wrapping the *auth.Error), ErrPlayerQueued (a verified user already queued), ErrQueueFull.
func (m *Matchmaker) Submit(req TicketRequest) (Ticket, error) {
	return m.submit(context.Background(), req, nil)
}

// SubmitContext is Submit with a context for the identity check (Config.Auth's hook).
func (m *Matchmaker) SubmitContext(ctx context.Context, req TicketRequest) (Ticket, error) {
	return m.submit(ctx, req, nil)
}

// submit queues a ticket that holds hold (nil: none) until it leaves the queue; refused, it releases hold.
func (m *Matchmaker) submit(ctx context.Context, req TicketRequest, hold TicketHold) (_ Ticket, err error) {
	if hold != nil {
		defer func() {
			if err != nil {
				hold.Done()
			}
		}()
	}
	capacity, ok := m.rooms.Capacity(req.Mode)
	if !ok {
		return Ticket{}, fmt.Errorf("%w: %q", ErrUnknownMode, req.Mode)
	}
	req.Players = append([]string(nil), req.Players...)
	req.Properties = maps.Clone(req.Properties) // shared read-only with the groups and rooms it joins
	if err := normalize(&req, capacity); err != nil {
		return Ticket{}, err
	}
	req.Code = strings.ToUpper(req.Code)
	players, err := m.identify(ctx, &req)
	if err != nil {
		return Ticket{}, err
	}
	keys := make([]string, len(players))
	for i, p := range players {
		keys[i] = queueKey(p)
	}
	now := m.cfg.Now()

	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.tickets) >= m.cfg.MaxTickets {
		return Ticket{}, ErrQueueFull
	}
	for i, k := range keys {
		if _, dup := m.queued[k]; dup && k != "" {
			return Ticket{}, fmt.Errorf("%w: %q", ErrPlayerQueued, req.Players[i])
		}
	}
	m.seq++
	t := &ticket{seq: m.seq, req: req, sig: propSignature(req.Properties), created: now, done: make(chan struct{}),
		hold: hold, players: players, keys: keys}
	seats := make([]Seat, len(req.Players))
	for i, p := range req.Players {
		seats[i] = Seat{Player: p}
		if keys[i] != "" {
			m.queued[keys[i]] = t
		}
	}
	t.view = Ticket{ID: randomHex(16), Status: StatusQueued, Mode: req.Mode, Players: seats, CreatedAt: now}
	m.tickets[t.view.ID] = t
	m.order = append(m.order, t)
	if !req.CreatePrivate && req.Code == "" {
		ix := m.index[req.Mode]
		if ix == nil {
			ix = newModeIndex()
			m.index[req.Mode] = ix
		}
		ix.add(t)
	}
	m.stats.Queued++
	m.byMode[req.Mode]++
	return m.viewLocked(t, now), nil
}

// Get reports a ticket.
func (m *Matchmaker) Get(id string) (Ticket, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t, ok := m.tickets[id]
	if !ok {
		return Ticket{}, ErrTicketNotFound
	}
	return m.viewLocked(t, m.cfg.Now()), nil
}

// Wait reports a ticket once it has left the queue, or as it is when wait has passed or ctx is done.
func (m *Matchmaker) Wait(ctx context.Context, id string, wait time.Duration) (Ticket, error) {
	m.mu.Lock()
	t, ok := m.tickets[id]
	m.mu.Unlock()
	if !ok {
		return Ticket{}, ErrTicketNotFound
	}
	if wait > 0 {
		timer := time.NewTimer(wait)
		select {
		case <-t.done:
		case <-timer.C:
		case <-ctx.Done():
		}
		timer.Stop()
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.viewLocked(t, m.cfg.Now()), nil
}

// Cancel cancels a queued ticket. Canceling a canceled ticket is a no-op; any other finished ticket gives
// ErrNotQueued (with the ticket as it is).
func (m *Matchmaker) Cancel(id string) (Ticket, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t, ok := m.tickets[id]
	if !ok {
		return Ticket{}, ErrTicketNotFound
	}
	now := m.cfg.Now()
	switch t.view.Status {
	case StatusQueued:
		m.finishLocked(t, StatusCanceled, "", now)
	case StatusCanceled:
	default:
		return m.viewLocked(t, now), ErrNotQueued
	}
	return m.viewLocked(t, now), nil
}

// viewLocked returns a copy of the ticket's public state.
func (m *Matchmaker) viewLocked(t *ticket, now time.Time) Ticket {
	v := t.view // Players is replaced, never modified in place, so sharing the slice is safe
	end := now
	if !t.queued() {
		end = t.ended
	}
	v.WaitedMs = end.Sub(t.created).Milliseconds()
	return v
}

// finishLocked takes a ticket out of the queue with a final status.
func (m *Matchmaker) finishLocked(t *ticket, status, errText string, now time.Time) {
	t.view.Status = status
	t.view.Error = errText
	t.ended = now
	m.stats.Queued--
	m.byMode[t.req.Mode]--
	switch status {
	case StatusPlaced:
		m.stats.Placed++
		if m.cfg.OnPlaced != nil {
			m.cfg.OnPlaced(now.Sub(t.created))
		}
	case StatusCanceled:
		m.stats.Canceled++
	case StatusTimedOut:
		m.stats.TimedOut++
	case StatusFailed:
		m.stats.Failed++
	}
	if t.bkt != nil {
		m.index[t.req.Mode].remove(t)
	}
	m.ended = append(m.ended, t)
	for _, k := range t.keys {
		if k != "" && m.queued[k] == t {
			delete(m.queued, k)
		}
	}
	close(t.done)
	if t.hold != nil {
		t.hold.Done()
	}
}

// codeAlphabet leaves out look-alikes (I, O, 0, 1). Its 32 letters make each character 5 bits, and a random byte
// modulo 32 is uniform.
const codeAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"

// CodeLength is the length of a private room code: 10 characters of 5 bits, 50 bits of entropy. With a few hundred
// live codes and failed lookups limited per source, guessing one takes on the order of 10^12 lookups.
const CodeLength = 10

// newCodeLocked returns an unused private room code.
func (m *Matchmaker) newCodeLocked() string {
	for {
		var b [CodeLength]byte
		_, _ = rand.Read(b[:])
		for i := range b {
			b[i] = codeAlphabet[int(b[i])%len(codeAlphabet)]
		}
		if _, used := m.codes[string(b[:])]; !used {
			return string(b[:])
		}
	}
}
