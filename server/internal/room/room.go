package room

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/proto"
	"github.com/tickwire/tickwire/proto/snapcodec"
)

// State is a room's lifecycle state.
type State int32

// Room states.
const (
	StateWaiting State = iota // running, no player holds a slot
	StateRunning              // at least one player holds a slot (connected or in grace)
	StateEnded                // the loop has ended (match over, closed, empty, or failed)
)

func (s State) String() string {
	switch s {
	case StateWaiting:
		return "waiting"
	case StateRunning:
		return "running"
	case StateEnded:
		return "ended"
	}
	return fmt.Sprintf("State(%d)", int32(s))
}

// Info is a room's public summary, safe to read from any goroutine.
type Info struct {
	ID        string
	Mode      string
	Epoch     uint64
	Players   int // slots taken, counting players in their grace period
	Connected int
	Capacity  int
	Reserved  int // seats reserved for players on their way (Reserve), not yet joined nor expired
	State     State
	Tick      uint32
	Overruns  uint64 // ticks dropped from the schedule because the loop was too late
	// InputsDropped counts every input not applied: the Drop reasons, late, early and duplicate included.
	InputsDropped uint64
	// Input outcomes since the room started (see InputCounts).
	InputsApplied, InputsMissed, InputsLate, InputsEarly, InputsDuplicate uint64
	// Messages handed to the Sim (players' and the backend's), and players' messages dropped (queue full, from a
	// superseded connection, or the game takes none).
	MessagesHandled, MessagesDropped uint64
}

// Standings is an optional interface of a Sim: the current ranking, used when the room is ended (End) before the
// game ends the match itself. Without it, every player is reported with score 0 and rank 1.
type Standings interface {
	Standings() []game.PlayerResult
}

// JoinRequest asks for a new slot.
type JoinRequest struct {
	Sink Sink
	Name string
	// UserID, Claims and Verified are who the player proved to be (game.Player); empty and false: anonymous.
	UserID      string
	Claims      map[string]string
	Verified    bool
	ResumeToken []byte // put in the Welcome; issued by the session table
	// Reservation is the key of the seat reserved for this player (Reserve), if any: the join takes that seat and
	// releases the reservation. A join without a live reservation of its own takes only a seat nobody holds or
	// has reserved.
	Reservation string
}

// JoinResult describes the slot a Join or Resume attached to.
type JoinResult struct {
	Player       game.PlayerID
	Tick         uint32 // the room's tick when it answered
	Epoch        uint64
	Resumed      bool
	LastInputSeq uint32 // the highest input sequence applied (resend only later ones)
}

type inboxKind uint8

const (
	itemInput inboxKind = iota
	itemAck
)

// inboxItem is an input or ack on its way to the loop; passed by value so pushing allocates nothing.
// Its fields are ordered by alignment, so that it has no padding (88 bytes): the inbox holds InboxSize of them.
type inboxItem struct {
	sink    Sink
	arrival stamp // when the room received it (Clock.Now in push)
	in      game.Input
	player  game.PlayerID
	tick    uint32 // the acknowledged snapshot tick (of an ack, or carried by an input)
	kind    inboxKind
}

type ctlKind uint8

const (
	ctlJoin ctlKind = iota
	ctlResume
	ctlLeave
	ctlDisconnected
	ctlEnd
	ctlBroadcast
	ctlBarrier
	ctlExport
)

type joinReply struct {
	res JoinResult
	err error
}

// ctlCmd is a control command; rare, so it may carry pointers and allocate.
type ctlCmd struct {
	kind        ctlKind
	ctx         context.Context
	player      game.PlayerID
	sink        Sink
	who         game.Player // a join's identity (ID unset)
	token       []byte
	reservation string
	reason      string
	ev          game.Event
	text        string
	reply       chan joinReply // buffered 1
	barrier     chan struct{}
	export      chan exportReply // buffered 1
	// fate settles a join or resume exactly once: the loop takes it (fateTaken) or its waiter gives up on it when
	// ctx ends (fateAbandoned), whichever comes first. So a waiter that returns ctx's error knows the room never
	// applied the command, and one that finds it taken waits for the answer.
	fate *atomic.Int32
}

// States of ctlCmd.fate.
const (
	fatePending int32 = iota
	fateTaken
	fateAbandoned
)

// take claims a join or resume for the loop; false: its waiter gave up on it (or is about to: ctx has ended).
func (c *ctlCmd) take() bool {
	if c.ctx != nil && c.ctx.Err() != nil {
		return false
	}
	return c.fate == nil || c.fate.CompareAndSwap(fatePending, fateTaken)
}

// Room is one running room. Its exported methods are safe to call from any goroutine.
type Room struct {
	// Static after New.
	cfg           Config
	sim           game.Sim
	schema        *game.Schema
	codec         *snapcodec.Codec
	graceTicks    uint32
	emptyTicks    uint32
	welcomeKinds  []*proto.EntityKind
	welcomeInput  []*proto.InputField
	welcomeParams map[string]int32
	welcomeFill   proto.InputFill
	maxRewindMS   uint32                     // Welcome.max_rewind_ms: MaxRewind when the Sim rewinds (game.HistoryUser), else 0
	neutral       [game.MaxInputValues]int32 // every input value 0, clamped into its bounds
	rewindTicks   uint32                     // MaxRewind in ticks
	leadEvery     uint32                     // snapshots between two input lead reports (about 100 ms)
	t0            time.Time                  // when New ran (Clock.Now): the origin of stamps
	inbox         chan inboxItem
	msgs          chan msgItem  // players' and the backend's messages, in arrival order (messages.go)
	wake          chan struct{} // capacity 1: the control queue has commands
	done          chan struct{}
	frames        framePool
	started       atomic.Bool

	seats seatBook // the loop and Reserve (its own lock)

	imported importMark // static after Import (export.go)

	// stepping is the watchdog's view of the loop: 0 outside Sim.Step, the Clock's UnixNano when Step began while
	// inside it, stallClaimed once the watchdog took the room over (the loop then touches nothing and quits).
	stepping atomic.Int64

	// Guarded by ctlMu.
	ctlMu     sync.Mutex
	ctl       []ctlCmd
	ctlClosed bool // the loop has ended: commands are refused

	// Written by the loop (and by callers for dropped counts), read by Info.
	tickA       atomic.Uint32
	stateA      atomic.Int32
	playersA    atomic.Int32
	connectedA  atomic.Int32
	overrunsA   atomic.Uint64
	droppedA    atomic.Uint64
	appliedA    atomic.Uint64
	missedA     atomic.Uint64
	lateA       atomic.Uint64
	earlyA      atomic.Uint64
	dupA        atomic.Uint64
	msgHandledA atomic.Uint64
	msgDroppedA atomic.Uint64

	// Owned by the run loop.
	tick       uint32
	start      time.Time // tick startTick+n is due at start + n·dt
	startTick  uint32
	players    []*player // ascending id: the order inputs are applied in
	byID       map[game.PlayerID]*player
	nextID     game.PlayerID
	nDisc      int // players in their grace period
	emptySince uint32
	ended      bool
	events     game.Events
	hist       []histEntry     // ring indexed by tick % HistorySize
	world      snapcodec.World // this tick's entities as the Sim appended them, before they are packed into hist
	cache      []cacheEntry
	vis        *visState // per-player views, when the Sim has game.Visibility (else nil)
	entBuf     []byte
	scratch    []byte
	slab       []byte // reliable frames are carved from it and never modified after
	ctlSpare   []ctlCmd
	barriers   []chan struct{}
	counts     InputCounts // since the last tick's report
	snapN      uint32      // snapshots sent: every leadEvery-th carries the input lead reports
	fill       game.Input  // the missed input handed to the Sim, reused
	msgBatch   []msgItem   // the messages handed to the Sim this tick, kept until its events are encoded
	j          journalState
	recovered  bool // Recovered was called: startRecovered runs before the first tick
	lostTicks  int  // the ticks the room lost (Recovered), run at once as it starts
}

// New makes a room for sim. Call Run to start it.
func New(cfg Config, sim game.Sim) (*Room, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if sim == nil {
		return nil, fmt.Errorf("%w: nil Sim", ErrBadConfig)
	}
	schema := sim.Schema()
	codec, err := snapcodec.New(schema)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadConfig, err)
	}
	r := &Room{
		cfg:        cfg,
		seats:      seatBook{capacity: cfg.MaxPlayers},
		sim:        sim,
		schema:     schema,
		codec:      codec,
		t0:         cfg.Clock.Now(),
		graceTicks: max(cfg.ticks(cfg.Grace), 1),
		emptyTicks: max(cfg.ticks(cfg.EmptyTimeout), 1),
		inbox:      make(chan inboxItem, cfg.InboxSize),
		msgs:       make(chan msgItem, cfg.MessageQueueSize),
		wake:       make(chan struct{}, 1),
		done:       make(chan struct{}),
		frames:     framePool{free: make(chan *Frame, 2*cfg.MaxPlayers+8)},
		byID:       make(map[game.PlayerID]*player, cfg.MaxPlayers),
		hist:       make([]histEntry, cfg.HistorySize),
		cache:      make([]cacheEntry, 0, 8),
		entBuf:     make([]byte, 0, 4096),
		scratch:    make([]byte, 0, 256),
	}
	if hu, ok := sim.(game.HistoryUser); ok {
		hu.UseHistory(r.history())
	}
	if v, ok := sim.(game.Visibility); ok {
		r.vis = newVisState(v, cfg.MaxPlayers)
	}
	r.welcomeKinds, r.welcomeInput, r.welcomeParams = snapcodec.SchemaToWelcome(schema)
	r.welcomeFill = snapcodec.InputFillToWelcome(schema)
	if _, ok := sim.(game.HistoryUser); ok {
		r.maxRewindMS = uint32(cfg.MaxRewind.Milliseconds())
	}
	for i, f := range schema.Input {
		r.neutral[i] = min(max(0, f.Min), f.Max)
	}
	r.rewindTicks = cfg.ticks(cfg.MaxRewind)
	r.initJournal()
	snapRate := float64(cfg.TickRate) / float64(cfg.SnapshotEvery)
	r.leadEvery = uint32(max(1, math.Round(snapRate/10)))
	return r, nil
}

// Done is closed when Run has returned.
func (r *Room) Done() <-chan struct{} { return r.done }

// ID returns the room's id.
func (r *Room) ID() string { return r.cfg.ID }

// Info returns the room's summary. Safe from any goroutine.
func (r *Room) Info() Info {
	return Info{
		ID:            r.cfg.ID,
		Mode:          r.cfg.Mode,
		Epoch:         r.cfg.Epoch,
		Players:       int(r.playersA.Load()),
		Connected:     int(r.connectedA.Load()),
		Capacity:      r.cfg.MaxPlayers,
		Reserved:      r.Reserved(),
		State:         State(r.stateA.Load()),
		Tick:          r.tickA.Load(),
		Overruns:      r.overrunsA.Load(),
		InputsDropped: r.droppedA.Load(),

		InputsApplied:   r.appliedA.Load(),
		InputsMissed:    r.missedA.Load(),
		InputsLate:      r.lateA.Load(),
		InputsEarly:     r.earlyA.Load(),
		InputsDuplicate: r.dupA.Load(),
		MessagesHandled: r.msgHandledA.Load(),
		MessagesDropped: r.msgDroppedA.Load(),
	}
}

// Run is the room's loop. It returns when the room ends: End, the game's result, the empty timeout, a panic in the
// Sim, or a Sim stuck in Step for longer than Config.StallTimeout. A panic or a stall ends only this room (players
// are closed with CLOSE_ROOM_FAILED and a room_error event is reported). With a StallTimeout the loop runs on a
// goroutine of its own and Run watches it (see watchdog.go): a stuck loop is abandoned, and Run returns.
func (r *Room) Run() {
	if r.started.Swap(true) {
		r.cfg.Logger.Error("room: Run called twice", slog.String("room", r.cfg.ID))
		return
	}
	defer close(r.done)
	if r.cfg.StallTimeout <= 0 {
		r.loop()
		return
	}
	loopDone := make(chan struct{})
	go func() {
		defer close(loopDone)
		r.loop()
	}()
	r.watch(loopDone)
}

// loop runs the ticks until the room ends.
func (r *Room) loop() {
	defer r.closeControl()
	defer r.closeJournal()
	defer func() {
		if p := recover(); p != nil && p != errAbandoned && r.release() {
			r.fail(p)
		}
	}()
	r.start = r.cfg.Clock.Now().Add(r.cfg.Phase)
	r.emit(Event{Type: EventCreated})
	r.startRecovered()
	timer := r.cfg.Clock.NewTimer(r.dueIn(r.start))
	defer timer.Stop()
	for !r.ended {
		// Inputs and acks wait in the buffered inbox until the tick drains them: waking the loop for each one would
		// cost a goroutine switch per input (tens of thousands a second on a busy server) and change nothing, since
		// inputs count only from the next tick.
		select {
		case <-r.wake:
		case <-timer.C():
		}
		r.poll()
		if !r.ended {
			timer.Reset(r.dueIn(r.cfg.Clock.Now()))
		}
	}
}

// poll drains the inbox and the control queue, then runs the ticks due. The time is read after draining, so a
// command queued after the clock moved sees the ticks due by then run before it is acknowledged.
func (r *Room) poll() {
	r.drainInbox()
	r.drainControl()
	r.runDue(r.cfg.Clock.Now())
	for _, b := range r.barriers {
		close(b)
	}
	clear(r.barriers)
	r.barriers = r.barriers[:0]
}

// due returns when tick n is due (n may be before startTick: a late input's tick).
// stamp is a time the room noted (an input's arrival) as nanoseconds since the room was made (Room.t0): a third of a
// time.Time, in the inbox's items and every slot of the players' input buffers.
type stamp int64

func (r *Room) stamp(t time.Time) stamp { return stamp(t.Sub(r.t0)) }

func (r *Room) timeOf(s stamp) time.Time { return r.t0.Add(time.Duration(s)) }

func (r *Room) due(n uint32) time.Time {
	k := int64(n) - int64(r.startTick)
	return r.start.Add(time.Duration(k * int64(time.Second) / int64(r.cfg.TickRate)))
}

func (r *Room) dueIn(now time.Time) time.Duration {
	return max(r.due(r.tick+1).Sub(now), 0)
}

// runDue runs every tick due at now, at most MaxCatchUp of them; when still behind it drops the rest from the
// schedule (the next tick is due one interval from now) and counts them as overruns.
func (r *Room) runDue(now time.Time) {
	for ran := 0; !r.ended && !now.Before(r.due(r.tick+1)); ran++ {
		if ran == r.cfg.MaxCatchUp {
			dt := time.Second / time.Duration(r.cfg.TickRate)
			skipped := int(now.Sub(r.due(r.tick+1))/dt) + 1
			r.overrunsA.Add(uint64(skipped))
			r.cfg.Observer.Overrun(skipped)
			r.start, r.startTick = now, r.tick
			return
		}
		// Inputs and commands that arrived while the loop was busy count for this tick.
		r.drainInbox()
		r.drainControl()
		if r.ended {
			return
		}
		r.step()
	}
}

func (r *Room) drainInbox() {
	for {
		select {
		case it := <-r.inbox:
			r.handleItem(&it)
		default:
			return
		}
	}
}

func (r *Room) drainControl() {
	r.ctlMu.Lock()
	cmds := r.ctl
	r.ctl = r.ctlSpare[:0]
	r.ctlMu.Unlock()
	for i := range cmds {
		if !r.ended {
			r.handleControl(&cmds[i])
		} else {
			r.refuse(&cmds[i])
		}
		cmds[i] = ctlCmd{}
	}
	r.ctlSpare = cmds[:0]
}

// closeControl refuses every command still queued and every later one.
func (r *Room) closeControl() {
	r.stateA.Store(int32(StateEnded))
	r.ctlMu.Lock()
	r.ctlClosed = true
	cmds := r.ctl
	r.ctl = nil
	r.ctlMu.Unlock()
	for i := range cmds {
		r.refuse(&cmds[i])
	}
}

func (r *Room) refuse(c *ctlCmd) {
	if c.reply != nil {
		c.reply <- joinReply{err: ErrEnded}
	}
	if c.export != nil {
		c.export <- exportReply{err: ErrEnded}
	}
	if c.barrier != nil {
		close(c.barrier)
	}
}

// pushControl queues a control command; bounded is false for commands that each connection sends at most once
// (Leave, Disconnected) or that must not be lost (End).
func (r *Room) pushControl(c ctlCmd, bounded bool) error {
	r.ctlMu.Lock()
	if r.ctlClosed {
		r.ctlMu.Unlock()
		return ErrEnded
	}
	if bounded && len(r.ctl) >= r.cfg.ControlQueueSize {
		r.ctlMu.Unlock()
		return ErrBusy
	}
	r.ctl = append(r.ctl, c)
	r.ctlMu.Unlock()
	select {
	case r.wake <- struct{}{}:
	default: // a wake-up is already pending
	}
	return nil
}

// Join adds a new player: the room sends the sink its Welcome, then snapshots. It waits for the loop's answer. When ctx
// ends before the loop took the join, Join returns ctx's error and the room never adds the player; once the loop
// took it, Join returns the loop's answer even if ctx ends meanwhile.
func (r *Room) Join(ctx context.Context, req JoinRequest) (JoinResult, error) {
	if req.Sink == nil {
		return JoinResult{}, fmt.Errorf("%w: nil sink", ErrRejected)
	}
	who := game.Player{Name: req.Name, UserID: req.UserID, Claims: req.Claims, Verified: req.Verified}
	c := ctlCmd{kind: ctlJoin, ctx: ctx, sink: req.Sink, who: who, token: req.ResumeToken,
		reservation: req.Reservation, reply: make(chan joinReply, 1)}
	return r.await(ctx, c)
}

// Resume re-attaches player to sink within its grace period, or takes over its live connection (the old sink is
// closed with CLOSE_SUPERSEDED). The room sends a Welcome (resumed) and a full snapshot next. ctx bounds the wait as
// for Join: ctx's error means the room did not act on the resume.
func (r *Room) Resume(ctx context.Context, player game.PlayerID, sink Sink, resumeToken []byte) (JoinResult, error) {
	if sink == nil {
		return JoinResult{}, fmt.Errorf("%w: nil sink", ErrRejected)
	}
	c := ctlCmd{kind: ctlResume, ctx: ctx, player: player, sink: sink, token: resumeToken, reply: make(chan joinReply, 1)}
	return r.await(ctx, c)
}

func (r *Room) await(ctx context.Context, c ctlCmd) (JoinResult, error) {
	c.fate = new(atomic.Int32)
	if err := r.pushControl(c, true); err != nil {
		return JoinResult{}, err
	}
	select {
	case rep := <-c.reply:
		return rep.res, rep.err
	case <-r.done:
		return JoinResult{}, ErrEnded
	case <-ctx.Done():
		if c.fate.CompareAndSwap(fatePending, fateAbandoned) {
			return JoinResult{}, ctx.Err() // the loop will refuse it
		}
		// The loop took it before ctx ended and is answering now: its answer holds.
		select {
		case rep := <-c.reply:
			return rep.res, rep.err
		case <-r.done:
			return JoinResult{}, ErrEnded
		}
	}
}

// Input queues one input of player from sink, for tick in.Tick; ackTick is the newest snapshot tick the client holds
// (0: none). The room stamps its arrival time here. It never blocks; false means it was dropped (inbox full or room
// ended). Whether it is applied, late, early or a duplicate is decided by the loop.
func (r *Room) Input(player game.PlayerID, sink Sink, in game.Input, ackTick uint32) bool {
	return r.push(inboxItem{kind: itemInput, player: player, sink: sink, tick: ackTick, in: in})
}

// Ack records the latest snapshot tick the player holds. It never blocks.
func (r *Room) Ack(player game.PlayerID, sink Sink, tick uint32) {
	r.push(inboxItem{kind: itemAck, player: player, sink: sink, tick: tick})
}

func (r *Room) push(it inboxItem) bool {
	if State(r.stateA.Load()) == StateEnded {
		r.drop(DropEnded)
		return false
	}
	it.arrival = r.stamp(r.cfg.Clock.Now())
	select {
	case r.inbox <- it:
		return true
	default:
		// Drop the newest: the inbox bound protects the room from a flood; the client reconciles with last_input_seq.
		r.drop(DropInboxFull)
		return false
	}
}

func (r *Room) drop(reason DropReason) {
	r.droppedA.Add(1)
	r.cfg.Observer.InputDropped(reason)
}

// Disconnected says that sink's socket dropped: the player's grace period starts. Ignored when sink is no longer
// the player's connection (it was superseded). Never blocks.
func (r *Room) Disconnected(player game.PlayerID, sink Sink) {
	_ = r.pushControl(ctlCmd{kind: ctlDisconnected, player: player, sink: sink}, false)
}

// Leave removes the player now (a Leave frame); the sink is closed with CLOSE_LEFT. Never blocks.
func (r *Room) Leave(player game.PlayerID, sink Sink) {
	_ = r.pushControl(ctlCmd{kind: ctlLeave, player: player, sink: sink}, false)
}

// End ends the match: every connected player gets a MatchResult, then is closed with CLOSE_ROOM_ENDED. Never blocks.
func (r *Room) End(reason string) {
	_ = r.pushControl(ctlCmd{kind: ctlEnd, reason: reason}, false)
}

// Broadcast sends an Event to every connected player (ev.Type, ev.Player, ev.Args[:ev.NArgs], and text). Never
// blocks; fails with ErrBusy or ErrEnded.
func (r *Room) Broadcast(ev game.Event, text string) error {
	ev.Type, text = strings.ToValidUTF8(ev.Type, "\uFFFD"), strings.ToValidUTF8(text, "\uFFFD")
	return r.pushControl(ctlCmd{kind: ctlBroadcast, ev: ev, text: text}, true)
}

// sync waits until the loop has handled every command queued before it and run the ticks due at that time.
func (r *Room) sync() {
	b := make(chan struct{})
	if r.pushControl(ctlCmd{kind: ctlBarrier, barrier: b}, false) != nil {
		return
	}
	select {
	case <-b:
	case <-r.done:
	}
}

// emit reports a room event to OnEvent.
func (r *Room) emit(ev Event) {
	if r.cfg.OnEvent == nil {
		return
	}
	ev.Room, ev.Epoch = r.cfg.ID, r.cfg.Epoch
	if ev.Tick == 0 {
		ev.Tick = r.tick
	}
	r.cfg.OnEvent(ev)
}

// publish updates the counts Info reads.
func (r *Room) publish() {
	r.playersA.Store(int32(len(r.players)))
	r.connectedA.Store(int32(len(r.players) - r.nDisc))
	if r.ended {
		r.stateA.Store(int32(StateEnded))
	} else if len(r.players) > 0 {
		r.stateA.Store(int32(StateRunning))
	} else {
		r.stateA.Store(int32(StateWaiting))
	}
}
