package cards

import (
	"strconv"

	"github.com/tickwire/tickwire/game"
)

// PlayPayload is the payload of a "play" message: playing card c at turn turnNo, naming follow when c is an eight.
func PlayPayload(turnNo int32, c Card, follow Suit) []byte {
	b := strconv.AppendInt(nil, int64(turnNo), 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(c), 10)
	if c.Rank() == Eight {
		b = append(b, ' ')
		b = strconv.AppendInt(b, int64(follow), 10)
	}
	return b
}

// DrawPayload is the payload of a "draw" message at turn turnNo.
func DrawPayload(turnNo int32) []byte { return strconv.AppendInt(nil, int64(turnNo), 10) }

// parseInts reads up to len(out) space-separated decimal integers (0..1<<30) from b without allocating, and returns
// how many it read; -1 when b is not such a list.
func parseInts(b []byte, out []int32) int {
	n := 0
	for i := 0; i < len(b); {
		if n == len(out) || b[i] < '0' || b[i] > '9' {
			return -1
		}
		var v int32
		for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
			if v > 1<<26 {
				return -1
			}
			v = v*10 + int32(b[i]-'0')
		}
		out[n] = v
		n++
		if i < len(b) {
			if b[i] != ' ' || i == len(b)-1 {
				return -1
			}
			i++
		}
	}
	return n
}

// HandleMessage takes moves from the player whose turn it is; anything else is answered with EventRefused to the
// sender alone. Messages from the backend are not taken (nil reply).
func (g *Game) HandleMessage(t game.Tick, from game.PlayerID, m *game.Message, ev *game.Events) []byte {
	if from == game.Backend {
		return nil
	}
	if r := g.move(from, m, ev); r != 0 {
		ev.AddTo(from, game.Event{Type: EventRefused, Player: from, Args: [4]int32{int32(m.Seq), r}, NArgs: 2})
	}
	return nil
}

// move applies a move message, or returns why it is refused.
func (g *Game) move(from game.PlayerID, m *game.Message, ev *game.Events) int32 {
	var a [3]int32
	n := parseInts(m.Payload, a[:])
	switch {
	case m.Type == MessagePlay && (n == 2 || n == 3) && a[1] < DeckSize && (n == 2 || a[2] < 4):
	case m.Type == MessageDraw && n == 1:
	default:
		return RefusedBadMessage
	}
	if g.state != StatePlaying || g.seatOf(from) < 0 {
		return RefusedNotPlaying
	}
	if g.seats[g.turn].id != from {
		return RefusedNotYourTurn
	}
	if a[0] != g.turnNo {
		return RefusedStale
	}
	if m.Type == MessageDraw {
		g.draw(ev, false)
		return 0
	}
	c := Card(a[1])
	if g.where[c] != WhereHand || g.owner[c] != from {
		return RefusedNotInHand
	}
	if !Legal(c, g.pile[len(g.pile)-1], g.suit) {
		return RefusedIllegal
	}
	follow := c.Suit()
	if c.Rank() == Eight && n == 3 {
		follow = Suit(a[2])
	}
	g.play(c, follow, ev)
	return 0
}
