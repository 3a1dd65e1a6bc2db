// Package cards is a turn-based card game with hidden hands, Crazy Eights, built on the game contract alone: the
// second example game next to the arena, showing what a game of another kind needs from the engine (messages for
// moves, per-player views for hands, targeted events, a match result).
//
// Rules. Two to four seats ("seats"), one 52-card deck shuffled from game.Config.Seed. When every seat is taken the
// hand is dealt: HandSize cards each (7 with two seats, 5 with more, or the setting "hand_size"), and the top card of
// the stock starts the discard pile (an eight is put back under the stock). Seats play in join order. On its turn a
// player either plays one card from its hand that matches the pile's top card by rank or the suit to follow, or any
// eight (wild: it names the suit to follow), or draws one card from the stock, which ends its turn. When the stock
// is empty the pile under its top card is shuffled into it; with nothing to draw, drawing passes. The first player to
// shed its last card wins the hand, and the match ends with it (game.Result, reason "hand_won"). A player who does
// not move within "turn_s" seconds (default 30; 0: no limit) draws automatically. After "max_turns" turns (default
// 500; 0: no limit) the hand ends as "turn_limit". A seated player who leaves mid-hand forfeits: its cards go under
// the stock; with one seat left the hand ends as "forfeit".
//
// Scores: each card left in a hand costs points (an eight 50, a king, queen or jack 10, an ace 1, others their
// number). The winner scores the sum of the others' points, every other player minus its own; ranks follow scores.
//
// Players who join when every seat is taken are spectators (the room's MaxPlayers may exceed the seats): they see the
// table, the seats and the pile, no hand.
//
// Entities (ids are fixed, so the same card is the same entity wherever it goes):
//   - kind 1 "seat", id = the player id, one per seated player: [seat, cards, score, connected]; its byte string is
//     the player's name.
//   - kind 2 "table", id TableID: [state, turn, turn_no, suit, stock, pile, deadline, winner, seats, hand_size].
//   - kind 3 "card", id CardBase + card: [suit, rank, where, owner]. Only the top of the pile (where = WherePile,
//     seen by everyone) and the cards in hands (where = WhereHand, seen by their owner alone, through game.Visibility)
//     are entities; the stock and the rest of the pile are not in the world at all.
//
// Moves are game messages (game.MessageHandler): "play" with the payload "<turn_no> <card>" or, for an eight,
// "<turn_no> <card> <suit>"; "draw" with "<turn_no>" (PlayPayload, DrawPayload). The turn number makes a move that
// arrives twice, or late, harmless: it is refused as stale. The schema has no input values: clients send no inputs.
//
// Events: "played" to everyone (Player: who, Args [card, suit to follow, cards left, turn_no]); "drew" to everyone
// (Args [cards left, turn_no, 1 when the turn timer drew]); "drawn" to the drawer alone (Args [card]); and
// "move_refused" to the sender alone (Args [message seq, reason]). No event sent to everyone names a card in a hand.
//
// A Game is not safe for concurrent use: the room goroutine owns it, as game.Sim requires.
package cards

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"

	"github.com/tickwire/tickwire/game"
)

// Mode is the card game's mode name.
const Mode = "cards"

// DefaultTickRate is the card game's tick rate when the room does not set one: a turn-based game needs few ticks.
const DefaultTickRate = 10

// Entity kinds.
const (
	KindSeat  uint8 = 1
	KindTable uint8 = 2
	KindCard  uint8 = 3
)

// Entity ids: a seat's is its player's id (below TableID), the table's TableID, a card's CardBase + the card.
const (
	TableID  uint32 = 1 << 24
	CardBase uint32 = TableID + 1
)

// Field indexes of a seat entity.
const (
	SeatIndex     = iota // 0-based, in join order
	SeatCards            // cards in the player's hand
	SeatScore            // set when the hand ends
	SeatConnected        // 1 while connected
)

// Field indexes of the table entity.
const (
	TableState    = iota // StateWaiting, StatePlaying, StateOver
	TableTurn            // the player whose turn it is (0: none)
	TableTurnNo          // the turn's number, from 1; a move names it
	TableSuit            // the suit to follow
	TableStock           // cards in the stock
	TablePile            // cards in the discard pile
	TableDeadline        // the tick at which the turn timer draws for the player (0: none)
	TableWinner          // the winner when the hand is over (0: none)
	TableSeats           // seats at the table
	TableHandSize        // cards dealt to each seat
)

// Field indexes of a card entity.
const (
	CardSuit  = iota // 0 clubs, 1 diamonds, 2 hearts, 3 spades
	CardRank         // 1 ace .. 11 jack, 12 queen, 13 king
	CardWhere        // WhereHand or WherePile
	CardOwner        // the player holding it (WhereHand), else 0
)

// Table states.
const (
	StateWaiting = 0 // seats are not all taken
	StatePlaying = 1
	StateOver    = 2
)

// Where a card entity is.
const (
	WhereHand = 1
	WherePile = 2
)

// Messages (moves) and events.
const (
	MessagePlay = "play"
	MessageDraw = "draw"

	EventPlayed  = "played"
	EventDrew    = "drew"
	EventDrawn   = "drawn"
	EventRefused = "move_refused"
)

// Reasons of a refused move (the second argument of EventRefused).
const (
	RefusedBadMessage  = 1 // unknown type or payload that does not parse
	RefusedNotPlaying  = 2 // no hand under way, or the sender is a spectator
	RefusedNotYourTurn = 3
	RefusedStale       = 4 // the move names another turn than the current one
	RefusedNotInHand   = 5
	RefusedIllegal     = 6 // the card matches neither the rank nor the suit to follow, and is not an eight
)

// Match end reasons.
const (
	ReasonHandWon   = "hand_won"
	ReasonTurnLimit = "turn_limit"
	ReasonForfeit   = "forfeit"
)

// Defaults of the settings.
const (
	DefaultSeats    = 2
	DefaultTurnS    = 30
	DefaultMaxTurns = 500
)

// ErrBadSetting is returned by New when a setting is out of its range.
var ErrBadSetting = errors.New("cards: bad setting")

// spectatorKey is the view key every spectator shares: higher than any player id.
const spectatorKey uint64 = 1 << 40

// Factory makes a card game for a room.
var Factory game.Factory = func(cfg game.Config) (game.Sim, error) { return New(cfg) }

var (
	_ game.Sim            = (*Game)(nil)
	_ game.Visibility     = (*Game)(nil)
	_ game.MessageHandler = (*Game)(nil)
)

// seat is one seated player.
type seat struct {
	id        game.PlayerID
	name      string
	cards     int32 // cards in its hand
	score     int32
	connected bool
}

// Game is one room's card game.
type Game struct {
	// Static after construction.
	schema    *game.Schema
	nSeats    int
	handSize  int
	turnTicks game.Tick // 0: no turn timer
	maxTurns  int32     // 0: no limit

	// Owned by the room goroutine.
	rng        *rand.Rand
	seats      []seat          // join order; len <= nSeats
	spectators []game.PlayerID // ascending
	owner      [DeckSize]game.PlayerID
	where      [DeckSize]uint8 // 0: stock or under the pile's top, WhereHand, WherePile (the top)
	stock      []Card          // the top is the last
	pile       []Card          // the top is the last
	suit       Suit            // to follow
	state      int32
	turn       int // index in seats
	turnNo     int32
	deadline   game.Tick
	winner     game.PlayerID
	tick       game.Tick
	ended      bool
	result     game.Result
}

// New makes a card game for cfg. It fails with ErrBadSetting when a setting is out of range.
func New(cfg game.Config) (*Game, error) {
	tickRate := cfg.TickRate
	if tickRate <= 0 {
		tickRate = DefaultTickRate
	}
	def := DefaultSeats
	if cfg.MaxPlayers >= 2 {
		def = min(cfg.MaxPlayers, 4)
	}
	seats, err := setting(cfg.Settings, "seats", def, 2, 4)
	if err != nil {
		return nil, err
	}
	defHand := 5
	if seats == 2 {
		defHand = 7
	}
	handSize, err := setting(cfg.Settings, "hand_size", defHand, 1, 10)
	if err != nil {
		return nil, err
	}
	turnS, err := setting(cfg.Settings, "turn_s", DefaultTurnS, 0, 3600)
	if err != nil {
		return nil, err
	}
	maxTurns, err := setting(cfg.Settings, "max_turns", DefaultMaxTurns, 0, 1<<20)
	if err != nil {
		return nil, err
	}
	g := &Game{
		schema:    newSchema(),
		nSeats:    seats,
		handSize:  handSize,
		turnTicks: game.Tick(turnS * tickRate),
		maxTurns:  int32(maxTurns),
		rng:       rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15)),
		seats:     make([]seat, 0, seats),
		stock:     make([]Card, 0, DeckSize),
		pile:      make([]Card, 0, DeckSize),
	}
	return g, nil
}

// setting parses an integer setting within lo..hi; def when absent or empty.
func setting(s map[string]string, key string, def, lo, hi int) (int, error) {
	v, ok := s[key]
	if !ok || v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, fmt.Errorf("%w: %s=%q: want an integer from %d to %d", ErrBadSetting, key, v, lo, hi)
	}
	return n, nil
}

func newSchema() *game.Schema {
	return &game.Schema{
		Kinds: []game.KindSpec{
			{ID: KindSeat, Name: "seat", Data: true, Fields: []game.FieldSpec{
				{Name: "seat"}, {Name: "cards"}, {Name: "score"}, {Name: "connected"},
			}},
			{ID: KindTable, Name: "table", Fields: []game.FieldSpec{
				{Name: "state"}, {Name: "turn"}, {Name: "turn_no"}, {Name: "suit"}, {Name: "stock"}, {Name: "pile"},
				{Name: "deadline"}, {Name: "winner"}, {Name: "seats"}, {Name: "hand_size"},
			}},
			{ID: KindCard, Name: "card", Fields: []game.FieldSpec{
				{Name: "suit"}, {Name: "rank"}, {Name: "where"}, {Name: "owner"},
			}},
		},
		// Moves are messages: no input values, so clients send no per-tick inputs (pings keep them connected).
		Input: nil,
		Fill:  game.FillNeutral,
		Params: map[string]int32{
			"deck": DeckSize, "table_id": int32(TableID), "card_base": int32(CardBase),
		},
	}
}

// Schema describes the game's entities.
func (g *Game) Schema() *game.Schema { return g.schema }

// Seats is the number of seats at the table.
func (g *Game) Seats() int { return g.nSeats }

func (g *Game) seatOf(p game.PlayerID) int {
	for i := range g.seats {
		if g.seats[i].id == p {
			return i
		}
	}
	return -1
}

// Join seats player p while seats are free (the hand is dealt when the last one is taken), and makes it a
// spectator after that. It fails with game.ErrRejected for an id the entities cannot hold (0, or TableID and above)
// or already in the room.
func (g *Game) Join(who game.Player) error {
	p := who.ID
	if p == 0 || uint32(p) >= TableID || g.seatOf(p) >= 0 || g.isSpectator(p) {
		return game.ErrRejected
	}
	if len(g.seats) < g.nSeats && g.state == StateWaiting {
		g.seats = append(g.seats, seat{id: p, name: who.Name, connected: true})
		if len(g.seats) == g.nSeats {
			g.deal()
		}
		return nil
	}
	i := len(g.spectators)
	for i > 0 && g.spectators[i-1] > p {
		i--
	}
	g.spectators = append(g.spectators, 0)
	copy(g.spectators[i+1:], g.spectators[i:])
	g.spectators[i] = p
	return nil
}

func (g *Game) isSpectator(p game.PlayerID) bool {
	for _, q := range g.spectators {
		if q == p {
			return true
		}
	}
	return false
}

// Leave removes player p. A seated player leaving mid-hand forfeits: its cards go under the stock, and the turn
// passes on if it was its turn; with a single seat left the hand ends.
func (g *Game) Leave(p game.PlayerID) {
	for i, q := range g.spectators {
		if q == p {
			g.spectators = append(g.spectators[:i], g.spectators[i+1:]...)
			return
		}
	}
	i := g.seatOf(p)
	if i < 0 {
		return
	}
	if g.state == StatePlaying {
		for c := range Card(DeckSize) {
			if g.where[c] == WhereHand && g.owner[c] == p {
				g.where[c], g.owner[c] = 0, 0
				g.stock = append(g.stock, 0)
				copy(g.stock[1:], g.stock)
				g.stock[0] = c
			}
		}
	}
	wasTurn := g.state == StatePlaying && i == g.turn
	g.seats = append(g.seats[:i], g.seats[i+1:]...)
	if g.state != StatePlaying {
		return
	}
	if i < g.turn {
		g.turn--
	}
	if len(g.seats) < 2 {
		g.finish(ReasonForfeit)
		return
	}
	if wasTurn {
		g.turn %= len(g.seats)
		g.startTurn()
	}
}

// Disconnected marks p's seat disconnected; the turn timer plays for it if its turn comes.
func (g *Game) Disconnected(p game.PlayerID) {
	if i := g.seatOf(p); i >= 0 {
		g.seats[i].connected = false
	}
}

// Resumed marks p's seat connected again.
func (g *Game) Resumed(p game.PlayerID) {
	if i := g.seatOf(p); i >= 0 {
		g.seats[i].connected = true
	}
}

// ApplyInput does nothing: moves are messages.
func (g *Game) ApplyInput(game.Tick, game.PlayerID, *game.Input) {}

// Step runs the turn timer: a player who has not moved by the deadline draws.
func (g *Game) Step(t game.Tick, ev *game.Events) {
	g.tick = t
	if g.state == StatePlaying && g.turnTicks > 0 && t >= g.deadline {
		g.draw(ev, true)
	}
}

// Result reports the end of the hand.
func (g *Game) Result() (game.Result, bool) { return g.result, g.ended }

// AppendEntities appends the seats (ascending player id), the table, then the cards in hands and the pile's top.
func (g *Game) AppendEntities(dst []game.Entity) []game.Entity {
	n := len(dst)
	for i := range g.seats {
		s := &g.seats[i]
		e := game.Entity{ID: uint32(s.id), Kind: KindSeat}
		e.Fields[SeatIndex], e.Fields[SeatCards], e.Fields[SeatScore] = int32(i), s.cards, s.score
		if s.connected {
			e.Fields[SeatConnected] = 1
		}
		e.DataLen = uint8(copy(e.Data[:], s.name))
		// Insertion by id: seats are in join order, which is ascending id order unless ids were skipped.
		dst = append(dst, e)
		for j := len(dst) - 1; j > n && dst[j-1].ID > dst[j].ID; j-- {
			dst[j-1], dst[j] = dst[j], dst[j-1]
		}
	}
	var turn game.PlayerID
	if g.state == StatePlaying {
		turn = g.seats[g.turn].id
	}
	deadline := g.deadline
	if g.state != StatePlaying || g.turnTicks == 0 {
		deadline = 0
	}
	dst = append(dst, game.Entity{ID: TableID, Kind: KindTable, Fields: [game.MaxFields]int32{
		g.state, int32(turn), g.turnNo, int32(g.suit), int32(len(g.stock)), int32(len(g.pile)), int32(deadline),
		int32(g.winner), int32(g.nSeats), int32(g.handSize),
	}})
	for c := range Card(DeckSize) {
		if g.where[c] == 0 {
			continue
		}
		dst = append(dst, game.Entity{ID: CardBase + uint32(c), Kind: KindCard, Fields: [game.MaxFields]int32{
			int32(c.Suit()), int32(c.Rank()), int32(g.where[c]), int32(g.owner[c]),
		}})
	}
	return dst
}

// ViewKey gives each seated player its own view (its hand) and every spectator one shared view.
func (g *Game) ViewKey(p game.PlayerID) uint64 {
	if g.seatOf(p) >= 0 {
		return uint64(p)
	}
	return spectatorKey
}

// AppendView appends every entity but the cards in other players' hands (spectators: in any hand).
func (g *Game) AppendView(dst, world []game.Entity, p game.PlayerID, key uint64) []game.Entity {
	me := int32(p)
	if key == spectatorKey {
		me = -1
	}
	for i := range world {
		e := &world[i]
		if e.Kind == KindCard && e.Fields[CardWhere] == WhereHand && e.Fields[CardOwner] != me {
			continue
		}
		dst = append(dst, *e)
	}
	return dst
}
