package cards

import (
	"slices"

	"github.com/tickwire/tickwire/game"
)

// DeckSize is the number of cards: four suits of thirteen ranks.
const DeckSize = 52

// Card is a card, 0..51: suit = card / 13, rank = card % 13 + 1.
type Card uint8

// Suit is a suit, 0 clubs, 1 diamonds, 2 hearts, 3 spades.
type Suit uint8

// Eight is the wild rank.
const Eight = 8

// NewCard returns the card of suit s and rank r (1..13).
func NewCard(s Suit, r int) Card { return Card(int(s)*13 + r - 1) }

// Suit returns the card's suit.
func (c Card) Suit() Suit { return Suit(c / 13) }

// Rank returns the card's rank, 1 (ace) to 13 (king).
func (c Card) Rank() int { return int(c%13) + 1 }

// String returns the card as rank and suit letters, such as "8S" or "10H".
func (c Card) String() string {
	ranks := [...]string{"A", "2", "3", "4", "5", "6", "7", "8", "9", "10", "J", "Q", "K"}
	return ranks[c%13] + string("CDHS"[c.Suit()])
}

// Penalty is what the card costs its holder when the hand ends.
func (c Card) Penalty() int32 {
	switch r := c.Rank(); {
	case r == Eight:
		return 50
	case r >= 11:
		return 10
	default:
		return int32(r)
	}
}

// Legal reports whether c may be played on top with suit to follow: any eight, else a card of that suit or of top's
// rank.
func Legal(c, top Card, suit Suit) bool {
	return c.Rank() == Eight || c.Suit() == suit || c.Rank() == top.Rank()
}

// Choose is a simple player's move: from hand, the first legal card that is not an eight, else an eight naming the
// suit it holds most of, else none (draw). ok is false for a draw.
func Choose(hand []Card, top Card, suit Suit) (c Card, follow Suit, ok bool) {
	var eight Card
	haveEight := false
	var count [4]int
	for _, h := range hand {
		if h.Rank() == Eight {
			if !haveEight {
				eight, haveEight = h, true
			}
			continue
		}
		count[h.Suit()]++
		if !ok && Legal(h, top, suit) {
			c, follow, ok = h, h.Suit(), true
		}
	}
	if ok {
		return c, follow, true
	}
	if !haveEight {
		return 0, 0, false
	}
	best := eight.Suit()
	for s := range Suit(4) {
		if count[s] > count[best] {
			best = s
		}
	}
	return eight, best, true
}

// deal shuffles the deck, deals every seat its hand, turns the pile's first card and starts the first turn.
func (g *Game) deal() {
	g.stock = g.stock[:0]
	for c := range Card(DeckSize) {
		g.stock = append(g.stock, c)
	}
	g.rng.Shuffle(len(g.stock), func(i, j int) { g.stock[i], g.stock[j] = g.stock[j], g.stock[i] })
	for range g.handSize {
		for i := range g.seats {
			g.give(i, g.popStock())
		}
	}
	// An eight does not start the pile: it goes under the stock.
	for g.stock[len(g.stock)-1].Rank() == Eight {
		c := g.popStock()
		g.stock = append(g.stock, 0)
		copy(g.stock[1:], g.stock)
		g.stock[0] = c
	}
	top := g.popStock()
	g.putPile(top)
	g.suit = top.Suit()
	g.state = StatePlaying
	g.turn = 0
	g.startTurn()
}

func (g *Game) popStock() Card {
	c := g.stock[len(g.stock)-1]
	g.stock = g.stock[:len(g.stock)-1]
	return c
}

// give puts c into the hand of seat i.
func (g *Game) give(i int, c Card) {
	g.where[c], g.owner[c] = WhereHand, g.seats[i].id
	g.seats[i].cards++
}

// putPile puts c on top of the pile; the previous top leaves the world.
func (g *Game) putPile(c Card) {
	if n := len(g.pile); n > 0 {
		g.where[g.pile[n-1]] = 0
	}
	g.pile = append(g.pile, c)
	g.where[c], g.owner[c] = WherePile, 0
}

// startTurn starts turn number turnNo+1 for seat g.turn, or ends the hand at the turn limit.
func (g *Game) startTurn() {
	if g.maxTurns > 0 && g.turnNo >= g.maxTurns {
		g.finish(ReasonTurnLimit)
		return
	}
	g.turnNo++
	g.deadline = g.tick + 1 + g.turnTicks
}

// next passes the turn to the next seat.
func (g *Game) next() {
	g.turn = (g.turn + 1) % len(g.seats)
	g.startTurn()
}

// Hand appends the cards in p's hand to dst, ascending.
func (g *Game) Hand(dst []Card, p game.PlayerID) []Card {
	for c := range Card(DeckSize) {
		if g.where[c] == WhereHand && g.owner[c] == p {
			dst = append(dst, c)
		}
	}
	return dst
}

// Top returns the pile's top card and the suit to follow (false before the deal).
func (g *Game) Top() (top Card, suit Suit, ok bool) {
	if len(g.pile) == 0 {
		return 0, 0, false
	}
	return g.pile[len(g.pile)-1], g.suit, true
}

// Turn returns the player whose turn it is and the turn's number (0, 0 when no hand is under way).
func (g *Game) Turn() (game.PlayerID, int32) {
	if g.state != StatePlaying {
		return 0, 0
	}
	return g.seats[g.turn].id, g.turnNo
}

// play plays card c of the current player, naming follow when it is an eight. The caller checked legality.
func (g *Game) play(c Card, follow Suit, ev *game.Events) {
	s := &g.seats[g.turn]
	s.cards--
	g.putPile(c)
	if c.Rank() != Eight {
		follow = c.Suit()
	}
	g.suit = follow
	ev.Add(game.Event{Type: EventPlayed, Player: s.id, Args: [4]int32{int32(c), int32(follow), s.cards, g.turnNo}, NArgs: 4})
	if s.cards == 0 {
		g.winner = s.id
		g.finish(ReasonHandWon)
		return
	}
	g.next()
}

// draw draws a card for the current player (refilling the stock from the pile when it is empty; nothing when both
// are) and passes the turn. timer says the turn timer drew.
func (g *Game) draw(ev *game.Events, timer bool) {
	if len(g.stock) == 0 && len(g.pile) > 1 {
		top := g.pile[len(g.pile)-1]
		g.stock = append(g.stock, g.pile[:len(g.pile)-1]...)
		g.pile = append(g.pile[:0], top)
		g.rng.Shuffle(len(g.stock), func(i, j int) { g.stock[i], g.stock[j] = g.stock[j], g.stock[i] })
	}
	s := &g.seats[g.turn]
	if len(g.stock) > 0 {
		c := g.popStock()
		g.give(g.turn, c)
		ev.AddTo(s.id, game.Event{Type: EventDrawn, Player: s.id, Args: [4]int32{int32(c)}, NArgs: 1})
	}
	var t int32
	if timer {
		t = 1
	}
	ev.Add(game.Event{Type: EventDrew, Player: s.id, Args: [4]int32{s.cards, g.turnNo, t}, NArgs: 3})
	g.next()
}

// finish ends the hand: scores, ranks and the match result.
func (g *Game) finish(reason string) {
	g.state = StateOver
	g.deadline = 0
	var pen [4]int32
	var sum int32
	for c := range Card(DeckSize) {
		if g.where[c] != WhereHand {
			continue
		}
		for i := range g.seats {
			if g.seats[i].id == g.owner[c] {
				pen[i] += c.Penalty()
				sum += c.Penalty()
			}
		}
	}
	for i := range g.seats {
		g.seats[i].score = -pen[i]
		if g.seats[i].id == g.winner {
			g.seats[i].score = sum
		}
	}
	if reason == ReasonForfeit && len(g.seats) == 1 {
		g.winner = g.seats[0].id
		g.seats[0].score = 0
	}
	res := game.Result{Reason: reason, Players: make([]game.PlayerResult, len(g.seats))}
	for i := range g.seats {
		res.Players[i] = game.PlayerResult{Player: g.seats[i].id, Score: g.seats[i].score}
	}
	slices.SortStableFunc(res.Players, func(a, b game.PlayerResult) int { return int(b.Score - a.Score) })
	for i := range res.Players {
		res.Players[i].Rank = i + 1
		if i > 0 && res.Players[i].Score == res.Players[i-1].Score {
			res.Players[i].Rank = res.Players[i-1].Rank
		}
	}
	g.result, g.ended = res, true
}
