package cards

import (
	"errors"
	"fmt"
	"reflect"
	"testing"

	"github.com/tickwire/tickwire/game"
)

func newGame(t testing.TB, seed uint64, settings map[string]string) *Game {
	t.Helper()
	g, err := New(game.Config{Seed: seed, TickRate: 10, MaxPlayers: 4, Settings: settings})
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Schema().Validate(); err != nil {
		t.Fatal(err)
	}
	return g
}

func join(t testing.TB, g *Game, ids ...game.PlayerID) {
	t.Helper()
	for _, id := range ids {
		if err := g.Join(game.Player{ID: id, Name: fmt.Sprint("p", id)}); err != nil {
			t.Fatalf("join %d: %v", id, err)
		}
	}
}

// checkCards checks that every card is in exactly one place and that the counts agree.
func checkCards(t *testing.T, g *Game) {
	t.Helper()
	inHands := 0
	for i := range g.seats {
		n := len(g.Hand(nil, g.seats[i].id))
		if int32(n) != g.seats[i].cards {
			t.Fatalf("seat %d holds %d cards, counts %d", i, n, g.seats[i].cards)
		}
		inHands += n
	}
	if total := inHands + len(g.stock) + len(g.pile); total != DeckSize {
		t.Fatalf("%d in hands + %d stock + %d pile = %d cards", inHands, len(g.stock), len(g.pile), total)
	}
	seen := map[Card]bool{}
	for _, c := range append(append([]Card(nil), g.stock...), g.pile...) {
		if seen[c] || g.where[c] == WhereHand {
			t.Fatalf("card %v twice", c)
		}
		seen[c] = true
	}
}

// checkViews checks every player's view against the truth: its own hand and the pile's top, never another's card.
func checkViews(t *testing.T, g *Game, players []game.PlayerID) {
	t.Helper()
	world := g.AppendEntities(nil)
	for i := 1; i < len(world); i++ {
		if world[i-1].ID >= world[i].ID {
			t.Fatalf("entity ids not ascending: %d then %d", world[i-1].ID, world[i].ID)
		}
	}
	for _, p := range players {
		view := g.AppendView(nil, world, p, g.ViewKey(p))
		var want []uint32
		if g.seatOf(p) >= 0 {
			for _, c := range g.Hand(nil, p) {
				want = append(want, CardBase+uint32(c))
			}
		}
		if top, _, ok := g.Top(); ok {
			want = append(want, CardBase+uint32(top))
		}
		var got []uint32
		for _, e := range view {
			if e.Kind != KindCard {
				continue
			}
			got = append(got, e.ID)
			if e.Fields[CardWhere] == WhereHand && game.PlayerID(e.Fields[CardOwner]) != p {
				t.Fatalf("player %d sees card %v in the hand of %d", p, Card(e.ID-CardBase), e.Fields[CardOwner])
			}
		}
		sortU32(want)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("player %d sees cards %v, want %v", p, got, want)
		}
	}
}

func sortU32(s []uint32) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j-1] > s[j]; j-- {
			s[j-1], s[j] = s[j], s[j-1]
		}
	}
}

// playHand plays a hand with Choose as every seat's strategy, one move per tick, checking the invariants and the
// views at every tick; it returns the ticks played and the events.
func playHand(t *testing.T, g *Game, players []game.PlayerID) (game.Tick, []game.Event) {
	t.Helper()
	var all []game.Event
	var ev game.Events
	var seq uint32
	for tk := game.Tick(1); tk < 5000; tk++ {
		ev.Reset()
		if p, turnNo := g.Turn(); p != 0 {
			top, suit, _ := g.Top()
			seq++
			m := game.Message{Type: MessageDraw, Payload: DrawPayload(turnNo), Seq: seq}
			if c, follow, ok := Choose(g.Hand(nil, p), top, suit); ok {
				m = game.Message{Type: MessagePlay, Payload: PlayPayload(turnNo, c, follow), Seq: seq}
			}
			g.HandleMessage(tk, p, &m, &ev)
		}
		g.Step(tk, &ev)
		for _, e := range ev.List {
			if e.Type == EventRefused {
				t.Fatalf("tick %d: a chosen move was refused: %+v", tk, e)
			}
		}
		all = append(all, ev.List...)
		checkCards(t, g)
		checkViews(t, g, players)
		if _, over := g.Result(); over {
			return tk, all
		}
	}
	t.Fatal("the hand did not end")
	return 0, nil
}

func TestHandsPlayToTheEnd(t *testing.T) {
	for _, seats := range []int{2, 3, 4} {
		for seed := uint64(1); seed <= 20; seed++ {
			t.Run(fmt.Sprintf("seats%d/seed%d", seats, seed), func(t *testing.T) {
				g := newGame(t, seed, map[string]string{"seats": fmt.Sprint(seats)})
				var players []game.PlayerID
				for i := range seats + 1 { // one spectator
					players = append(players, game.PlayerID(i+1))
				}
				join(t, g, players...)
				if g.state != StatePlaying {
					t.Fatalf("state %d after every seat was taken", g.state)
				}
				if !g.isSpectator(players[seats]) {
					t.Fatal("the player after the seats is not a spectator")
				}
				_, events := playHand(t, g, players)
				res, _ := g.Result()
				if len(res.Players) != seats || res.Players[0].Rank != 1 {
					t.Fatalf("result %+v", res)
				}
				if res.Reason == ReasonHandWon {
					if res.Players[0].Player != g.winner || len(g.Hand(nil, g.winner)) != 0 {
						t.Fatalf("winner %d, result %+v", g.winner, res)
					}
				}
				// No event to everyone names a card in a hand: "drawn" goes to the drawer alone.
				for _, e := range events {
					if e.Type == EventDrawn && e.To != e.Player {
						t.Fatalf("drawn event to %d about %d", e.To, e.Player)
					}
					if e.To == 0 && e.Type != EventPlayed && e.Type != EventDrew {
						t.Fatalf("unexpected broadcast %+v", e)
					}
				}
			})
		}
	}
}

func TestDeterministic(t *testing.T) {
	run := func() [][]game.Entity {
		g := newGame(t, 42, map[string]string{"seats": "3"})
		join(t, g, 1, 2, 3)
		var worlds [][]game.Entity
		var ev game.Events
		for tk := game.Tick(1); tk < 400; tk++ {
			ev.Reset()
			if p, turnNo := g.Turn(); p != 0 && tk%3 == 0 {
				top, suit, _ := g.Top()
				m := game.Message{Type: MessageDraw, Payload: DrawPayload(turnNo)}
				if c, follow, ok := Choose(g.Hand(nil, p), top, suit); ok {
					m = game.Message{Type: MessagePlay, Payload: PlayPayload(turnNo, c, follow)}
				}
				g.HandleMessage(tk, p, &m, &ev)
			}
			g.Step(tk, &ev)
			worlds = append(worlds, g.AppendEntities(nil))
		}
		return worlds
	}
	if a, b := run(), run(); !reflect.DeepEqual(a, b) {
		t.Fatal("two games with the same seed and moves differ")
	}
}

func TestRefusedMoves(t *testing.T) {
	g := newGame(t, 7, map[string]string{"seats": "2", "turn_s": "0"})
	join(t, g, 1)
	var ev game.Events
	refused := func(from game.PlayerID, typ, payload string) int32 {
		t.Helper()
		ev.Reset()
		m := game.Message{Type: typ, Payload: []byte(payload), Seq: 9}
		g.HandleMessage(1, from, &m, &ev)
		if len(ev.List) == 0 {
			return 0
		}
		e := ev.List[len(ev.List)-1]
		if e.Type != EventRefused {
			return 0
		}
		if e.To != from || e.Args[0] != 9 {
			t.Fatalf("refusal %+v not to %d with the seq", e, from)
		}
		return e.Args[1]
	}
	if r := refused(1, MessageDraw, "1"); r != RefusedNotPlaying {
		t.Fatalf("draw before the deal: %d", r)
	}
	join(t, g, 2, 3)
	p, turnNo := g.Turn()
	other := game.PlayerID(3 - p)
	top, suit, _ := g.Top()
	hand := g.Hand(nil, p)
	var illegal, legal Card
	haveIllegal, haveLegal := false, false
	for _, c := range hand {
		if Legal(c, top, suit) && !haveLegal {
			legal, haveLegal = c, true
		}
		if !Legal(c, top, suit) && !haveIllegal {
			illegal, haveIllegal = c, true
		}
	}
	otherCard := g.Hand(nil, other)[0]
	tests := []struct {
		name    string
		from    game.PlayerID
		typ     string
		payload string
		want    int32
	}{
		{"unknown type", p, "fold", "1", RefusedBadMessage},
		{"empty payload", p, MessageDraw, "", RefusedBadMessage},
		{"garbage", p, MessagePlay, "1 x", RefusedBadMessage},
		{"trailing space", p, MessageDraw, "1 ", RefusedBadMessage},
		{"card out of range", p, MessagePlay, fmt.Sprint(turnNo, " 52"), RefusedBadMessage},
		{"suit out of range", p, MessagePlay, fmt.Sprint(turnNo, " 7 4"), RefusedBadMessage},
		{"too many numbers", p, MessagePlay, "1 2 3 4", RefusedBadMessage},
		{"huge number", p, MessageDraw, "99999999999999", RefusedBadMessage},
		{"spectator", 3, MessageDraw, fmt.Sprint(turnNo), RefusedNotPlaying},
		{"not your turn", other, MessageDraw, fmt.Sprint(turnNo), RefusedNotYourTurn},
		{"stale turn", p, MessageDraw, fmt.Sprint(turnNo + 1), RefusedStale},
		{"not in hand", p, MessagePlay, string(PlayPayload(turnNo, otherCard, 0)), RefusedNotInHand},
	}
	if haveIllegal {
		tests = append(tests, struct {
			name    string
			from    game.PlayerID
			typ     string
			payload string
			want    int32
		}{"illegal card", p, MessagePlay, string(PlayPayload(turnNo, illegal, 0)), RefusedIllegal})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := refused(tt.from, tt.typ, tt.payload); got != tt.want {
				t.Errorf("refused with %d, want %d", got, tt.want)
			}
		})
	}
	if p2, n2 := g.Turn(); p2 != p || n2 != turnNo {
		t.Fatal("a refused move changed the turn")
	}
	if !haveLegal {
		return
	}
	// The legal move is taken once; the same message again is stale.
	payload := string(PlayPayload(turnNo, legal, legal.Suit()))
	if r := refused(p, MessagePlay, payload); r != 0 {
		t.Fatalf("legal move refused: %d", r)
	}
	if top, _, _ := g.Top(); top != legal {
		t.Fatalf("top %v after playing %v", top, legal)
	}
	if r := refused(p, MessagePlay, payload); r != RefusedNotYourTurn {
		t.Fatalf("repeated move: %d", r)
	}
}

func TestEightNamesTheSuit(t *testing.T) {
	g := newGame(t, 3, map[string]string{"seats": "2"})
	join(t, g, 1, 2)
	p, turnNo := g.Turn()
	// Put an eight into p's hand by hand (the test owns the game).
	var eight Card = NewCard(2, Eight)
	if g.where[eight] != WhereHand || g.owner[eight] != p {
		g.where[eight], g.owner[eight] = WhereHand, p
		g.seats[g.turn].cards++
		for i, c := range g.stock {
			if c == eight {
				g.stock = append(g.stock[:i], g.stock[i+1:]...)
			}
		}
		for i := range g.seats {
			if g.seats[i].id != p && len(g.Hand(nil, g.seats[i].id)) != int(g.seats[i].cards) {
				g.seats[i].cards--
			}
		}
	}
	var ev game.Events
	m := game.Message{Type: MessagePlay, Payload: PlayPayload(turnNo, eight, 1)}
	g.HandleMessage(1, p, &m, &ev)
	if _, suit, _ := g.Top(); suit != 1 || len(ev.List) != 1 || ev.List[0].Args[1] != 1 {
		t.Fatalf("suit %d after an eight naming 1, events %+v", suit, ev.List)
	}
}

func TestTurnTimerDraws(t *testing.T) {
	g := newGame(t, 5, map[string]string{"seats": "2", "turn_s": "1"}) // 10 ticks
	join(t, g, 1, 2)
	p, _ := g.Turn()
	var ev game.Events
	var drew []game.Event
	for tk := game.Tick(1); tk <= 25; tk++ {
		ev.Reset()
		g.Step(tk, &ev)
		for _, e := range ev.List {
			if e.Type == EventDrew {
				drew = append(drew, e)
			}
		}
	}
	if len(drew) != 2 || drew[0].Player != p || drew[0].Args[2] != 1 || drew[0].Args[0] != 8 {
		t.Fatalf("timer draws %+v", drew)
	}
}

func TestTurnLimit(t *testing.T) {
	g := newGame(t, 5, map[string]string{"seats": "2", "max_turns": "6", "turn_s": "0"})
	join(t, g, 1, 2)
	var ev game.Events
	for tk := game.Tick(1); tk <= 10; tk++ {
		if p, turnNo := g.Turn(); p != 0 {
			m := game.Message{Type: MessageDraw, Payload: DrawPayload(turnNo)}
			g.HandleMessage(tk, p, &m, &ev)
		}
	}
	res, over := g.Result()
	if !over || res.Reason != ReasonTurnLimit || g.turnNo != 6 {
		t.Fatalf("over %v, %+v after %d turns", over, res, g.turnNo)
	}
	for _, r := range res.Players {
		if r.Score >= 0 {
			t.Fatalf("a player holding cards scored %d", r.Score)
		}
	}
}

func TestLeaveForfeits(t *testing.T) {
	g := newGame(t, 9, map[string]string{"seats": "3"})
	join(t, g, 1, 2, 3)
	p, turnNo := g.Turn()
	g.Leave(p)
	checkCards(t, g)
	if q, n := g.Turn(); q == p || q == 0 || n != turnNo+1 {
		t.Fatalf("turn %d (%d) after %d (%d) left", q, n, p, turnNo)
	}
	q, _ := g.Turn()
	g.Leave(q)
	res, over := g.Result()
	if !over || res.Reason != ReasonForfeit || len(res.Players) != 1 || res.Players[0].Rank != 1 {
		t.Fatalf("over %v, %+v", over, res)
	}
}

func TestJoinAndSettings(t *testing.T) {
	g := newGame(t, 1, nil)
	if g.Seats() != 4 { // MaxPlayers 4
		t.Fatalf("seats %d", g.Seats())
	}
	join(t, g, 1)
	for _, id := range []game.PlayerID{0, 1, game.PlayerID(TableID)} {
		if err := g.Join(game.Player{ID: id}); !errors.Is(err, game.ErrRejected) {
			t.Errorf("join %d: %v", id, err)
		}
	}
	for _, s := range []map[string]string{{"seats": "1"}, {"seats": "5"}, {"hand_size": "0"}, {"turn_s": "-1"},
		{"max_turns": "x"}} {
		if _, err := New(game.Config{Settings: s}); !errors.Is(err, ErrBadSetting) {
			t.Errorf("settings %v: %v", s, err)
		}
	}
}

func TestParseInts(t *testing.T) {
	tests := []struct {
		in   string
		want []int32
	}{
		{"12", []int32{12}},
		{"1 2 3", []int32{1, 2, 3}},
		{"", nil},
		{" 1", nil},
		{"1  2", nil},
		{"-1", nil},
		{"1 2 3 4", nil},
	}
	for _, tt := range tests {
		var out [3]int32
		n := parseInts([]byte(tt.in), out[:])
		var got []int32
		if n > 0 {
			got = out[:n]
		}
		if tt.want == nil && n > 0 || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("parseInts(%q) = %v (%d), want %v", tt.in, got, n, tt.want)
		}
	}
}

func TestChoose(t *testing.T) {
	top := NewCard(0, 5) // 5 of clubs
	tests := []struct {
		hand   []Card
		ok     bool
		card   Card
		follow Suit
	}{
		{[]Card{NewCard(1, 2), NewCard(0, 9)}, true, NewCard(0, 9), 0},
		{[]Card{NewCard(1, 2), NewCard(3, 5)}, true, NewCard(3, 5), 3},
		{[]Card{NewCard(1, 8), NewCard(2, 2), NewCard(2, 3)}, true, NewCard(1, 8), 2},
		{[]Card{NewCard(1, 2)}, false, 0, 0},
	}
	for _, tt := range tests {
		c, f, ok := Choose(tt.hand, top, 0)
		if ok != tt.ok || ok && (c != tt.card || f != tt.follow) {
			t.Errorf("Choose(%v) = %v %d %v, want %v %d %v", tt.hand, c, f, ok, tt.card, tt.follow, tt.ok)
		}
	}
	if NewCard(3, 10).String() != "10S" || NewCard(0, 1).String() != "AC" {
		t.Error("card names")
	}
}

// The per-tick work of the room's calls (Step, AppendEntities, AppendView for every player, a refused move)
// allocates nothing.
func BenchmarkTick(b *testing.B) {
	g := newGame(b, 1, map[string]string{"seats": "4"})
	join(b, g, 1, 2, 3, 4, 5)
	var ev game.Events
	world := make([]game.Entity, 0, 64)
	view := make([]game.Entity, 0, 64)
	m := game.Message{Type: MessageDraw, Payload: []byte("999999")}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		ev.Reset()
		g.HandleMessage(game.Tick(i), 1, &m, &ev)
		g.Step(game.Tick(i), &ev)
		world = g.AppendEntities(world[:0])
		for p := game.PlayerID(1); p <= 5; p++ {
			view = g.AppendView(view[:0], world, p, g.ViewKey(p))
		}
	}
}

// FuzzMoves sends arbitrary messages from the seats and a spectator to a dealt hand: whatever arrives, every card
// stays in exactly one place, every view holds exactly its owner's hand and the pile's top, and a refused move
// changes nothing. Each line of data is one message: its first byte picks the sender and the type, the rest is the
// payload.
func FuzzMoves(f *testing.F) {
	f.Add(uint64(1), []byte("\x00draw 1\n\x01play 2 7\n\x02x"))
	f.Add(uint64(2), []byte("\x001\n\x011 5\n\x052 33 2\n\x041\n\x003 1 1 1"))
	f.Add(uint64(3), []byte("\x00"+string(PlayPayload(1, NewCard(0, 8), 3))+"\n\x01"+string(DrawPayload(2))))
	types := []string{MessageDraw, MessagePlay, "fold", ""}
	f.Fuzz(func(t *testing.T, seed uint64, data []byte) {
		g := newGame(t, seed, map[string]string{"seats": "3", "hand_size": "4", "turn_s": "0"})
		players := []game.PlayerID{1, 2, 3, 4}
		join(t, g, players...)
		var ev game.Events
		start := 0
		for tk := game.Tick(1); start < len(data) && tk < 200; tk++ {
			end := start
			for end < len(data) && data[end] != '\n' {
				end++
			}
			line := data[start:end]
			start = end + 1
			if len(line) == 0 {
				continue
			}
			from := players[int(line[0])%len(players)]
			typ := types[int(line[0]>>2)%len(types)]
			if typ == "" {
				continue
			}
			// A valid turn number now and then, so that moves get past the turn check.
			payload := line[1:]
			if line[0]&0x80 != 0 {
				_, turnNo := g.Turn()
				payload = append(fmt.Appendf(nil, "%d", turnNo), payload...)
			}
			before := g.AppendEntities(nil)
			ev.Reset()
			m := game.Message{Type: typ, Payload: payload, Seq: uint32(tk)}
			g.HandleMessage(tk, from, &m, &ev)
			if len(ev.List) == 1 && ev.List[0].Type == EventRefused {
				if after := g.AppendEntities(nil); !reflect.DeepEqual(before, after) {
					t.Fatalf("refused move %q %q changed the world", typ, payload)
				}
			}
			g.Step(tk, &ev)
			if _, over := g.Result(); over {
				return
			}
			checkCards(t, g)
			checkViews(t, g, players)
		}
	})
}
