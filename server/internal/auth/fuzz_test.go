package auth

import (
	"strings"
	"testing"
	"time"
)

// FuzzVerify feeds the verifier mutations of real tokens (HS256 and ES256, good, expired, of unknown kids): it never
// panics, every refusal has a known reason, and a token it accepts has the signed part (header and payload, the text
// the signature covers) of a token a key holder signed: no mutation forges one.
func FuzzVerify(f *testing.F) {
	now := time.Unix(1_800_000_000, 0)
	ec, pub := ecKeyTB(f)
	v, err := NewVerifier(&KeySet{Keys: []Key{{Kid: "hs", Alg: "HS256", Secret: secret}, {Kid: "es", Alg: "ES256", PublicKey: pub}}},
		func() time.Time { return now })
	if err != nil {
		f.Fatal(err)
	}
	c := map[string]any{"sub": "user-1", "name": "Ann", "exp": now.Add(time.Hour).Unix(), "team": "red", "lvl": 3}
	old := map[string]any{"sub": "user-2", "exp": now.Add(-time.Hour).Unix()}
	signed := map[string]bool{}
	for _, s := range []func() (string, error){
		func() (string, error) { return SignHS256("hs", secret, c) },
		func() (string, error) { return SignES256("es", ec, c) },
		func() (string, error) { return SignHS256("hs", secret, old) },
		func() (string, error) { return SignHS256("nope", secret, c) },
	} {
		tok, err := s()
		if err != nil {
			f.Fatal(err)
		}
		signed[tok[:strings.LastIndexByte(tok, '.')]] = true
		f.Add(tok)
	}
	f.Add("")
	f.Add("a.b.c")
	known := map[Reason]bool{}
	for _, r := range Reasons {
		known[r] = true
	}
	f.Fuzz(func(t *testing.T, tok string) {
		id, err := v.Verify(tok)
		if err != nil {
			if !known[ReasonOf(err)] {
				t.Fatalf("refused with unknown reason %q: %v", ReasonOf(err), err)
			}
			return
		}
		if !id.Verified || id.UserID == "" {
			t.Fatalf("accepted without a verified user: %+v", id)
		}
		i := strings.LastIndexByte(tok, '.')
		if i < 0 || !signed[tok[:i]] {
			t.Fatalf("accepted a token whose signed part no key holder signed: %q", tok)
		}
	})
}
