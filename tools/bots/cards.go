package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/game/cards"
	"github.com/tickwire/tickwire/proto"
	"github.com/tickwire/tickwire/proto/snapcodec"
	"github.com/tickwire/tickwire/tools/client"
)

// CardsConfig is a run of card game bots (-game cards): N bots join rooms of the card game (quick play by Mode, or
// through Matchmaker) and each plays Hands hands to their end, one after another, with cards.Choose as its strategy.
// Rooms fill to their seats, so N should be a multiple of the seats: the bots left over wait for players who never
// come, until the timeout.
type CardsConfig struct {
	URL        string
	Matchmaker string // base URL of a matchmaking service; empty: quick play
	Mode       string // default cards.Mode
	N          int
	Hands      int           // hands each bot plays (default 1)
	Timeout    time.Duration // the whole run's bound (default 60s)
	// DropEvery, when above 0, kills a bot's socket right after every DropEvery-th move it sends (unless the hand
	// could end before its next turn): the move may or may not have reached the room, and the bot, once resumed,
	// moves again if the turn is still its own.
	DropEvery int
	Logger    *slog.Logger
}

// CardsReport is what a card game run saw. Every count is summed over the bots.
type CardsReport struct {
	Bots        int            `json:"bots"`
	Hands       int64          `json:"hands"`      // hands that ended with a MatchResult, as each bot saw them
	Unfinished  int            `json:"unfinished"` // bots that did not play all their hands
	Rooms       int            `json:"rooms"`      // distinct rooms the bots played in
	Reasons     map[string]int `json:"reasons"`    // MatchResult reasons
	Wins        int64          `json:"wins"`       // hands a bot ranked first in
	Plays       int64          `json:"plays"`      // play messages sent
	Draws       int64          `json:"draws"`      // draw messages sent
	Refused     int64          `json:"refused"`    // moves refused other than as stale
	Stale       int64          `json:"stale"`      // resent moves refused as stale (harmless)
	Snapshots   int64          `json:"snapshots"`  // snapshots decoded
	Events      int64          `json:"events"`     // events received
	Drops       int64          `json:"drops"`      // sockets killed after a move (DropEvery)
	Resumes     int64          `json:"resumes"`
	Leaks       int64          `json:"leaks"` // another player's hidden card in a frame to a bot
	DecodeErrs  int64          `json:"decode_errors"`
	Mismatches  int64          `json:"world_mismatches"`
	Errors      []string       `json:"errors,omitempty"`
	ElapsedSecs float64        `json:"elapsed_s"`
}

// OK reports whether every bot played its hands with legal moves and saw nothing hidden from it.
func (r *CardsReport) OK() bool {
	return r.Unfinished == 0 && r.Refused == 0 && r.Leaks == 0 && r.DecodeErrs == 0 && r.Mismatches == 0 &&
		len(r.Errors) == 0
}

func (r *CardsReport) printHuman(w io.Writer) {
	fmt.Fprintf(w, "card bots: %d, hands played %d (%v) in %d rooms, unfinished %d, wins %d\n", r.Bots, r.Hands,
		r.Reasons, r.Rooms, r.Unfinished, r.Wins)
	fmt.Fprintf(w, "moves: %d plays, %d draws, %d refused, %d stale resends; %d drops, %d resumes\n", r.Plays, r.Draws,
		r.Refused, r.Stale, r.Drops, r.Resumes)
	fmt.Fprintf(w, "frames: %d snapshots, %d events, %d decode errors, %d world mismatches, %d hidden cards seen\n",
		r.Snapshots, r.Events, r.DecodeErrs, r.Mismatches, r.Leaks)
	for _, e := range r.Errors {
		fmt.Fprintln(w, "error:", e)
	}
	fmt.Fprintf(w, "elapsed %.1fs\n", r.ElapsedSecs)
}

// cardPlayer is one bot's view of its hand. Its handler methods run on the client's read goroutine; the counters
// are read by the run at the end.
type cardPlayer struct {
	client.NopHandler
	// Owned by the read goroutine.
	sentTurn    int32 // the turn number of the last move sent
	sentResumes int   // the client's resumes when it was sent
	dropEvery   int
	moves       int
	hand        []cards.Card
	// Read at the end.
	plays, draws, refused, stale, snapshots, events, leaks, wins, drops atomic.Int64
	result                                                              atomic.Pointer[proto.MatchResult]
}

var _ client.TargetedHandler = (*cardPlayer)(nil)

// OnSnapshot checks the world for cards hidden from this player and moves when it is the player's turn: once per
// turn, again only after a resume (a message sent on a dropped connection may be lost; a repeat is refused as stale).
func (b *cardPlayer) OnSnapshot(c *client.Client, w *snapcodec.World, _ uint32) {
	b.snapshots.Add(1)
	me := int32(c.PlayerID())
	var table *game.Entity
	var top cards.Card
	haveTop := false
	b.hand = b.hand[:0]
	fewest := int32(1 << 30) // the fewest cards an opponent holds
	for i := range w.Entities {
		e := &w.Entities[i]
		switch e.Kind {
		case cards.KindSeat:
			if int32(e.ID) != me {
				fewest = min(fewest, e.Fields[cards.SeatCards])
			}
		case cards.KindTable:
			table = e
		case cards.KindCard:
			card := cards.Card(e.ID - cards.CardBase)
			switch {
			case e.Fields[cards.CardWhere] == cards.WherePile:
				top, haveTop = card, true
			case e.Fields[cards.CardOwner] != me:
				b.leaks.Add(1)
			default:
				b.hand = append(b.hand, card)
			}
		}
	}
	if table == nil || !haveTop || table.Fields[cards.TableState] != cards.StatePlaying ||
		table.Fields[cards.TableTurn] != me {
		return
	}
	turnNo := table.Fields[cards.TableTurnNo]
	if turnNo == b.sentTurn && c.Resumes() == b.sentResumes {
		return
	}
	b.sentTurn, b.sentResumes = turnNo, c.Resumes()
	left := len(b.hand) + 1
	if card, follow, ok := cards.Choose(b.hand, top, cards.Suit(table.Fields[cards.TableSuit])); ok {
		left = len(b.hand) - 1
		if _, err := c.SendMessage(cards.MessagePlay, cards.PlayPayload(turnNo, card, follow)); err == nil {
			b.plays.Add(1)
		}
	} else if _, err := c.SendMessage(cards.MessageDraw, cards.DrawPayload(turnNo)); err == nil {
		b.draws.Add(1)
	}
	b.moves++
	// Only when no one can shed its last card before this bot's next turn: a room that ends while the bot is away
	// could not tell it the result.
	if b.dropEvery > 0 && b.moves%b.dropEvery == 0 && left >= 2 && fewest >= 2 {
		b.drops.Add(1)
		c.Drop()
	}
}

// OnEvent counts broadcast events: a "drawn" card sent to everyone would be a leak.
func (b *cardPlayer) OnEvent(_ *client.Client, ev *proto.Event) {
	b.events.Add(1)
	if ev.GetType() == cards.EventDrawn {
		b.leaks.Add(1)
	}
}

// OnTargetedEvent counts the events sent to this player alone: its drawn cards and refused moves.
func (b *cardPlayer) OnTargetedEvent(c *client.Client, ev *proto.Event) {
	b.events.Add(1)
	switch ev.GetType() {
	case cards.EventDrawn:
		if ev.GetPlayerId() != c.PlayerID() {
			b.leaks.Add(1)
		}
	case cards.EventRefused:
		if args := ev.GetArgs(); len(args) > 1 && args[1] == cards.RefusedStale || len(args) > 1 && args[1] == cards.RefusedNotYourTurn {
			b.stale.Add(1) // a move resent after a resume that had arrived after all
		} else {
			b.refused.Add(1)
		}
	}
}

func (b *cardPlayer) OnMatchResult(c *client.Client, r *proto.MatchResult) {
	b.result.Store(r)
	for _, p := range r.GetPlayers() {
		if p.GetPlayerId() == c.PlayerID() && p.GetRank() == 1 {
			b.wins.Add(1)
		}
	}
}

// RunCards runs the card game bots until each has played its hands, or the timeout.
func RunCards(ctx context.Context, cfg CardsConfig) (*CardsReport, error) {
	switch {
	case cfg.URL == "" && cfg.Matchmaker == "":
		return nil, errors.New("bots: -url or -matchmaker is required")
	case cfg.N <= 0:
		return nil, errors.New("bots: -n must be positive")
	}
	if cfg.Mode == "" {
		cfg.Mode = cards.Mode
	}
	if cfg.Hands <= 0 {
		cfg.Hands = 1
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 60 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	start := time.Now()
	r := &CardsReport{Bots: cfg.N, Reasons: map[string]int{}}
	var mu, joinMu sync.Mutex
	rooms := map[string]bool{}
	finished := make([]int, cfg.N)
	// Hand by hand, every bot at once: a bot that started its next hand early would wait for seats that no one
	// else is coming to take.
	for hand := range cfg.Hands {
		var wg sync.WaitGroup
		for i := range cfg.N {
			if finished[i] < hand {
				continue // it failed an earlier hand
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				room, err := playHand(ctx, cfg, i, r, &mu, &joinMu)
				mu.Lock()
				defer mu.Unlock()
				if room != "" {
					rooms[room] = true
				}
				if err != nil {
					r.Errors = append(r.Errors, fmt.Sprintf("bot %d, hand %d: %v", i, hand+1, err))
					return
				}
				finished[i]++
			}()
		}
		wg.Wait()
	}
	for _, n := range finished {
		if n < cfg.Hands {
			r.Unfinished++
		}
	}
	r.Rooms = len(rooms)
	r.ElapsedSecs = time.Since(start).Seconds()
	return r, nil
}

// playHand plays one hand as bot i and adds what it saw to r; it returns the room's id.
func playHand(ctx context.Context, cfg CardsConfig, i int, r *CardsReport, mu, joinMu *sync.Mutex) (string, error) {
	b := &cardPlayer{dropEvery: cfg.DropEvery}
	st := client.NewStats()
	ccfg := client.Config{URL: cfg.URL, Mode: cfg.Mode, Name: fmt.Sprintf("cards%d", i), Handler: b, Stats: st,
		ClientName: "tickwire-bots/1", Logger: cfg.Logger, DialTimeout: 10 * time.Second}
	if cfg.Matchmaker != "" {
		ccfg.URL, ccfg.Matchmaker = "", &client.HTTPMatchmaker{BaseURL: cfg.Matchmaker}
	}
	if cfg.Matchmaker == "" {
		// Quick play joins a room with a free slot, or opens one: concurrent joins may each open a room and leave
		// them all short of players. One join at a time packs every room to its seats.
		joinMu.Lock()
	}
	c, err := client.Dial(ctx, ccfg)
	if cfg.Matchmaker == "" {
		joinMu.Unlock()
	}
	if err != nil {
		return "", err
	}
	room := c.Welcome().GetRoomId()
	// Acks keep the connection alive (the heartbeat) while the bot waits for its turn; it sends no inputs.
	tk := time.NewTicker(250 * time.Millisecond)
wait:
	for b.result.Load() == nil {
		select {
		case <-ctx.Done():
			break wait
		case <-c.Done():
			break wait
		case <-tk.C:
			_ = c.Ack()
		}
	}
	tk.Stop()
	_ = c.Close()
	res := b.result.Load()
	mu.Lock()
	r.Plays += b.plays.Load()
	r.Draws += b.draws.Load()
	r.Refused += b.refused.Load()
	r.Stale += b.stale.Load()
	r.Snapshots += b.snapshots.Load()
	r.Events += b.events.Load()
	r.Leaks += b.leaks.Load()
	r.Wins += b.wins.Load()
	r.Drops += b.drops.Load()
	r.Resumes += int64(c.Resumes())
	r.DecodeErrs += st.DecodeErrors.Load()
	r.Mismatches += st.WorldMismatches.Load()
	if res != nil {
		r.Hands++
		r.Reasons[res.GetReason()]++
	}
	mu.Unlock()
	if res == nil {
		if err := ctx.Err(); err != nil {
			return room, err
		}
		return room, fmt.Errorf("connection ended without a match result: %v", c.Err())
	}
	return room, nil
}

// runCardsMain runs -game cards with the shared flags (-url, -matchmaker, -n, -mode when set, -duration as the
// bound) and prints the report; the exit status is 1 when it is not OK.
func runCardsMain(cfg Config, hands int, jsonOut bool) int {
	mode := cfg.Mode
	if mode == "arena" {
		mode = cards.Mode
	}
	if cfg.Matchmaker != "" {
		cfg.URL = ""
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	r, err := RunCards(ctx, CardsConfig{URL: cfg.URL, Matchmaker: cfg.Matchmaker, Mode: mode, N: cfg.N, Hands: hands,
		Timeout: cfg.Duration, Logger: cfg.Logger})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	if jsonOut {
		_ = json.NewEncoder(os.Stdout).Encode(r)
	} else {
		r.printHuman(os.Stdout)
	}
	if !r.OK() {
		return 1
	}
	return 0
}
