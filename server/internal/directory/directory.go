// Package directory is the server's registry of game modes and running rooms: it creates rooms from the registered
// factories, finds them by id, places quick-play joins into an open room of a mode (creating one when none has
// space), lists them, and forgets each room when its loop returns.
//
// Rooms are found only through the directory (never through process globals), so that a shared directory across
// processes can replace this in-memory one later. Every method is safe to call from several goroutines.
package directory

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/server/internal/room"
)

// Errors of the directory.
var (
	ErrUnknownMode = errors.New("directory: unknown mode")
	ErrNotFound    = errors.New("directory: room not found")
	ErrClosed      = errors.New("directory: closed")
	ErrDuplicate   = errors.New("directory: mode already registered")
	// ErrLimited: Config.Admit refused a new room (room cap or creation rate).
	ErrLimited = errors.New("directory: room limit reached")
	// ErrFactoryPanic: the game's factory (or its Sim's Schema) panicked; the room was not created.
	ErrFactoryPanic = errors.New("directory: game factory panicked")
)

// Mode is a registered game type.
type Mode struct {
	Name    string
	Factory game.Factory
	// Room is the template of every room of the mode (ID, Mode, Epoch, Logger, Observer and OnEvent are filled in).
	Room room.Config
	// Settings are the default game settings of the mode's rooms; CreateOptions.Settings override them per key.
	Settings map[string]string
}

// CreateOptions are per-room choices of whoever creates it (the matchmaker, the service API).
type CreateOptions struct {
	Settings map[string]string
	// Private rooms are never chosen by QuickJoin and are hidden from listings that ask so.
	Private bool
}

// Room is a running room with what the directory knows about it.
type Room struct {
	*room.Room
	Mode    string
	Private bool
	Created time.Time
	// Input is the game's input schema: the transport checks every Input against it.
	InputSchema []game.InputField
}

// Config is the directory's configuration.
type Config struct {
	Logger   *slog.Logger
	Observer room.Observer
	// OnEvent receives every room's events (on that room's goroutine: it must not block).
	OnEvent func(room.Event)
	// Admit, when set, is asked before each room is created, with the rooms running now or being created (all, and
	// of mode); false refuses the creation with ErrLimited. It runs with the directory's lock held: it must be quick.
	Admit func(mode string, rooms, modeRooms int) bool
	// TickPhases is how many tick phases the rooms' schedules are spread over: 0 spreads them evenly over the whole
	// interval (no two rooms tick at the same instant), n puts every room on one of n evenly spaced phases (1: all in
	// step), so that the wake-ups, reads and writes of the rooms on one phase are handled together.
	TickPhases int
}

// Directory holds the modes and rooms.
type Directory struct {
	// Static after construction.
	cfg Config

	mu      sync.Mutex
	modes   map[string]*Mode
	rooms   map[string]*Room
	closed  bool
	created uint64         // rooms created so far, for their tick phases
	wg      sync.WaitGroup // one per running room loop
	// Creations admitted and not yet in rooms (or given up), all and by mode: Admit counts them as rooms, so that
	// concurrent creations cannot take the room count past its cap.
	pending     int
	pendingMode map[string]int
}

// New makes an empty directory.
func New(cfg Config) *Directory {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Directory{cfg: cfg, modes: map[string]*Mode{}, rooms: map[string]*Room{}, pendingMode: map[string]int{}}
}

// Register adds a game mode.
func (d *Directory) Register(m Mode) error {
	if m.Name == "" || m.Factory == nil {
		return errors.New("directory: a mode needs a name and a factory")
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.modes[m.Name]; ok {
		return fmt.Errorf("%w: %q", ErrDuplicate, m.Name)
	}
	mm := m
	d.modes[m.Name] = &mm
	return nil
}

// HasMode reports whether mode is registered.
func (d *Directory) HasMode(mode string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	_, ok := d.modes[mode]
	return ok
}

// Modes lists the registered mode names, sorted.
func (d *Directory) Modes() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]string, 0, len(d.modes))
	for n := range d.modes {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Capacity returns the player capacity of a mode's rooms.
func (d *Directory) Capacity(mode string) (int, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	m, ok := d.modes[mode]
	if !ok {
		return 0, false
	}
	if m.Room.MaxPlayers == 0 {
		return 16, true // the room's default
	}
	return m.Room.MaxPlayers, true
}

func randomUint64() uint64 {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("directory: crypto/rand failed: " + err.Error())
	}
	return binary.LittleEndian.Uint64(b[:])
}

func newRoomID() string {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("directory: crypto/rand failed: " + err.Error())
	}
	return hex.EncodeToString(b[:])
}

// Create starts a new room of mode.
func (d *Directory) Create(mode string, opts CreateOptions) (*Room, error) {
	d.mu.Lock()
	m, ok := d.modes[mode]
	closed := d.closed
	admitted := !ok || closed || d.admitLocked(mode)
	if ok && !closed && admitted {
		d.pending++
		d.pendingMode[mode]++
	}
	d.mu.Unlock()
	if closed {
		return nil, ErrClosed
	}
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownMode, mode)
	}
	if !admitted {
		return nil, fmt.Errorf("%w: mode %q", ErrLimited, mode)
	}
	inserted := false
	defer func() {
		if !inserted {
			d.mu.Lock()
			d.donePendingLocked(mode)
			d.mu.Unlock()
		}
	}()
	settings := make(map[string]string, len(m.Settings)+len(opts.Settings))
	for k, v := range m.Settings {
		settings[k] = v
	}
	for k, v := range opts.Settings {
		settings[k] = v
	}
	cfg := m.Room
	cfg.ID = newRoomID()
	cfg.Mode = mode
	cfg.Epoch = randomUint64()
	if cfg.Logger == nil {
		cfg.Logger = d.cfg.Logger
	}
	if d.cfg.Observer != nil {
		cfg.Observer = d.cfg.Observer
	}
	cfg.OnEvent = d.cfg.OnEvent
	maxPlayers := cfg.MaxPlayers
	if maxPlayers == 0 {
		maxPlayers = 16
	}
	tickRate := cfg.TickRate
	if tickRate == 0 {
		tickRate = 30
	}
	cfg.Game = game.Config{Seed: randomUint64(), TickRate: tickRate, MaxPlayers: maxPlayers, Settings: settings}
	sim, input, err := newSim(m.Factory, cfg.Game)
	if err != nil {
		return nil, fmt.Errorf("directory: mode %q: %w", mode, err)
	}
	d.mu.Lock()
	k := d.created
	d.created++
	d.mu.Unlock()
	cfg.Phase = tickPhase(k, tickRate, d.cfg.TickPhases)
	r, err := room.New(cfg, sim)
	if err != nil {
		return nil, fmt.Errorf("directory: mode %q: %w", mode, err)
	}
	e := &Room{Room: r, Mode: mode, Private: opts.Private, Created: time.Now(), InputSchema: input}
	d.mu.Lock()
	inserted = true
	d.donePendingLocked(mode)
	if d.closed {
		d.mu.Unlock()
		return nil, ErrClosed
	}
	d.rooms[e.ID()] = e
	d.wg.Add(1)
	d.mu.Unlock()
	go d.run(e)
	return e, nil
}

// ImportOptions are the directory's own attributes of an imported room, carried beside the export (which holds the
// room itself: its game settings are in the Sim's config).
type ImportOptions struct {
	Private bool
	// Created is when the room was first created (zero: now): listings keep their order across moves.
	Created time.Time
}

// Import continues an exported room (room.Export, from another process) here: a Sim made by its mode's Factory
// with the exported config replays the export (room.Import) and the room runs under its own id. It counts as a new
// room for Config.Admit. It fails with ErrUnknownMode, ErrClosed, ErrLimited, room.ErrImport, or when a room with
// that id runs here already.
func (d *Directory) Import(ex *room.Export) (*Room, error) { return d.ImportWith(ex, ImportOptions{}) }

// ImportWith is Import with the room's directory attributes.
func (d *Directory) ImportWith(ex *room.Export, opts ImportOptions) (*Room, error) {
	mode, gc, err := ex.Game()
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	m, ok := d.modes[mode]
	closed := d.closed
	admitted := !ok || closed || d.admitLocked(mode)
	if ok && !closed && admitted {
		d.pending++
		d.pendingMode[mode]++
	}
	d.mu.Unlock()
	switch {
	case !ok:
		return nil, fmt.Errorf("%w: %q", ErrUnknownMode, mode)
	case closed:
		return nil, ErrClosed
	case !admitted:
		return nil, fmt.Errorf("%w: mode %q", ErrLimited, mode)
	}
	inserted := false
	defer func() {
		if !inserted {
			d.mu.Lock()
			d.donePendingLocked(mode)
			d.mu.Unlock()
		}
	}()
	cfg := m.Room
	if cfg.Logger == nil {
		cfg.Logger = d.cfg.Logger
	}
	if d.cfg.Observer != nil {
		cfg.Observer = d.cfg.Observer
	}
	cfg.OnEvent = d.cfg.OnEvent
	sim, input, err := newSim(m.Factory, gc)
	if err != nil {
		return nil, fmt.Errorf("directory: mode %q: %w", mode, err)
	}
	r, err := room.Import(cfg, sim, ex)
	if err != nil {
		return nil, err
	}
	created := opts.Created
	if created.IsZero() {
		created = time.Now()
	}
	e := &Room{Room: r, Mode: mode, Private: opts.Private, Created: created, InputSchema: input}
	d.mu.Lock()
	inserted = true
	d.donePendingLocked(mode)
	if d.closed {
		d.mu.Unlock()
		return nil, ErrClosed
	}
	if d.rooms[e.ID()] != nil {
		d.mu.Unlock()
		return nil, fmt.Errorf("directory: room %s runs here already", e.ID())
	}
	d.rooms[e.ID()] = e
	d.wg.Add(1)
	d.mu.Unlock()
	go d.run(e)
	return e, nil
}

// newSim calls the game's factory and reads its input schema, turning a panic in either into ErrFactoryPanic: a
// broken game refuses the room's creation (the matchmaker's ticket fails, the service API answers an error, a quick
// play join is refused) and the process lives on.
func newSim(f game.Factory, cfg game.Config) (sim game.Sim, input []game.InputField, err error) {
	defer func() {
		if p := recover(); p != nil {
			sim, input, err = nil, nil, fmt.Errorf("%w: %v", ErrFactoryPanic, p)
		}
	}()
	sim, err = f(cfg)
	if err != nil {
		return nil, nil, err
	}
	if sim == nil {
		return nil, nil, errors.New("directory: the game factory returned no Sim")
	}
	if s := sim.Schema(); s != nil {
		input = append(input, s.Input...)
	}
	return sim, input, nil
}

// run runs a room's loop (which recovers a panicking Sim itself) and forgets the room when it returns.
func (d *Directory) run(e *Room) {
	defer d.wg.Done()
	e.Run()
	d.mu.Lock()
	delete(d.rooms, e.ID())
	d.mu.Unlock()
}

// admitLocked asks Config.Admit about one more room of mode.
func (d *Directory) admitLocked(mode string) bool {
	if d.cfg.Admit == nil {
		return true
	}
	n := d.pendingMode[mode]
	for _, r := range d.rooms {
		if r.Mode == mode {
			n++
		}
	}
	return d.cfg.Admit(mode, len(d.rooms)+d.pending, n)
}

// donePendingLocked ends one admitted creation of mode (the room is inserted, or the creation failed).
func (d *Directory) donePendingLocked(mode string) {
	d.pending--
	if d.pendingMode[mode]--; d.pendingMode[mode] == 0 {
		delete(d.pendingMode, mode)
	}
}

// Get returns a running room by id.
func (d *Directory) Get(id string) (*Room, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	r, ok := d.rooms[id]
	return r, ok
}

// QuickJoin joins req into the fullest open public room of mode, creating a room when none has space.
// A draining directory refuses quick play (ErrClosed): a player would join a match about to be ended.
func (d *Directory) QuickJoin(ctx context.Context, mode string, req room.JoinRequest) (*Room, room.JoinResult, error) {
	if !d.HasMode(mode) {
		return nil, room.JoinResult{}, fmt.Errorf("%w: %q", ErrUnknownMode, mode)
	}
	d.mu.Lock()
	closed := d.closed
	d.mu.Unlock()
	if closed {
		return nil, room.JoinResult{}, ErrClosed
	}
	tried := map[string]bool{}
	for attempt := 0; attempt < 4; attempt++ {
		r := d.pickOpen(mode, tried)
		if r == nil {
			var err error
			if r, err = d.Create(mode, CreateOptions{}); err != nil {
				return nil, room.JoinResult{}, err
			}
		}
		tried[r.ID()] = true
		res, err := r.Join(ctx, req)
		if err == nil {
			return r, res, nil
		}
		if !errors.Is(err, room.ErrFull) && !errors.Is(err, room.ErrEnded) {
			return nil, room.JoinResult{}, err
		}
	}
	return nil, room.JoinResult{}, room.ErrFull
}

// pickOpen returns the public room of mode with the most players that still has a seat neither held nor reserved,
// or nil.
func (d *Directory) pickOpen(mode string, skip map[string]bool) *Room {
	d.mu.Lock()
	candidates := make([]*Room, 0, 8)
	for _, r := range d.rooms {
		if r.Mode == mode && !r.Private && !skip[r.ID()] {
			candidates = append(candidates, r)
		}
	}
	d.mu.Unlock()
	var best *Room
	bestPlayers := -1
	for _, r := range candidates {
		info := r.Info()
		if info.State == room.StateEnded || info.Players+info.Reserved >= info.Capacity { // reserved seats are not free
			continue
		}
		if info.Players > bestPlayers {
			best, bestPlayers = r, info.Players
		}
	}
	return best
}

// List returns the info of every room (of mode, when not empty), with private rooms only when includePrivate.
func (d *Directory) List(mode string, includePrivate bool) []Listing {
	d.mu.Lock()
	rooms := make([]*Room, 0, len(d.rooms))
	for _, r := range d.rooms {
		if (mode == "" || r.Mode == mode) && (includePrivate || !r.Private) {
			rooms = append(rooms, r)
		}
	}
	d.mu.Unlock()
	out := make([]Listing, 0, len(rooms))
	for _, r := range rooms {
		out = append(out, Listing{Info: r.Info(), Private: r.Private, Created: r.Created})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Created.Before(out[j].Created) })
	return out
}

// Reserve holds one seat per key in room id for ttl (room.Room.Reserve): the players who join with those keys
// (room.JoinRequest.Reservation) get them, quick play never does.
func (d *Directory) Reserve(id string, keys []string, ttl time.Duration) error {
	r, ok := d.Get(id)
	if !ok {
		return fmt.Errorf("%w: %q", ErrNotFound, id)
	}
	return r.Reserve(keys, ttl)
}

// Listing is one room in List.
type Listing struct {
	room.Info
	Private bool
	Created time.Time
}

// Len returns the number of running rooms.
func (d *Directory) Len() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.rooms)
}

// Drain refuses new rooms and quick play (ErrClosed) and leaves the running rooms alone (joins with a token and
// resumes still reach them); Wait tells when they have all ended.
func (d *Directory) Drain() {
	d.mu.Lock()
	d.closed = true
	d.mu.Unlock()
}

// Wait waits until every room loop has returned, or ctx is done (its error).
func (d *Directory) Wait(ctx context.Context) error {
	done := make(chan struct{})
	go func() { d.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close refuses new rooms, ends every room with reason and waits (until ctx is done) for their loops to return.
func (d *Directory) Close(ctx context.Context, reason string) error {
	d.mu.Lock()
	d.closed = true
	rooms := make([]*Room, 0, len(d.rooms))
	for _, r := range d.rooms {
		rooms = append(rooms, r)
	}
	d.mu.Unlock()
	for _, r := range rooms {
		r.End(reason)
	}
	return d.Wait(ctx)
}

// tickPhase spreads the tick schedules of successive rooms over the tick interval with the golden-ratio sequence
// (k·0.618… mod 1), so that however many rooms exist, their ticks, and the snapshot writes each tick ends with, are
// spread evenly instead of bunching (rooms opened by one matchmaking batch would otherwise tick in step).
// With slots > 0 the phase is rounded down to one of slots evenly spaced phases.
func tickPhase(k uint64, tickRate, slots int) time.Duration {
	const golden = 0.6180339887498949
	f := float64(k) * golden
	f -= float64(uint64(f))
	if slots > 0 {
		f = float64(int(f*float64(slots))) / float64(slots)
	}
	return time.Duration(f * float64(time.Second/time.Duration(tickRate)))
}
