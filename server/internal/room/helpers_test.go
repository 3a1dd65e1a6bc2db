package room

import (
	"bytes"
	"cmp"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
	gproto "google.golang.org/protobuf/proto"

	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/proto"
	"github.com/tickwire/tickwire/proto/snapcodec"
)

// fakeClock is a Clock that moves only when Advance is called.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Unix(1_700_000_000, 0)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) NewTimer(d time.Duration) Timer {
	t := &fakeTimer{clk: c, c: make(chan time.Time, 1)}
	c.mu.Lock()
	c.timers = append(c.timers, t)
	c.mu.Unlock()
	t.Reset(d)
	return t
}

// Advance moves time forward and fires the timers that are due.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	for _, t := range c.timers {
		t.fireLocked()
	}
}

type fakeTimer struct {
	clk    *fakeClock
	c      chan time.Time
	when   time.Time
	active bool
}

func (t *fakeTimer) C() <-chan time.Time { return t.c }

func (t *fakeTimer) Reset(d time.Duration) {
	t.clk.mu.Lock()
	defer t.clk.mu.Unlock()
	select {
	case <-t.c:
	default:
	}
	t.when, t.active = t.clk.now.Add(d), true
	t.fireLocked()
}

func (t *fakeTimer) Stop() {
	t.clk.mu.Lock()
	defer t.clk.mu.Unlock()
	t.active = false
}

func (t *fakeTimer) fireLocked() {
	if t.active && !t.clk.now.Before(t.when) {
		t.active = false
		select {
		case t.c <- t.clk.now:
		default:
		}
	}
}

// fakeSink records what a room sends and decodes it like a client: Welcome gives the schema, every snapshot is
// applied to the client's world (checked against state_hash), reliable frames are kept in order.
type fakeSink struct {
	t *testing.T

	mu        sync.Mutex
	hold      bool // keep offered snapshots pending until take (a slow writer)
	pending   *Frame
	pendTail  Tail
	lastTaken uint32
	reliable  []*proto.ServerFrame
	relCap    int // 0: unbounded
	codec     *snapcodec.Codec
	world     snapcodec.World
	spare     snapcodec.World
	snaps     []gotSnap
	errs      []string
	stale     int
	closed    bool
	closeCode uint16
	wireBytes int // payload + tail + WebSocket header of every snapshot written
}

type gotSnap struct {
	tick, baseline, lastSeq uint32
	lead                    int32 // input_lead_us
	hasLead                 bool  // the tail carried a lead report
	size                    int
	hash                    *uint32
}

func newFakeSink(t *testing.T) *fakeSink { return &fakeSink{t: t} }

func (s *fakeSink) OfferSnapshot(f *Frame, tail Tail) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		f.Release()
		return
	}
	if s.pending != nil {
		s.pending.Release()
	}
	s.pending, s.pendTail = f, tail
	if !s.hold {
		s.takeLocked()
	}
}

// take writes the pending snapshot, as a session's writer does.
func (s *fakeSink) take() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.takeLocked()
}

func (s *fakeSink) takeLocked() {
	f := s.pending
	if f == nil {
		return
	}
	s.pending = nil
	defer f.Release()
	if f.Baseline != 0 && f.Baseline != s.lastTaken {
		s.stale++
		return
	}
	s.lastTaken = f.Tick
	msg := bytes.Clone(f.Data)
	if tl := s.pendTail; tl.HasLead {
		msg = protowire.AppendTag(msg, 14, protowire.VarintType)
		msg = protowire.AppendVarint(msg, protowire.EncodeZigZag(int64(tl.InputLeadUS)))
	}
	if seq := s.pendTail.LastInputSeq; seq != 0 {
		msg = protowire.AppendTag(msg, 15, protowire.VarintType)
		msg = protowire.AppendVarint(msg, uint64(seq))
	}
	s.wireBytes += len(msg) + wsHeader(len(msg))
	var sf proto.ServerFrame
	if err := gproto.Unmarshal(msg, &sf); err != nil {
		s.errs = append(s.errs, "unmarshal: "+err.Error())
		return
	}
	snap := sf.GetSnapshot()
	if snap == nil || sf.GetLastInputSeq() != s.pendTail.LastInputSeq || (s.pendTail.HasLead && sf.GetInputLeadUs() != s.pendTail.InputLeadUS) {
		s.errs = append(s.errs, "bad snapshot frame")
		return
	}
	g := gotSnap{tick: snap.GetTick(), baseline: snap.GetBaselineTick(), lastSeq: sf.GetLastInputSeq(), lead: sf.GetInputLeadUs(), hasLead: s.pendTail.HasLead,
		size: len(msg), hash: snap.StateHash}
	s.snaps = append(s.snaps, g)
	if s.codec == nil {
		s.errs = append(s.errs, "snapshot before welcome")
		return
	}
	var base *snapcodec.World
	if g.baseline != 0 {
		if s.world.Tick != g.baseline {
			s.errs = append(s.errs, fmt.Sprintf("tick %d: baseline %d but client holds %d", g.tick, g.baseline, s.world.Tick))
			return
		}
		base = &s.world
	}
	if err := s.codec.Apply(base, g.tick, snap.GetEntities(), &s.spare); err != nil {
		s.errs = append(s.errs, fmt.Sprintf("tick %d: apply: %v", g.tick, err))
		return
	}
	s.world, s.spare = s.spare, s.world
	if g.hash != nil && *g.hash != s.codec.Hash(&s.world) {
		s.errs = append(s.errs, fmt.Sprintf("tick %d: state hash mismatch", g.tick))
	}
}

func wsHeader(n int) int {
	switch {
	case n < 126:
		return 2
	case n < 65536:
		return 4
	}
	return 10
}

func (s *fakeSink) SendReliable(b []byte) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return true
	}
	if s.relCap > 0 && len(s.reliable) >= s.relCap {
		return false
	}
	var sf proto.ServerFrame
	if err := gproto.Unmarshal(b, &sf); err != nil {
		s.errs = append(s.errs, "reliable: "+err.Error())
		return true
	}
	if w := sf.GetWelcome(); w != nil {
		schema, err := snapcodec.SchemaFromWelcome(w.GetKinds(), w.GetInput(), w.GetParams())
		if err != nil {
			s.errs = append(s.errs, "welcome schema: "+err.Error())
		} else if s.codec, err = snapcodec.New(schema); err != nil {
			s.errs = append(s.errs, "welcome codec: "+err.Error())
		}
		s.world.Reset()
	}
	s.reliable = append(s.reliable, &sf)
	return true
}

func (s *fakeSink) Baseline() uint32 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastTaken
}

func (s *fakeSink) Close(code uint16, reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.closed, s.closeCode = true, code
	}
	if s.pending != nil {
		s.pending.Release()
		s.pending = nil
	}
}

func (s *fakeSink) state() (closed bool, code uint16) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed, s.closeCode
}

// check fails the test on any decode error the sink saw.
func (s *fakeSink) check(t *testing.T) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.errs) > 0 {
		t.Fatalf("client errors: %v", s.errs[:min(len(s.errs), 5)])
	}
}

func (s *fakeSink) lastSnap() gotSnap {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.snaps) == 0 {
		return gotSnap{}
	}
	return s.snaps[len(s.snaps)-1]
}

// events returns the types of the Event frames received, in order.
func (s *fakeSink) events() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, f := range s.reliable {
		if e := f.GetEvent(); e != nil {
			out = append(out, e.GetType())
		}
	}
	return out
}

func (s *fakeSink) welcomes() []*proto.Welcome {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*proto.Welcome
	for _, f := range s.reliable {
		if w := f.GetWelcome(); w != nil {
			out = append(out, w)
		}
	}
	return out
}

// clientWorld returns a copy of the world the client holds.
func (s *fakeSink) clientWorld() snapcodec.World {
	s.mu.Lock()
	defer s.mu.Unlock()
	return snapcodec.World{Tick: s.world.Tick, Entities: slices.Clone(s.world.Entities)}
}

// lineSim is a small deterministic game for engine tests: each player is an entity [x, vx] moving along a line; an
// input [dx] sets vx. It records the inputs it was given and can panic or end on demand.
type lineSim struct {
	joined   []game.Player // every identity Join was given
	players  []game.PlayerID
	x, vx    map[game.PlayerID]int32
	applied  []appliedInput
	panicAt  game.Tick
	endAt    game.Tick
	result   game.Result
	ended    bool
	disc     map[game.PlayerID]bool
	maxSlots int
	fill     game.InputFill
	dxMin    int32 // bounds of dx; 0, 0: -5..5
	dxMax    int32
}

type appliedInput struct {
	tick   game.Tick
	player game.PlayerID
	seq    uint32
	dx     int32
	missed bool
	view   game.Tick
	frac   uint8
}

func newLineSim() *lineSim {
	return &lineSim{x: map[game.PlayerID]int32{}, vx: map[game.PlayerID]int32{}, disc: map[game.PlayerID]bool{}}
}

func (s *lineSim) Schema() *game.Schema {
	return &game.Schema{
		Kinds:  []game.KindSpec{{ID: 1, Name: "dot", Fields: []game.FieldSpec{{Name: "x", RateField: 2}, {Name: "vx"}}}},
		Input:  []game.InputField{{Name: "dx", Min: cmp.Or(s.dxMin, -5), Max: cmp.Or(s.dxMax, 5)}},
		Fill:   s.fill,
		Params: map[string]int32{"len": 1000},
	}
}

func (s *lineSim) Join(who game.Player) error {
	p := who.ID
	if s.maxSlots > 0 && len(s.players) >= s.maxSlots {
		return game.ErrFull
	}
	s.joined = append(s.joined, who)
	s.players = append(s.players, p)
	s.x[p] = int32(p) * 100
	return nil
}

func (s *lineSim) Leave(p game.PlayerID) {
	s.players = slices.DeleteFunc(s.players, func(q game.PlayerID) bool { return q == p })
	delete(s.x, p)
	delete(s.vx, p)
}

func (s *lineSim) Disconnected(p game.PlayerID) { s.disc[p] = true; s.vx[p] = 0 }
func (s *lineSim) Resumed(p game.PlayerID)      { delete(s.disc, p) }

func (s *lineSim) ApplyInput(t game.Tick, p game.PlayerID, in *game.Input) {
	if in.Tick != t {
		panic(fmt.Sprintf("lineSim: input for tick %d applied at %d", in.Tick, t))
	}
	s.applied = append(s.applied, appliedInput{t, p, in.Seq, in.Values[0], in.Missed, in.View, in.ViewFrac})
	s.vx[p] = in.Values[0]
}

func (s *lineSim) Step(t game.Tick, ev *game.Events) {
	if t == s.panicAt {
		panic("lineSim: boom")
	}
	for _, p := range s.players {
		s.x[p] += s.vx[p]
	}
	if t == s.endAt {
		s.ended = true
		s.result = game.Result{Reason: "test_over"}
		for i, p := range s.players {
			s.result.Players = append(s.result.Players, game.PlayerResult{Player: p, Score: int32(10 - i), Rank: i + 1})
		}
	}
	if t%10 == 0 && len(s.players) > 0 {
		ev.Add(game.Event{Type: "tenth", Player: s.players[0], Args: [4]int32{int32(t)}, NArgs: 1})
	}
}

func (s *lineSim) AppendEntities(dst []game.Entity) []game.Entity {
	for _, p := range s.players {
		dst = append(dst, game.Entity{ID: uint32(p), Kind: 1, Fields: [game.MaxFields]int32{s.x[p], s.vx[p]}})
	}
	return dst
}

func (s *lineSim) Result() (game.Result, bool) { return s.result, s.ended }

// harness runs a real room on a fake clock.
type harness struct {
	t   *testing.T
	r   *Room
	clk *fakeClock
	dt  time.Duration
	evs chan Event
	t0  time.Time // when the room started: tick n is due at t0 + n·dt
	n   int       // ticks advanced so far (when no overrun moved the schedule)
}

func startRoom(t *testing.T, cfg Config, sim game.Sim) *harness {
	t.Helper()
	clk := newFakeClock()
	h := &harness{t: t, clk: clk, evs: make(chan Event, 1024), t0: clk.Now()}
	cfg.Clock = clk
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.ID == "" {
		cfg.ID = "r1"
	}
	cfg.OnEvent = func(e Event) {
		select {
		case h.evs <- e:
		default:
		}
	}
	r, err := New(cfg, sim)
	if err != nil {
		t.Fatal(err)
	}
	h.r = r
	h.dt = time.Second / time.Duration(r.cfg.TickRate)
	go r.Run()
	t.Cleanup(func() {
		r.End("test_cleanup")
		select {
		case <-r.Done():
		case <-time.After(5 * time.Second):
			t.Error("room did not stop")
		}
	})
	h.r.sync()
	return h
}

// dueAfter returns how long after the room's start tick n is due.
func (h *harness) dueAfter(n uint32) time.Duration {
	return time.Duration(int64(n) * int64(time.Second) / int64(h.r.cfg.TickRate))
}

// ticks advances the clock to the due time of each of the next n ticks and waits for the room to run them.
func (h *harness) ticks(n int) {
	for range n {
		h.n++
		due := h.t0.Add(h.dueAfter(uint32(h.n)))
		h.clk.Advance(due.Sub(h.clk.Now()))
		h.r.sync()
	}
}

func (h *harness) join(name string) (*fakeSink, game.PlayerID) {
	h.t.Helper()
	s := newFakeSink(h.t)
	res, err := h.r.Join(h.t.Context(), JoinRequest{Sink: s, Name: name, ResumeToken: []byte("tok-" + name)})
	if err != nil {
		h.t.Fatalf("Join: %v", err)
	}
	return s, res.Player
}

// drainEvents returns the room events reported so far.
func (h *harness) drainEvents() []Event {
	var out []Event
	for {
		select {
		case e := <-h.evs:
			out = append(out, e)
		default:
			return out
		}
	}
}

// countObserver counts what the room reports.
type countObserver struct {
	mu       sync.Mutex
	ticks    int
	overruns int
	applied  int
	inputs   InputCounts // summed
	leads    []time.Duration
	waits    []time.Duration
	dropped  map[DropReason]int
	encoded  map[bool]int
	offered  map[bool]int
	reliable int
}

func newCountObserver() *countObserver {
	return &countObserver{dropped: map[DropReason]int{}, encoded: map[bool]int{}, offered: map[bool]int{}}
}

func (o *countObserver) TickDone(time.Duration) { o.mu.Lock(); o.ticks++; o.mu.Unlock() }
func (o *countObserver) Overrun(n int)          { o.mu.Lock(); o.overruns += n; o.mu.Unlock() }
func (o *countObserver) Inputs(c InputCounts) {
	o.mu.Lock()
	o.applied += c.Applied
	o.inputs.Applied += c.Applied
	o.inputs.Missed += c.Missed
	o.inputs.Late += c.Late
	o.inputs.Early += c.Early
	o.inputs.Duplicate += c.Duplicate
	o.mu.Unlock()
}
func (o *countObserver) InputLead(d time.Duration) {
	o.mu.Lock()
	o.leads = append(o.leads, d)
	o.mu.Unlock()
}
func (o *countObserver) InputWait(d time.Duration) {
	o.mu.Lock()
	o.waits = append(o.waits, d)
	o.mu.Unlock()
}

func (o *countObserver) counts() InputCounts {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.inputs
}
func (o *countObserver) InputDropped(r DropReason) {
	o.mu.Lock()
	o.dropped[r]++
	o.mu.Unlock()
}
func (o *countObserver) SnapshotEncoded(full bool, _ int) {
	o.mu.Lock()
	o.encoded[full]++
	o.mu.Unlock()
}
func (o *countObserver) FrameOffered(full bool, _ int) { o.mu.Lock(); o.offered[full]++; o.mu.Unlock() }
func (o *countObserver) ReliableSent(int)              { o.mu.Lock(); o.reliable++; o.mu.Unlock() }

func (o *countObserver) drops(r DropReason) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.dropped[r]
}

// directJoin joins through the loop's handler on the caller's goroutine: for rooms driven without Run.
func directJoin(t testing.TB, r *Room, s Sink, name string) game.PlayerID {
	t.Helper()
	c := ctlCmd{kind: ctlJoin, sink: s, who: game.Player{Name: name}, reply: make(chan joinReply, 1)}
	r.handleControl(&c)
	rep := <-c.reply
	if rep.err != nil {
		t.Fatalf("join: %v", rep.err)
	}
	return rep.res.Player
}

// directInput files an input as the loop does when it drains the inbox; an input without a tick is addressed to
// the room's next tick.
func directInput(r *Room, p game.PlayerID, s Sink, in game.Input) {
	if in.Tick == 0 {
		in.Tick = game.Tick(r.tick + 1)
	}
	it := inboxItem{kind: itemInput, player: p, sink: s, in: in, arrival: r.stamp(r.cfg.Clock.Now())}
	r.handleItem(&it)
}

// input sends an input through Room.Input; one without a tick is addressed to the room's next tick.
func (h *harness) input(p game.PlayerID, s Sink, in game.Input) bool {
	if in.Tick == 0 {
		in.Tick = game.Tick(h.r.Info().Tick + 1)
	}
	return h.r.Input(p, s, in, 0)
}
