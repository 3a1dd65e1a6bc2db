package room

import (
	"encoding/binary"
	"slices"
	"testing"

	"github.com/tickwire/tickwire/game"
)

// FuzzRoomCommands drives an arena room with arbitrary commands (inputs with any sequence numbers and values, acks,
// leaves, drops, resumes, joins, ticks): the room must never panic, and every connected client must decode its
// snapshots into exactly the server's world.
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
			kind, c := data[0]%8, conns[int(data[1])%len(conns)]
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
