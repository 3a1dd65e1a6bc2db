package auth

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

const secret = "0123456789abcdef0123456789abcdef-test-secret"

func ecKey(t *testing.T) (*ecdsa.PrivateKey, string) { return ecKeyTB(t) }

func ecKeyTB(t testing.TB) (*ecdsa.PrivateKey, string) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return k, string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

func sign(t *testing.T, m jwt.SigningMethod, kid string, key any, c jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(m, c)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestVerify(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	ec, pub := ecKey(t)
	other, _ := ecKey(t)
	v, err := NewVerifier(&KeySet{Audience: "tickwire", Keys: []Key{
		{Kid: "hs1", Alg: "HS256", Secret: secret},
		{Kid: "es1", Alg: "ES256", PublicKey: pub},
	}}, func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	ok := func(extra jwt.MapClaims) jwt.MapClaims {
		c := jwt.MapClaims{"sub": "user-42", "name": "Ann", "aud": "tickwire", "exp": now.Add(time.Hour).Unix(),
			"iat": now.Add(-time.Minute).Unix()}
		for k, x := range extra {
			if x == nil {
				delete(c, k)
			} else {
				c[k] = x
			}
		}
		return c
	}
	hs, es := jwt.SigningMethodHS256, jwt.SigningMethodES256
	for _, tc := range []struct {
		name  string
		token string
		want  Reason // "" for accepted
	}{
		{"hs256", sign(t, hs, "hs1", []byte(secret), ok(jwt.MapClaims{"team": "red", "level": 7})), ""},
		{"es256", sign(t, es, "es1", ec, ok(nil)), ""},
		{"forged hs256", sign(t, hs, "hs1", []byte(secret+"x"), ok(nil)), ReasonBadSignature},
		{"forged es256", sign(t, es, "es1", other, ok(nil)), ReasonBadSignature},
		{"tampered payload", tamper(sign(t, hs, "hs1", []byte(secret), ok(nil))), ReasonBadSignature},
		{"unknown kid", sign(t, hs, "hs0", []byte(secret), ok(nil)), ReasonUnknownKey},
		{"no kid", sign(t, hs, "", []byte(secret), ok(nil)), ReasonUnknownKey},
		{"hs256 under an es256 kid (public key as secret)", sign(t, hs, "es1", []byte(pub), ok(nil)), ReasonWrongKey},
		{"alg none", sign(t, jwt.SigningMethodNone, "hs1", jwt.UnsafeAllowNoneSignatureType, ok(nil)), ReasonBadSignature},
		{"expired", sign(t, hs, "hs1", []byte(secret), ok(jwt.MapClaims{"exp": now.Add(-time.Second).Unix()})), ReasonExpired},
		{"no exp", sign(t, hs, "hs1", []byte(secret), ok(jwt.MapClaims{"exp": nil})), ReasonBadClaims},
		{"not yet valid", sign(t, hs, "hs1", []byte(secret), ok(jwt.MapClaims{"nbf": now.Add(time.Minute).Unix()})), ReasonNotYetValid},
		{"wrong audience", sign(t, hs, "hs1", []byte(secret), ok(jwt.MapClaims{"aud": "other"})), ReasonBadClaims},
		{"no sub", sign(t, hs, "hs1", []byte(secret), ok(jwt.MapClaims{"sub": nil})), ReasonBadClaims},
		{"garbage", "not.a.jwt", ReasonMalformed},
		{"empty", "", ReasonMissing},
		{"too long", strings.Repeat("a", MaxTokenBytes+1), ReasonMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id, err := v.Verify(tc.token)
			if tc.want == "" {
				if err != nil || !id.Verified || id.UserID != "user-42" {
					t.Fatalf("Verify = %+v, %v; want user-42 verified", id, err)
				}
				return
			}
			if err == nil || ReasonOf(err) != tc.want {
				t.Fatalf("Verify = %+v, %v; want refused %s", id, err, tc.want)
			}
		})
	}
	id, err := v.Verify(sign(t, hs, "hs1", []byte(secret), ok(jwt.MapClaims{"team": "red", "level": 7,
		"name": "a very long display name that goes on and on"})))
	if err != nil {
		t.Fatal(err)
	}
	if id.Claims["team"] != "red" || id.Claims["level"] != "7" || len(id.Claims) != 2 {
		t.Errorf("claims %v, want team=red level=7 only", id.Claims)
	}
	if len(id.Name) > MaxNameBytes || !strings.HasPrefix(id.Name, "a very long") {
		t.Errorf("name %q not cut to %d bytes", id.Name, MaxNameBytes)
	}
}

// tamper changes the payload's user id without re-signing.
func tamper(tok string) string {
	p := strings.Split(tok, ".")
	b, _ := jwt.NewParser().DecodeSegment(p[1])
	p[1] = jwtEncode([]byte(strings.Replace(string(b), "user-42", "admin-1", 1)))
	return strings.Join(p, ".")
}

func TestKeySetChecks(t *testing.T) {
	_, pub := ecKey(t)
	for _, tc := range []struct {
		name string
		json string
	}{
		{"no keys", `{"keys":[]}`},
		{"short secret", `{"keys":[{"kid":"a","alg":"HS256","secret":"short"}]}`},
		{"duplicate kid", `{"keys":[{"kid":"a","alg":"HS256","secret":"` + secret + `"},{"kid":"a","alg":"HS256","secret":"` + secret + `"}]}`},
		{"unknown alg", `{"keys":[{"kid":"a","alg":"RS256","secret":"` + secret + `"}]}`},
		{"bad pem", `{"keys":[{"kid":"a","alg":"ES256","public_key":"nope"}]}`},
		{"es256 with secret", `{"keys":[{"kid":"a","alg":"ES256","secret":"` + secret + `"}]}`},
		{"unknown field", `{"keys":[{"kid":"a","alg":"HS256","secret":"` + secret + `"}],"extra":1}`},
		{"bad leeway", `{"leeway":"1h","keys":[{"kid":"a","alg":"HS256","secret":"` + secret + `"}]}`},
	} {
		ks, err := ParseKeySet([]byte(tc.json))
		if err == nil {
			_, err = NewVerifier(ks, nil)
		}
		if err == nil {
			t.Errorf("%s: accepted", tc.name)
		}
	}
	ks, err := ParseKeySet([]byte(`{"leeway":"30s","keys":[{"kid":"a","alg":"HS256","secret":"` + secret + `"},` +
		`{"kid":"b","alg":"ES256","public_key":` + quote(pub) + `}]}`))
	if err != nil {
		t.Fatal(err)
	}
	v, err := NewVerifier(ks, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(v.Kids(), ","); got != "a,b" {
		t.Errorf("kids %s", got)
	}
}
