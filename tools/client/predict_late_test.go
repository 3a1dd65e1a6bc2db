package client

import (
	"testing"

	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/proto"
	"github.com/tickwire/tickwire/tools/client/internal/gravitygame"
)

// An input reported late makes the room apply its fill at that tick, and, with FillRepeat, at the ticks after it
// that had no input of their own. When the snapshot that reports it is of a later tick (the snapshot of its own tick
// was skipped), the prediction from that snapshot must start from what the room applied there: one correction (at
// the snapshot that reported the late input), then none.
func TestPredictorLateInputBeforeFilledTicks(t *testing.T) {
	for _, tc := range []struct {
		name     string
		fill     proto.InputFill
		snapSkip int // the snapshots of this many ticks from the late input's are not delivered
	}{
		{"reported at its tick", proto.InputFill_INPUT_FILL_REPEAT, 0},
		{"reported at its tick, neutral fill", proto.InputFill_INPUT_FILL_NEUTRAL, 0},
		{"reported a tick later", proto.InputFill_INPUT_FILL_REPEAT, 1},
		{"reported three ticks later", proto.InputFill_INPUT_FILL_REPEAT, 3},
		{"reported three ticks later, neutral fill", proto.InputFill_INPUT_FILL_NEUTRAL, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := NewPredictor(gravitygame.Model{}, 0)
			p.Configure(&proto.Welcome{PlayerId: 1, InputFill: tc.fill,
				Input: []*proto.InputField{{Name: "move", Min: -1, Max: 1}, {Name: "jump", Min: 0, Max: 1}}})
			const late = 20 // the input for this tick reaches the room too late
			// The client stands still until late, runs from late on, and sends nothing for the ticks after late
			// (its clock skipped them) until late+10.
			sent := func(tick int) []int32 {
				switch {
				case tick < late:
					return []int32{0, 0}
				case tick == late || tick >= late+10:
					return []int32{1, 0}
				}
				return nil
			}
			var room [game.MaxFields]int32
			var roomLast []int32
			snaps := map[int][game.MaxFields]int32{0: room}
			p.Reconcile(0, &room)
			const delay = 4
			var excused int64
			for tick := 1; tick <= 60; tick++ {
				if v := sent(tick); v != nil {
					p.Input(uint32(tick), v)
				}
				v := sent(tick)
				if tick == late || v == nil {
					v = roomLast
					if v == nil || tc.fill == proto.InputFill_INPUT_FILL_NEUTRAL {
						v = []int32{0, 0}
					}
				}
				roomLast = v
				gravitygame.ApplyInput(&room, v)
				gravitygame.Step(&room)
				snaps[tick] = room
				s := tick - delay
				if s < 1 || (s >= late && s < late+tc.snapSkip) {
					continue
				}
				if s == late+tc.snapSkip {
					p.dropped(late) // this snapshot reports it: the first of its tick or later
				}
				before, _ := p.Corrections()
				f := snaps[s]
				p.Reconcile(uint32(s), &f)
				if after, _ := p.Corrections(); after != before && p.LateCorrections() > excused {
					excused = p.LateCorrections()
				}
			}
			corrections, compared := p.Corrections()
			if corrections != excused || excused > 1 || compared < 40 {
				t.Errorf("corrections %d (%d at the snapshot reporting the late input) in %d compared, want at most the one",
					corrections, excused, compared)
			}
		})
	}
}
