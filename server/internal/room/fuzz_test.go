package room

import (
	"encoding/binary"
	"slices"
	"testing"
	"time"

	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/game/arena"
)

// FuzzRoomCommands drives an arena room with arbitrary commands (inputs with any sequence numbers and values, acks,
// game messages, leaves, drops, resumes, joins, ticks): the room must never panic, and every connected client must
// decode its snapshots (and events) into exactly the server's world.
func FuzzRoomCommands(f *testing.F) {
	seed := func(ops ...[]byte) []byte { return slices.Concat(ops...) }
	op := func(kind, who byte, seq uint16, vals ...int8) []byte {
		b := []byte{kind, who, byte(seq), byte(seq >> 8)}
		for i := range 4 {
			v := int8(0)
			if i < len(vals) {
				v = vals[i]
			}
			b = append(b, byte(v))
		}
		return b
	}
	f.Add(seed(op(0, 0, 1, 1, 0, 10, 1), op(7, 0, 0), op(0, 1, 1, -1, 1, 100, 1), op(7, 0, 0)))
	f.Add(seed(op(0, 0, 5, 127, -128, 127, 127), op(0, 0, 5), op(0, 0, 4), op(7, 0, 0), op(3, 0, 0), op(7, 0, 0), op(4, 0, 0), op(7, 0, 0)))
	f.Add(seed(op(2, 2, 0), op(5, 0, 0), op(6, 0, 0), op(1, 1, 65535), op(7, 0, 0), op(3, 3, 0), op(4, 3, 0)))
	f.Add(seed(op(8, 0, 1, 'h', 'i'), op(8, 1, 1, -1, -1), op(3, 1, 0), op(8, 1, 2, 'x'), op(7, 0, 0), op(8, 2, 9), op(7, 0, 0)))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := New(Config{ID: "fuzz", Clock: newFakeClock(), MaxPlayers: 6, InputWindow: 4, HistorySize: 8, MaxRewind: 1e8, Grace: 1e9}, newArena(t, 1, nil))
		if err != nil {
			t.Fatal(err)
		}
		type conn struct {
			id   game.PlayerID
			sink *fakeSink
		}
		var conns []*conn
		for range 3 {
			s := newFakeSink(t)
			conns = append(conns, &conn{directJoin(t, r, s, "p"), s})
		}
		ctl := func(c ctlCmd) {
			c.reply = make(chan joinReply, 1)
			r.handleControl(&c)
		}
		for len(data) >= 8 && !r.ended {
			kind, c := data[0]%9, conns[int(data[1])%len(conns)]
			body := slices.Clone(data[4:8])
			seq := uint32(binary.LittleEndian.Uint16(data[2:]))
			var in game.Input
			in.Seq = seq
			for i := range 4 {
				in.Values[i] = int32(int8(data[4+i])) * int32(data[4+i]) * 97 // reach far out of range
			}
			data = data[8:]
			switch kind {
			case 0:
				directInput(r, c.id, c.sink, in)
			case 1:
				it := inboxItem{kind: itemAck, player: c.id, sink: c.sink, tick: seq}
				r.handleItem(&it)
			case 2:
				ctl(ctlCmd{kind: ctlLeave, player: c.id, sink: c.sink})
			case 3:
				ctl(ctlCmd{kind: ctlDisconnected, player: c.id, sink: c.sink})
			case 4:
				s := newFakeSink(t)
				ctl(ctlCmd{kind: ctlResume, player: c.id, sink: s})
				c.sink = s
			case 5:
				s := newFakeSink(t)
				cmd := ctlCmd{kind: ctlJoin, sink: s, reply: make(chan joinReply, 1)}
				r.handleControl(&cmd)
				if rep := <-cmd.reply; rep.err == nil {
					conns = append(conns, &conn{rep.res.Player, s})
				}
			case 6:
				c.sink.take()
				c.sink.mu.Lock()
				c.sink.hold = !c.sink.hold
				c.sink.mu.Unlock()
			case 8: // a game message: a chat line (broadcast) or, when not UTF-8, one the arena refuses to the sender alone
				_ = r.Message(c.id, c.sink, arena.MessageChat, body, seq)
			default:
				r.step()
			}
		}
		r.step()
		w := r.worldAt(r.tick)
		for _, c := range conns {
			c.sink.check(t)
			if p := r.byID[c.id]; p == nil || !p.connected || p.sink != c.sink {
				continue
			}
			c.sink.mu.Lock()
			hold := c.sink.hold
			c.sink.mu.Unlock()
			if !hold && w != nil {
				if cw := c.sink.clientWorld(); !slices.Equal(cw.Entities, w.Entities) {
					t.Fatalf("player %d: client world differs from the server's", c.id)
				}
			}
		}
	})
}

// FuzzRoomInputs drives the input path with arbitrary inputs (any seq, any tick relative to the room's, arriving at
// any time), ticks, clock jumps, acks, disconnects and resumes. Invariants: no panic; at every tick the Sim gets
// exactly one ApplyInput per connected player (and none for the others), for that tick; a player's applied seqs
// strictly increase, across resumes too; the last_input_seq a snapshot reports is the last applied.
func FuzzRoomInputs(f *testing.F) {
	// Each op is 5 bytes: kind, player, seq delta (int8), tick delta from the room's tick (int8), value.
	f.Add([]byte{0, 0, 1, 1, 3, 0, 0, 1, 2, 3, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0})
	f.Add([]byte{0, 1, 1, 1, 1, 0, 1, 0, 2, 1, 0, 1, 255, 3, 1, 1, 0, 0, 0, 0, 3, 1, 0, 0, 0, 4, 1, 0, 0, 0, 0, 1, 1, 1, 9, 1, 0, 0, 0, 0})
	f.Add([]byte{0, 2, 5, 0, 0, 0, 2, 5, 40, 0, 0, 2, 5, 127, 0, 0, 2, 1, 128, 0, 2, 0, 0, 50, 0, 1, 0, 0, 0, 0})
	f.Fuzz(fuzzRoomInputs)
}

func fuzzRoomInputs(t *testing.T, data []byte) {
	clk := newFakeClock()
	sim := newLineSim()
	r, err := New(Config{ID: "fuzz", Clock: clk, MaxPlayers: 4, InputWindow: 8, Grace: 1e9}, sim)
	if err != nil {
		t.Fatal(err)
	}
	r.start = clk.Now()
	type conn struct {
		id   game.PlayerID
		sink *fakeSink
		seq  uint32
	}
	var conns []*conn
	for range 3 {
		s := newFakeSink(t)
		conns = append(conns, &conn{id: directJoin(t, r, s, "p"), sink: s})
	}
	connected := map[game.Tick][]game.PlayerID{} // who was connected at each tick, before it ran
	step := func() {
		var ids []game.PlayerID
		for _, p := range r.players {
			if p.connected {
				ids = append(ids, p.id)
			}
		}
		connected[game.Tick(r.tick+1)] = ids
		r.step()
	}
	for len(data) >= 5 && r.tick < 500 {
		kind, c := data[0]%6, conns[int(data[1])%len(conns)]
		dseq, dtick, val := int8(data[2]), int8(data[3]), int32(int8(data[4]))
		data = data[5:]
		switch kind {
		case 0:
			c.seq = uint32(max(0, int64(c.seq)+int64(dseq)))
			var in game.Input
			in.Seq, in.Tick = c.seq, game.Tick(max(0, int64(r.tick)+int64(dtick)))
			in.Values[0], in.View, in.ViewFrac = val, game.Tick(max(0, int64(r.tick)+int64(val))), uint8(dseq)
			it := inboxItem{kind: itemInput, player: c.id, sink: c.sink, in: in, arrival: r.stamp(clk.Now()),
				tick: uint32(max(0, int64(r.tick)+int64(dtick)))}
			r.handleItem(&it)
		case 1:
			step()
		case 2:
			clk.Advance(time.Duration(data2(dseq, dtick)) * time.Millisecond)
		case 3:
			r.handleControl(&ctlCmd{kind: ctlDisconnected, player: c.id, sink: c.sink})
		case 4:
			s := newFakeSink(t)
			cmd := ctlCmd{kind: ctlResume, player: c.id, sink: s, reply: make(chan joinReply, 1)}
			r.handleControl(&cmd)
			if rep := <-cmd.reply; rep.err == nil {
				c.sink = s
				c.seq = rep.res.LastInputSeq + uint32(uint8(dseq)%3) // resend from just above it, or a duplicate
			}
		case 5:
			it := inboxItem{kind: itemAck, player: c.id, sink: c.sink, tick: uint32(max(0, int64(r.tick)+int64(dtick)))}
			r.handleItem(&it)
		}
	}
	step()
	type key struct {
		t game.Tick
		p game.PlayerID
	}
	got := map[key]int{}
	lastSeq := map[game.PlayerID]uint32{}
	for _, a := range sim.applied {
		got[key{a.tick, a.player}]++
		if !a.missed {
			if a.seq <= lastSeq[a.player] {
				t.Fatalf("player %d: seq %d applied after %d", a.player, a.seq, lastSeq[a.player])
			}
			lastSeq[a.player] = a.seq
		}
	}
	n := 0
	for tk, ids := range connected {
		for _, id := range ids {
			if got[key{tk, id}] != 1 {
				t.Fatalf("tick %d player %d: %d ApplyInput calls", tk, id, got[key{tk, id}])
			}
			n++
		}
	}
	if n != len(sim.applied) {
		t.Fatalf("%d ApplyInput calls for %d connected player-ticks", len(sim.applied), n)
	}
	for _, c := range conns {
		c.sink.check(t)
		if p := r.byID[c.id]; p != nil && p.connected && p.sink == c.sink {
			if s := c.sink.lastSnap(); s.lastSeq != lastSeq[c.id] {
				t.Fatalf("player %d: last_input_seq %d, last applied %d", c.id, s.lastSeq, lastSeq[c.id])
			}
		}
	}
}

// data2 is a clock jump from two fuzz bytes: mostly small, sometimes seconds.
func data2(a, b int8) int {
	return int(uint8(a))%40 + int(uint8(b))%4*int(uint8(a))*4
}
