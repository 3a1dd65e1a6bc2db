package attack

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tickwire/tickwire/game/arena"
	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/server/internal/auth"
	"github.com/tickwire/tickwire/tools/client"
)

const (
	idSecret   = "attack-suite-hs256-secret-0123456789abcdef"
	idSecretV2 = "attack-suite-hs256-secret-next-rotation-0123"
)

// identityKeys writes a key set (two HS256 keys, as during a rotation, and one ES256 key) and returns its path and the
// ES256 private key.
func identityKeys(t *testing.T) (string, *ecdsa.PrivateKey, string) {
	t.Helper()
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&ec.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pub := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	ks := auth.KeySet{Keys: []auth.Key{
		{Kid: "hs-2026-10", Alg: "HS256", Secret: idSecret},
		{Kid: "hs-2026-11", Alg: "HS256", Secret: idSecretV2},
		{Kid: "es-1", Alg: "ES256", PublicKey: pub},
	}}
	b, err := json.Marshal(ks)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "keys.json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path, ec, pub
}

func claims(sub string, exp time.Time) map[string]any {
	return map[string]any{"sub": sub, "name": "N-" + sub, "exp": exp.Unix(), "team": "blue"}
}

// hs and es sign as a game's backend does.
func hs(kid, secret string, c map[string]any) string {
	tok, err := auth.SignHS256(kid, secret, c)
	if err != nil {
		panic(err)
	}
	return tok
}

func es(kid string, key *ecdsa.PrivateKey, c map[string]any) string {
	tok, err := auth.SignES256(kid, key, c)
	if err != nil {
		panic(err)
	}
	return tok
}

// Forged, expired, wrong-key, unknown-kid, unsigned and garbage player tokens are refused at Join with the documented
// codes (4513 for expired, 4512 for the rest) and at ticket submission with HTTP 401, counted by reason, while the
// bots play on; tokens of every configured key (both HS256 kids of a rotation, and ES256) let their users in verified,
// and the room's events carry the verified user id.
func TestAttackPlayerTokens(t *testing.T) {
	keys, ec, pub := identityKeys(t)
	cfg := attackConfig()
	cfg.AuthKeys = keys
	e := Start(t, cfg, Options{})
	var mu sync.Mutex
	joined := map[string]bool{} // verified user ids seen in player_joined events
	e.Srv.OnRoomEvent(func(ev server.RoomEvent) {
		if ev.Type == "player_joined" && ev.Verified {
			mu.Lock()
			joined[ev.UserID] = true
			mu.Unlock()
		}
	})

	now := time.Now()
	later, past := now.Add(time.Hour), now.Add(-time.Minute)
	other, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	bad := []struct {
		name   string
		token  string
		code   error
		reason auth.Reason
	}{
		{"forged (wrong secret)", hs("hs-2026-11", idSecret+"x", claims("eve", later)), client.ErrUnauthenticated, auth.ReasonBadSignature},
		{"forged (other ES256 key)", es("es-1", other, claims("eve", later)), client.ErrUnauthenticated, auth.ReasonBadSignature},
		{"tampered sub", tamperSub(hs("hs-2026-10", idSecret, claims("eve", later))), client.ErrUnauthenticated, auth.ReasonBadSignature},
		{"expired", hs("hs-2026-10", idSecret, claims("eve", past)), client.ErrPlayerTokenExpired, auth.ReasonExpired},
		{"wrong key (HS256 under the ES256 kid, public key as secret)", hs("es-1", pub, claims("eve", later)), client.ErrUnauthenticated, auth.ReasonWrongKey},
		{"unknown kid (retired key)", hs("hs-2026-09", idSecret, claims("eve", later)), client.ErrUnauthenticated, auth.ReasonUnknownKey},
		{"unsigned (alg none)", unsigned(claims("eve", later)), client.ErrUnauthenticated, auth.ReasonBadSignature},
		{"garbage", strings.Repeat("x.", 1000), client.ErrUnauthenticated, auth.ReasonMalformed},
	}
	const per = 12
	var wg sync.WaitGroup
	var wrong atomic.Int32
	sem := make(chan struct{}, 16)
	for i, b := range bad {
		for j := 0; j < per; j++ {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				d := DialFrom(SourceIP(0, i*per+j))
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				c, err := client.Dial(ctx, client.Config{URL: e.URL, Mode: arena.Mode, Name: "mallory",
					PlayerToken: b.token, NetDial: d.DialContext, NoResume: true})
				if err == nil {
					_ = c.Close()
				}
				if !errors.Is(err, b.code) {
					if wrong.Add(1) <= 5 {
						t.Errorf("%s: Dial = %v, want %v", b.name, err, b.code)
					}
				}
			}()
		}
	}
	wg.Wait()
	for _, r := range auth.Reasons {
		if n := e.Counter("tickwire_player_auth_refused_total", "where", "join", "reason", string(r)); n > 0 {
			t.Logf("refused at join, reason %s: %.0f", r, n)
		}
	}
	for reason, want := range map[auth.Reason]int{auth.ReasonBadSignature: 4 * per, auth.ReasonExpired: per,
		auth.ReasonWrongKey: per, auth.ReasonUnknownKey: per, auth.ReasonMalformed: per} {
		if got := e.Counter("tickwire_player_auth_refused_total", "where", "join", "reason", string(reason)); got != float64(want) {
			t.Errorf("refusals at join for %s: %.0f, want %d", reason, got, want)
		}
	}

	// The matchmaker refuses the same tokens with 401 and the documented error codes.
	for _, b := range bad[:4] {
		body, _ := json.Marshal(map[string]any{"mode": arena.Mode, "player_tokens": []string{b.token}})
		resp, err := http.Post(e.HTTP+"/v1/matchmaking/tickets", "application/json", strings.NewReader(string(body)))
		if err != nil {
			t.Fatal(err)
		}
		var eb struct{ Error string }
		_ = json.NewDecoder(resp.Body).Decode(&eb)
		resp.Body.Close()
		want := "unauthenticated"
		if b.reason == auth.ReasonExpired {
			want = "player_token_expired"
		}
		if resp.StatusCode != http.StatusUnauthorized || eb.Error != want {
			t.Errorf("ticket with %s: %d %q, want 401 %q", b.name, resp.StatusCode, eb.Error, want)
		}
	}
	if got := e.Counter("tickwire_player_auth_refused_total", "where", "matchmaker"); got != 4 {
		t.Errorf("refusals at the matchmaker: %.0f, want 4", got)
	}

	// Every configured key lets its users in, verified.
	good := map[string]string{
		"ann": hs("hs-2026-10", idSecret, claims("ann", later)),
		"bob": hs("hs-2026-11", idSecretV2, claims("bob", later)),
		"cy":  es("es-1", ec, claims("cy", later)),
	}
	i := 0
	for user, tok := range good {
		d := DialFrom(SourceIP(0, 500+i))
		i++
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		c, err := client.Dial(ctx, client.Config{URL: e.URL, Mode: arena.Mode, Name: "ignored", PlayerToken: tok,
			NetDial: d.DialContext})
		cancel()
		if err != nil {
			t.Fatalf("%s: %v", user, err)
		}
		_ = c.Close()
	}
	// The room reports a join after it ran it, which may be after the player's Welcome: wait (bounded) for them.
	missing := func() []string {
		mu.Lock()
		defer mu.Unlock()
		var m []string
		for user := range good {
			if !joined[user] {
				m = append(m, user)
			}
		}
		return m
	}
	for i := 0; i < 500 && len(missing()) > 0; i++ {
		time.Sleep(10 * time.Millisecond)
	}
	if m := missing(); len(m) > 0 {
		mu.Lock()
		t.Errorf("no verified player_joined event for %v (saw %v)", m, joined)
		mu.Unlock()
	}
	if got := e.Counter("tickwire_player_auth_total", "where", "join", "result", "verified"); got != 3 {
		t.Errorf("verified joins: %.0f, want 3", got)
	}
	e.Mem("after the token attack")
	e.Finish()
}

// tamperSub replaces the user id in a signed token's payload without re-signing it.
func tamperSub(tok string) string {
	p := strings.Split(tok, ".")
	b, err := decodeSegment(p[1])
	if err != nil {
		return tok
	}
	p[1] = encodeSegment([]byte(strings.Replace(string(b), `"eve"`, `"admin"`, 1)))
	return strings.Join(p, ".")
}

// unsigned builds an "alg":"none" token.
func unsigned(c map[string]any) string {
	h, _ := json.Marshal(map[string]string{"alg": "none", "typ": "JWT", "kid": "hs-2026-10"})
	b, _ := json.Marshal(c)
	return encodeSegment(h) + "." + encodeSegment(b) + "."
}

// killableDialer remembers the connections it opened, so that a test can cut them as a network failure would.
type killableDialer struct {
	d    *net.Dialer
	mu   sync.Mutex
	last net.Conn
}

func (k *killableDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	c, err := k.d.DialContext(ctx, network, addr)
	if err == nil {
		k.mu.Lock()
		k.last = c
		k.mu.Unlock()
	}
	return c, err
}

func (k *killableDialer) kill() {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.last != nil {
		_ = k.last.Close()
	}
}

// A player whose socket dies long into a match (here 3× the resume token lifetime, as a drop 6 minutes into a match
// is with the default 5 minutes) resumes its slot: a resume token's lifetime counts from the drop, not from the join.
// Its inputs are all accounted for (acknowledged or reported late), and the bots play on.
func TestAttackResumeLateInTheMatch(t *testing.T) {
	cfg := attackConfig()
	cfg.Grace = 2 * time.Second
	cfg.ResumeTokenTTL = 2500 * time.Millisecond
	e := Start(t, cfg, Options{})
	kd := &killableDialer{d: DialFrom(SourceIP(0, 0))}
	st := client.NewStats()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	c, err := client.Dial(ctx, client.Config{URL: e.URL, Mode: arena.Mode, Name: "long-player", NetDial: kd.DialContext,
		Stats: st})
	cancel()
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	driven := make(chan struct{})
	go func() {
		defer close(driven)
		vals := []int32{1, 0, 0, 0}
		for {
			wait := 5 * time.Millisecond
			if at := c.NextInputAt(); !at.IsZero() {
				wait = max(time.Until(at), 0)
			}
			select {
			case <-stop:
				return
			case <-time.After(wait):
			}
			_, _ = c.SendInput(vals)
		}
	}()
	// Play for three token lifetimes, in ticks of the room (bounded in wall-clock time).
	start := c.Tick()
	want := uint32(3 * cfg.ResumeTokenTTL / (time.Second / 30))
	for i := 0; c.Tick()-start < want && i < 3000; i++ {
		time.Sleep(10 * time.Millisecond)
	}
	if c.Tick()-start < want {
		t.Fatalf("played %d ticks, want %d", c.Tick()-start, want)
	}
	kd.kill()
	for i := 0; c.Resumes() == 0 && i < 1000; i++ {
		time.Sleep(10 * time.Millisecond)
	}
	if c.Resumes() != 1 || !c.Connected() {
		t.Fatalf("after the drop: resumes %d, connected %v, closes %v, err %v", c.Resumes(), c.Connected(),
			st.Disconnects(), c.Err())
	}
	at := c.Tick()
	for i := 0; c.Tick()-at < 30 && i < 1000; i++ {
		time.Sleep(10 * time.Millisecond)
	}
	close(stop)
	<-driven
	_ = c.Close()
	sent, acked, late := st.InputsSent.Load(), st.InputsAcked.Load(), st.InputsLate.Load()
	t.Logf("long player: %d ticks before the drop, resumed %d, inputs sent %d acked %d late %d lost %d, resumes by result: ok %.0f",
		want, c.Resumes(), sent, acked, late, st.InputsLost.Load(), e.Counter("tickwire_resumes_total", "result", "ok"))
	if st.InputsLost.Load() != 0 || acked+late+st.InputsAfterEnd.Load() != sent {
		t.Errorf("inputs sent %d != acked %d + late %d + after end %d (lost %d)", sent, acked, late,
			st.InputsAfterEnd.Load(), st.InputsLost.Load())
	}
	if got := e.Counter("tickwire_resumes_total", "result", "invalid_token"); got != 0 {
		t.Errorf("%.0f resumes refused as unknown tokens", got)
	}
	e.Finish()
}
