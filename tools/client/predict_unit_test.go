package client_test

import (
	"testing"

	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/proto"
	"github.com/tickwire/tickwire/tools/client"
	"github.com/tickwire/tickwire/tools/client/internal/gravitygame"
)

// authority plays the room's part for one player: one input per tick, the fill when none, then the game's Step.
type authority struct {
	fields [game.MaxFields]int32
	last   []int32
	fill   proto.InputFill
}

func (a *authority) tick(in []int32) {
	v := in
	if v == nil {
		v = a.last
		if v == nil || a.fill == proto.InputFill_INPUT_FILL_NEUTRAL {
			v = []int32{0, 0}
		}
	}
	a.last = v
	gravitygame.ApplyInput(&a.fields, v)
	gravitygame.Step(&a.fields)
}

func TestPredictorReplaysByTick(t *testing.T) {
	welcome := &proto.Welcome{PlayerId: 1, Input: []*proto.InputField{{Name: "move", Min: -1, Max: 1}, {Name: "jump", Min: 0, Max: 1}}}
	for _, tc := range []struct {
		name      string
		fill      proto.InputFill
		skipEvery int // the client sends no input for every skipEvery-th tick (0: sends all)
		overrule  int // the room applies a different input at this tick (0: never)
		want      int64
	}{
		{"every tick", proto.InputFill_INPUT_FILL_REPEAT, 0, 0, 0},
		{"skipped ticks repeat", proto.InputFill_INPUT_FILL_REPEAT, 7, 0, 0},
		{"skipped ticks neutral", proto.InputFill_INPUT_FILL_NEUTRAL, 5, 0, 0},
		{"one input lost", proto.InputFill_INPUT_FILL_REPEAT, 0, 100, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			welcome.InputFill = tc.fill
			p := client.NewPredictor(gravitygame.Model{}, 0)
			p.Configure(welcome)
			room := &authority{fill: tc.fill}
			room.fields[gravitygame.FieldX] = 500
			const delay = 4 // ticks between sending an input and the snapshot of its tick
			var snaps [][game.MaxFields]int32
			input := func(t int) []int32 {
				if tc.skipEvery > 0 && t%tc.skipEvery == 0 {
					return nil
				}
				return []int32{int32(t/13%3) - 1, int32(t % 11 / 10)}
			}
			snaps = append(snaps, room.fields) // tick 0
			p.Reconcile(0, &snaps[0])
			for tick := 1; tick <= 300; tick++ {
				if v := input(tick); v != nil {
					p.Input(uint32(tick), v)
				}
				v := input(tick)
				if tick == tc.overrule {
					v = []int32{1, 1}
				}
				room.tick(v)
				snaps = append(snaps, room.fields)
				if tick > delay {
					s := tick - delay
					p.Reconcile(uint32(s), &snaps[s])
				}
			}
			corrections, compared := p.Corrections()
			if corrections != tc.want || compared < 290 {
				t.Errorf("corrections %d in %d compared, want %d", corrections, compared, tc.want)
			}
			// The prediction reaches the newest input's tick.
			newest := 300
			for input(newest) == nil {
				newest--
			}
			if f, tick, ok := p.State(); !ok || tick != uint32(newest) || (tc.want == 0 && f != snaps[newest]) {
				t.Errorf("state at %d (ok %v) = %v, authority %v", tick, ok, f, snaps[newest])
			}
		})
	}
}

func BenchmarkPredictorReconcile(b *testing.B) {
	p := client.NewPredictor(gravitygame.Model{}, 0)
	p.Configure(&proto.Welcome{PlayerId: 1, Input: []*proto.InputField{{Min: -1, Max: 1}, {Min: 0, Max: 1}}})
	var f [game.MaxFields]int32
	v := []int32{1, 0}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		tick := uint32(i + 10)
		p.Input(tick, v) // one input per tick, a snapshot four ticks behind: five ticks replayed
		p.Reconcile(tick-4, &f)
	}
}
