package client

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/lxzan/gws"
	"google.golang.org/protobuf/encoding/protowire"
	gproto "google.golang.org/protobuf/proto"

	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/proto"
	"github.com/tickwire/tickwire/proto/snapcodec"
)

// fakeServer speaks just enough of protocol version 2 to exercise the client: quick play into one room, inputs
// buffered by tick and applied exactly one per player per tick (the fill repeats the last one), late, early and
// duplicate inputs dropped and counted, input leads reported, delta snapshots against the last snapshot written to
// each connection (snapcodec), state hashes, Ping/Pong, resume by token within a grace period (the buffer is
// cleared), and refusals with Disconnect frames.
//
// Players are kind 1 [x, y, vx, vy] (x rate vx, y rate vy); input [dx, dy] in -1..1 sets the velocity to 3·(dx, dy)
// sub-units per tick. Every 5th tick a projectile (kind 2 [x, vx], x rate vx) appears and lives 7 ticks, so snapshots
// carry new, moving and removed entities.
type fakeServer struct {
	t     *testing.T
	url   string
	codec *snapcodec.Codec
	ln    net.Listener
	quit  chan struct{}
	wg    sync.WaitGroup

	// Fault injection, set before clients connect.
	badHash     bool // every hashed snapshot carries a wrong hash
	ignoreInput bool // never apply inputs (so every input is late)
	maxPlayers  int  // 0: no limit
	useTLS      bool // serve wss with a test certificate (clientTLS trusts it)
	clientTLS   *tls.Config

	mu      sync.Mutex // guards the room below
	start   time.Time  // tick t is due at start + t·dt
	dt      time.Duration
	tick    uint32
	late    int // inputs for ticks already run
	early   int // inputs too far ahead
	dups    int // inputs whose seq or tick was not above the previous one
	players map[uint32]*fakePlayer
	gone    map[uint32]*fakePlayer // players who left, for their counts
	byToken map[string]*fakePlayer
	nextID  uint32
	projN   uint32
	projs   []game.Entity
	history map[uint32]*snapcodec.World
	conns   map[*gws.Conn]*fakePlayer
	pending map[*gws.Conn]bool // saw Hello
}

type fakePlayer struct {
	id       uint32
	x, y     int32
	vx, vy   int32
	applied  uint32 // the highest seq applied
	nApplied int    // inputs applied
	missed   int    // ticks applied with the fill, after the first input
	started  bool
	last     []int32                 // the last values applied (the fill repeats them)
	inputs   map[uint32]*proto.Input // buffered by tick
	seenSeq  uint32
	seenTick uint32
	minLead  time.Duration
	hasLead  bool
	leadAt   time.Time
	conn     *gws.Conn
	lastSent uint32 // tick of the last snapshot written to conn (0: none)
	muted    bool   // stop writing to conn (a cut-off the client never hears of)
	// mutedResumes counts resumes that replaced a muted connection.
	mutedResumes int
	token        string
	tokenN       int
}

var fakeSchema = &game.Schema{
	Kinds: []game.KindSpec{
		{ID: 1, Name: "player", Fields: []game.FieldSpec{{Name: "x", RateField: 3}, {Name: "y", RateField: 4}, {Name: "vx"}, {Name: "vy"}}},
		{ID: 2, Name: "projectile", Fields: []game.FieldSpec{{Name: "x", RateField: 2}, {Name: "vx"}}},
	},
	Input:  []game.InputField{{Name: "dx", Min: -1, Max: 1}, {Name: "dy", Min: -1, Max: 1}},
	Params: map[string]int32{"speed": 3},
}

func startFakeServer(t *testing.T, tickRate int, setup func(*fakeServer)) *fakeServer {
	t.Helper()
	codec, err := snapcodec.New(fakeSchema)
	if err != nil {
		t.Fatal(err)
	}
	s := &fakeServer{t: t, codec: codec, quit: make(chan struct{}), players: map[uint32]*fakePlayer{}, gone: map[uint32]*fakePlayer{},
		byToken: map[string]*fakePlayer{}, history: map[uint32]*snapcodec.World{}, conns: map[*gws.Conn]*fakePlayer{},
		pending: map[*gws.Conn]bool{}}
	if setup != nil {
		setup(s)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.ln = ln
	s.url = "ws://" + ln.Addr().String()
	up := gws.NewUpgrader(s, &gws.ServerOption{})
	mux := http.NewServeMux()
	mux.HandleFunc("/ws", func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r)
		if err != nil {
			return
		}
		go c.ReadLoop()
	})
	hs := &http.Server{Handler: mux}
	if s.useTLS {
		ts := httptest.NewUnstartedServer(mux)
		_ = ts.Listener.Close()
		ts.Listener = ln
		ts.StartTLS()
		s.url = "wss://" + ln.Addr().String()
		s.clientTLS = ts.Client().Transport.(*http.Transport).TLSClientConfig
		hs = ts.Config
	} else {
		go func() { _ = hs.Serve(ln) }()
	}
	s.wg.Add(1)
	s.dt = time.Second / time.Duration(tickRate)
	s.start = time.Now()
	go s.run(s.dt)
	t.Cleanup(func() {
		close(s.quit)
		s.wg.Wait()
		_ = hs.Close()
		s.mu.Lock()
		for c := range s.conns {
			_ = c.NetConn().Close()
		}
		s.mu.Unlock()
	})
	return s
}

func (s *fakeServer) OnOpen(*gws.Conn)             {}
func (s *fakeServer) OnPing(c *gws.Conn, _ []byte) { _ = c.WritePong(nil) }
func (s *fakeServer) OnPong(*gws.Conn, []byte)     {}

func (s *fakeServer) OnClose(c *gws.Conn, _ error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p := s.conns[c]; p != nil && p.conn == c {
		p.conn = nil
	}
	delete(s.conns, c)
	delete(s.pending, c)
}

func (s *fakeServer) send(c *gws.Conn, f *proto.ServerFrame) {
	b, err := gproto.Marshal(f)
	if err != nil {
		s.t.Error(err)
		return
	}
	_ = c.WriteMessage(gws.OpcodeBinary, b)
}

func (s *fakeServer) refuse(c *gws.Conn, code proto.CloseCode, reason string) {
	s.send(c, &proto.ServerFrame{Msg: &proto.ServerFrame_Disconnect{Disconnect: &proto.Disconnect{
		Code: uint32(code), Reason: reason, Reconnect: Reconnectable(uint16(code))}}})
	_ = c.WriteClose(uint16(code), []byte(reason))
}

func (s *fakeServer) OnMessage(c *gws.Conn, m *gws.Message) {
	defer m.Close()
	var f proto.ClientFrame
	if err := gproto.Unmarshal(m.Bytes(), &f); err != nil {
		s.refuse(c, proto.CloseCode_CLOSE_BAD_FRAME, "undecodable")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch msg := f.Msg.(type) {
	case *proto.ClientFrame_Hello:
		if h := msg.Hello; h.GetMinProtocolVersion() > proto.ProtocolVersion_PROTOCOL_VERSION_2 ||
			h.GetMaxProtocolVersion() < proto.ProtocolVersion_PROTOCOL_VERSION_2 {
			s.refuse(c, proto.CloseCode_CLOSE_UNSUPPORTED_VERSION, "version")
			return
		}
		s.pending[c] = true
	case *proto.ClientFrame_Join:
		if !s.pending[c] {
			s.refuse(c, proto.CloseCode_CLOSE_BAD_FRAME, "join before hello")
			return
		}
		delete(s.pending, c)
		s.joinLocked(c, msg.Join)
	case *proto.ClientFrame_Input:
		p := s.conns[c]
		if p == nil {
			s.refuse(c, proto.CloseCode_CLOSE_BAD_FRAME, "input before join")
			return
		}
		if v := msg.Input.GetValues(); len(v) != 2 || v[0] < -1 || v[0] > 1 || v[1] < -1 || v[1] > 1 {
			s.refuse(c, proto.CloseCode_CLOSE_BAD_FRAME, "input values")
			return
		}
		s.fileInputLocked(p, msg.Input, time.Now())
	case *proto.ClientFrame_Ping:
		s.send(c, &proto.ServerFrame{Msg: &proto.ServerFrame_Pong{Pong: &proto.Pong{
			ClientTimeUs: msg.Ping.GetClientTimeUs(), ServerTimeUs: uint64(time.Now().UnixMicro()), ServerTick: s.tick}}})
	case *proto.ClientFrame_Ack:
	case *proto.ClientFrame_Leave:
		if p := s.conns[c]; p != nil {
			s.gone[p.id] = p
			delete(s.players, p.id)
			delete(s.byToken, p.token)
		}
		s.refuse(c, proto.CloseCode_CLOSE_LEFT, "left")
	}
}

func (s *fakeServer) joinLocked(c *gws.Conn, j *proto.Join) {
	var p *fakePlayer
	resumed := false
	switch tgt := j.Target.(type) {
	case *proto.Join_Mode:
		if tgt.Mode != "arena" {
			s.refuse(c, proto.CloseCode_CLOSE_ROOM_NOT_FOUND, "no such mode")
			return
		}
		if s.maxPlayers > 0 && len(s.players) >= s.maxPlayers {
			s.refuse(c, proto.CloseCode_CLOSE_ROOM_FULL, "full")
			return
		}
		s.nextID++
		p = &fakePlayer{id: s.nextID, x: int32(s.nextID) * 100, y: 50, inputs: map[uint32]*proto.Input{}}
		s.players[p.id] = p
	case *proto.Join_ResumeToken:
		p = s.byToken[string(tgt.ResumeToken)]
		if p == nil {
			s.refuse(c, proto.CloseCode_CLOSE_INVALID_TOKEN, "unknown token")
			return
		}
		delete(s.byToken, p.token)
		if p.conn != nil {
			s.refuse(p.conn, proto.CloseCode_CLOSE_SUPERSEDED, "superseded")
			delete(s.conns, p.conn)
		}
		resumed = true
	default:
		s.refuse(c, proto.CloseCode_CLOSE_INVALID_TOKEN, "join tokens are not supported here")
		return
	}
	p.tokenN++
	p.token = fmt.Sprintf("tok-%d-%d", p.id, p.tokenN)
	s.byToken[p.token] = p
	if resumed && p.muted {
		p.mutedResumes++
	}
	p.conn, p.lastSent, p.muted = c, 0, false
	// As the room does on a resume: forget the buffered inputs; the client resends everything above p.applied.
	clear(p.inputs)
	p.seenSeq, p.seenTick, p.last, p.hasLead = p.applied, s.tick, nil, false
	s.conns[c] = p
	kinds, input, params := snapcodec.SchemaToWelcome(fakeSchema)
	s.send(c, &proto.ServerFrame{Msg: &proto.ServerFrame_Welcome{Welcome: &proto.Welcome{
		ProtocolVersion: proto.ProtocolVersion_PROTOCOL_VERSION_2, PlayerId: p.id, RoomId: "r1", RoomEpoch: 7,
		TickRate: uint32(time.Second / s.dt), SnapshotRate: uint32(time.Second / s.dt), InputWindow: 60, ResumeToken: []byte(p.token), GraceMs: 3000, Tick: s.tick, Resumed: resumed,
		LastInputSeq: p.applied, Mode: "arena", Kinds: kinds, Input: input, Params: params, HeartbeatMs: 5000,
		HashInterval: 3}}})
}

// fileInputLocked buffers an input by its tick, or counts why not (as the room does).
func (s *fakeServer) fileInputLocked(p *fakePlayer, in *proto.Input, now time.Time) {
	t := in.GetTick()
	if in.GetSeq() <= p.seenSeq {
		s.dups++
		return
	}
	if lead := s.start.Add(time.Duration(t) * s.dt).Sub(now); !p.hasLead || lead < p.minLead {
		p.minLead, p.hasLead = lead, true
	}
	p.started = true
	switch {
	case t <= s.tick:
		s.late++
		return
	case t <= p.seenTick:
		s.dups++
		return
	case t > s.tick+60:
		s.early++
		return
	}
	p.inputs[t] = in
	p.seenSeq, p.seenTick = in.GetSeq(), t
}

func (s *fakeServer) run(dt time.Duration) {
	defer s.wg.Done()
	t := time.NewTicker(dt / 4)
	defer t.Stop()
	for {
		select {
		case <-s.quit:
			return
		case now := <-t.C:
			s.mu.Lock()
			for !now.Before(s.start.Add(time.Duration(s.tick+1) * s.dt)) {
				s.stepLocked(now)
			}
			s.mu.Unlock()
		}
	}
}

func (s *fakeServer) stepLocked(now time.Time) {
	s.tick++
	for _, p := range s.players {
		if p.conn == nil {
			continue // in its grace period: no input applied
		}
		v := p.last
		if in := p.inputs[s.tick]; in != nil && !s.ignoreInput {
			p.applied = in.GetSeq()
			p.nApplied++
			v = in.GetValues()
		} else if p.started {
			p.missed++
		}
		delete(p.inputs, s.tick)
		p.last = v
		if v != nil {
			p.vx, p.vy = 3*v[0], 3*v[1]
		}
		p.x += p.vx
		p.y += p.vy
	}
	live := s.projs[:0]
	for _, e := range s.projs {
		if s.tick-uint32(e.Fields[2]) < 7 {
			e.Fields[0] += e.Fields[1]
			live = append(live, e)
		}
	}
	s.projs = live
	if s.tick%5 == 0 {
		s.projN++
		s.projs = append(s.projs, game.Entity{ID: 65536 + s.projN, Kind: 2, Fields: [game.MaxFields]int32{0, 9, int32(s.tick)}})
	}
	w := &snapcodec.World{Tick: s.tick}
	ids := make([]uint32, 0, len(s.players))
	for id := range s.players {
		ids = append(ids, id)
	}
	for i := 1; i < len(ids); i++ {
		for j := i; j > 0 && ids[j] < ids[j-1]; j-- {
			ids[j], ids[j-1] = ids[j-1], ids[j]
		}
	}
	for _, id := range ids {
		p := s.players[id]
		w.Entities = append(w.Entities, game.Entity{ID: id, Kind: 1, Fields: [game.MaxFields]int32{p.x, p.y, p.vx, p.vy}})
	}
	for _, e := range s.projs {
		e.Fields[2] = 0 // the birth tick is server-private
		w.Entities = append(w.Entities, e)
	}
	s.history[s.tick] = w
	delete(s.history, s.tick-historyTicks)
	for _, p := range s.players {
		if p.conn == nil || p.muted {
			continue
		}
		base := s.history[p.lastSent]
		baseline := p.lastSent
		if base == nil {
			baseline = 0
		}
		snap := &proto.Snapshot{Tick: s.tick, BaselineTick: baseline, Entities: s.codec.AppendDelta(nil, base, w)}
		if s.tick%3 == 0 {
			h := s.codec.Hash(w)
			if s.badHash {
				h++
			}
			snap.StateHash = &h
		}
		b, _ := gproto.Marshal(&proto.ServerFrame{Msg: &proto.ServerFrame_Snapshot{Snapshot: snap}})
		if p.hasLead && now.Sub(p.leadAt) >= 100*time.Millisecond {
			b = protowire.AppendTag(b, 14, protowire.VarintType)
			b = protowire.AppendVarint(b, protowire.EncodeZigZag(int64(int32(p.minLead.Microseconds()))))
			p.hasLead, p.leadAt = false, now
		}
		b = protowire.AppendTag(b, 15, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(p.applied))
		if p.conn.WriteMessage(gws.OpcodeBinary, b) == nil {
			p.lastSent = s.tick
		}
	}
}

// kick closes a player's connection with a code (what a server does to a slow consumer, for example).
func (s *fakeServer) kick(id uint32, code proto.CloseCode) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p := s.players[id]; p != nil && p.conn != nil {
		s.refuse(p.conn, code, "kicked")
	}
}

// mute stops writing to a player's connection while keeping it open and reading.
func (s *fakeServer) mute(id uint32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p := s.players[id]; p != nil {
		p.muted = true
	}
}

// historyTicks is how many ticks of worlds the fake server keeps: delta baselines, and what a test compares a
// client's world with (10 s at 100 ticks per second).
const historyTicks = 1000

// entityAt returns an entity's fields in the world of tick (ok false when that tick is not kept or lacks it).
func (s *fakeServer) entityAt(tick, id uint32) (fields [game.MaxFields]int32, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if w := s.history[tick]; w != nil {
		for _, e := range w.Entities {
			if e.ID == id {
				return e.Fields, true
			}
		}
	}
	return fields, false
}

// mutedResumes is how many times a player resumed out of a muted connection.
func (s *fakeServer) mutedResumes(id uint32) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p := s.players[id]; p != nil {
		return p.mutedResumes
	}
	if p := s.gone[id]; p != nil {
		return p.mutedResumes
	}
	return 0
}

func (s *fakeServer) player(id uint32) (x, y int32, applied uint32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.players[id]
	if p == nil {
		return 0, 0, 0
	}
	return p.x, p.y, p.applied
}

// counts returns a player's applied inputs and missed ticks, and the room's late, early and duplicate inputs.
func (s *fakeServer) counts(id uint32) (applied, missed, late, early, dups int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.players[id]
	if p == nil {
		p = s.gone[id]
	}
	if p != nil {
		applied, missed = p.nApplied, p.missed
	}
	return applied, missed, s.late, s.early, s.dups
}
