package session

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/tickwire/tickwire/game"
)

// fuzzPlayer is what one client knows of its resume tokens, and what the table must therefore accept.
type fuzzPlayer struct {
	cur       []byte    // the token of the latest Welcome the client holds
	held      bool      // a live connection holds cur
	curExp    time.Time // when not held: cur is forgotten at this moment
	prev      []byte    // cur's predecessor, redeemable until cur is confirmed (nil: none)
	prevExp   time.Time
	prevHeld  bool
	confirmed bool
	left      bool
}

// FuzzResumeTokens drives the resume token table through sequences of joins, disconnects, resumes (with the latest
// token or its unconfirmed predecessor, succeeding or refused by the room), confirmations, leaves, forged tokens and
// clock steps, against a model of what the clients hold. A token held by a live connection, or dropped less than the
// TTL ago, must always resume its player; a token past its lifetime, confirmed-dead, dropped or forged never does;
// the table stays within its bound and holds at most two tokens per player.
func FuzzResumeTokens(f *testing.F) {
	f.Add([]byte{0, 0, 1, 0, 4, 200, 2, 0, 3, 0, 1, 0, 4, 30, 2, 0})
	f.Add([]byte{0, 0, 0, 1, 2, 0, 1, 0, 2, 1, 4, 255, 4, 255, 4, 255, 2, 0, 2, 1, 5, 0, 6, 0})
	f.Add([]byte{0, 0, 1, 0, 4, 24, 7, 0, 2, 0, 1, 0, 4, 24, 2, 0, 3, 0, 7, 0, 1, 0, 4, 26, 2, 0})
	f.Fuzz(func(t *testing.T, ops []byte) {
		const ttl = 25 * time.Second
		tt := NewTokens(64, ttl, time.Minute)
		now := time.Unix(1e6, 0)
		tt.now = func() time.Time { return now }
		var ps []*fuzzPlayer
		arrival := tt.Arrival
		redeem := func(p *fuzzPlayer, tok []byte, ok bool, id int) {
			if string(tok) == string(p.cur) {
				p.prev = nil // redeeming a token proves its predecessor was received: it dies, whatever the room says
			}
			next := NewResumeToken()
			c, err := tt.TakeResume(context.Background(), tok, next, arrival())
			if err != nil {
				if !errors.Is(err, ErrUnknownToken) {
					t.Fatalf("TakeResume: %v", err)
				}
				t.Fatalf("player %d: a redeemable token was refused", id)
			}
			if c.Grant.Player != game.PlayerID(id+1) {
				t.Fatalf("player %d: the token is bound to player %d", id, c.Grant.Player)
			}
			c.Done(ok)
			if !ok {
				return
			}
			if p.held { // the room closes the connection it took the player from
				tt.Disconnected(p.cur)
			}
			if string(tok) == string(p.cur) {
				if p.held {
					p.curExp = now.Add(ttl)
				}
				p.prev, p.prevExp, p.prevHeld = p.cur, p.curExp, false
			} // else: resumed with prev, which stays the predecessor; the old cur is dead
			p.cur, p.held, p.confirmed = next, true, false
		}
		valid := func(tok []byte, held bool, exp time.Time) bool { return held || now.Before(exp) }
		for i := 0; i+1 < len(ops) && len(ps) < 16; i += 2 {
			op, arg := ops[i]%8, int(ops[i+1])
			if op != 0 && op != 4 && len(ps) == 0 {
				continue
			}
			var p *fuzzPlayer
			id := 0
			if len(ps) > 0 {
				id = arg % len(ps)
				p = ps[id]
			}
			switch op {
			case 0: // a new player joins
				tok := NewResumeToken()
				tt.BindResume(tok, "r", game.PlayerID(len(ps)+1))
				ps = append(ps, &fuzzPlayer{cur: tok, held: true, confirmed: true})
			case 1: // its connection drops
				if p.held {
					tt.Disconnected(p.cur)
					p.held, p.curExp = false, now.Add(ttl)
				}
			case 2, 7: // it resumes with its latest token; op 7: the room refuses (busy, grace over)
				switch {
				case !p.left && valid(p.cur, p.held, p.curExp):
					redeem(p, p.cur, op == 2, id)
				default:
					refused(t, tt, p.cur, "a token past its lifetime or dropped")
				}
			case 3: // the client's first frame after the Welcome
				if p.held && !p.left {
					tt.ConfirmResume(p.cur)
					p.confirmed, p.prev = true, nil
				}
			case 4: // time passes: up to 255 half-seconds
				now = now.Add(time.Duration(arg) * 500 * time.Millisecond)
			case 5: // it leaves
				if p.held && !p.left {
					tt.DropResume(p.cur)
					p.left = true
				}
			case 6: // a retry with the predecessor (the client never read the last Welcome), or a forged token
				switch {
				case p.prev != nil && !p.left && valid(p.prev, p.prevHeld, p.prevExp):
					redeem(p, p.prev, true, id)
				case p.prev != nil:
					refused(t, tt, p.prev, "a predecessor past its lifetime, or its player left")
				default:
					refused(t, tt, NewResumeToken(), "a forged token")
				}
			}
			if n := len(tt.resume); n > 64 {
				t.Fatalf("%d tokens, bound 64", n)
			}
			per := map[game.PlayerID]int{}
			for _, e := range tt.resume {
				if e.expires.IsZero() || now.Before(e.expires) {
					per[e.grant.Player]++
				}
			}
			for pl, n := range per {
				if n > 2 {
					t.Fatalf("player %d has %d redeemable tokens, want at most 2", pl, n)
				}
			}
		}
	})
}
