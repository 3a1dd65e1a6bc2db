// Package auth verifies the signed player tokens that a game's backend issues (JSON Web Tokens, HS256 or ES256, each
// signed with a key named by its "kid" header), and turns a verified token into the identity a room and its game see.
//
// A backend signs a token per player with: "sub" (the user id, required), "exp" (required), optionally "nbf",
// "iat", "iss" and "aud" (checked when the key set names them), "name" (the display name) and any other claims, which
// reach the game as text. The server verifies it at Join and the matchmaker at ticket submission. Keys rotate by kid:
// the key set may hold several keys at once, old and new, and a token signed with a kid the set no longer holds is
// refused (ReasonUnknownKey).
//
// A Verifier is immutable after construction and safe to call from several goroutines.
package auth

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/golang-jwt/jwt/v5"
)

// Limits on what a token may carry.
const (
	// MaxTokenBytes is the longest player token accepted.
	MaxTokenBytes = 2048
	// MaxClaims is the most extra claims passed on to the game; MaxClaimBytes bounds each one's key and value text.
	MaxClaims     = 16
	MaxClaimBytes = 256
	// MaxUserIDBytes bounds "sub"; MaxNameBytes the display name (longer names are cut at a character boundary).
	MaxUserIDBytes = 128
	MaxNameBytes   = 32
)

// Identity is who a player is. Verified is false for an anonymous player (no token): then UserID is empty and Name is
// whatever the client asked for.
type Identity struct {
	UserID   string
	Name     string
	Claims   map[string]string // the token's other claims, as text (JSON text for non-string values); never modified
	Verified bool
}

// Reason is why a player token was refused; it labels the refusal metrics and the error text.
type Reason string

// Refusal reasons.
const (
	ReasonMissing      Reason = "missing"       // no token, and the server requires one
	ReasonMalformed    Reason = "malformed"     // not a JWT, too long, or bad JSON
	ReasonBadSignature Reason = "bad_signature" // forged: the signature does not verify with the kid's key
	ReasonWrongKey     Reason = "wrong_key"     // the kid's key is of another algorithm than the token says
	ReasonUnknownKey   Reason = "unknown_kid"   // no key of that kid (retired, or never issued)
	ReasonExpired      Reason = "expired"       // past "exp"
	ReasonNotYetValid  Reason = "not_yet_valid" // before "nbf" or "iat"
	ReasonBadClaims    Reason = "bad_claims"    // no "sub" or "exp", wrong "iss" or "aud", oversized claims
	ReasonRefused      Reason = "refused"       // an Authenticate hook refused the player
	ReasonDisabled     Reason = "disabled"      // a token was sent but the server has no keys to verify it
)

// Reasons lists every reason (to pre-create metric series).
var Reasons = []Reason{ReasonMissing, ReasonMalformed, ReasonBadSignature, ReasonWrongKey, ReasonUnknownKey,
	ReasonExpired, ReasonNotYetValid, ReasonBadClaims, ReasonRefused, ReasonDisabled}

// Error is a refused player token.
type Error struct {
	Reason Reason
	Err    error // detail (may be nil)
}

func (e *Error) Error() string {
	if e.Err != nil {
		return "auth: player token " + string(e.Reason) + ": " + e.Err.Error()
	}
	return "auth: player token " + string(e.Reason)
}

func (e *Error) Unwrap() error { return e.Err }

// Refuse returns an *Error for reason.
func Refuse(reason Reason, err error) error { return &Error{Reason: reason, Err: err} }

// ReasonOf returns the reason of a refusal; an error that is not an *Error counts as ReasonRefused.
func ReasonOf(err error) Reason {
	var e *Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return ReasonRefused
}

// Expired reports whether the refusal is for an expired token (the client should fetch a new one and retry).
func Expired(err error) bool { return ReasonOf(err) == ReasonExpired }

// Verifier checks player tokens against a key set.
type Verifier struct {
	// Static after construction.
	keys     map[string]key
	issuer   string
	audience string
	leeway   time.Duration
	now      func() time.Time
}

type key struct {
	alg      string // "HS256" or "ES256"
	material any    // []byte or *ecdsa.PublicKey
}

// NewVerifier makes a verifier of the keys in ks. now is the clock (nil: time.Now).
func NewVerifier(ks *KeySet, now func() time.Time) (*Verifier, error) {
	if now == nil {
		now = time.Now
	}
	v := &Verifier{keys: map[string]key{}, issuer: ks.Issuer, audience: ks.Audience, now: now}
	if ks.Leeway != "" {
		d, err := time.ParseDuration(ks.Leeway)
		if err != nil || d < 0 || d > 5*time.Minute {
			return nil, fmt.Errorf("auth: leeway %q: want a duration within 0..5m", ks.Leeway)
		}
		v.leeway = d
	}
	if len(ks.Keys) == 0 {
		return nil, errors.New("auth: the key set has no keys")
	}
	for i, k := range ks.Keys {
		if _, dup := v.keys[k.Kid]; dup {
			return nil, fmt.Errorf("auth: key %d: kid %q appears twice", i, k.Kid)
		}
		switch k.Alg {
		case "HS256":
			if len(k.Secret) < 32 {
				return nil, fmt.Errorf("auth: key %q: an HS256 secret needs at least 32 bytes", k.Kid)
			}
			if k.PublicKey != "" {
				return nil, fmt.Errorf("auth: key %q: HS256 takes a secret, not a public key", k.Kid)
			}
			v.keys[k.Kid] = key{alg: k.Alg, material: []byte(k.Secret)}
		case "ES256":
			if k.Secret != "" {
				return nil, fmt.Errorf("auth: key %q: ES256 takes a public key, not a secret", k.Kid)
			}
			pub, err := jwt.ParseECPublicKeyFromPEM([]byte(k.PublicKey))
			if err != nil {
				return nil, fmt.Errorf("auth: key %q: %w", k.Kid, err)
			}
			if pub.Curve.Params().Name != "P-256" {
				return nil, fmt.Errorf("auth: key %q: ES256 needs a P-256 key, got %s", k.Kid, pub.Curve.Params().Name)
			}
			v.keys[k.Kid] = key{alg: k.Alg, material: pub}
		default:
			return nil, fmt.Errorf("auth: key %q: algorithm %q: want HS256 or ES256", k.Kid, k.Alg)
		}
	}
	return v, nil
}

// Kids lists the key ids of the set, sorted.
func (v *Verifier) Kids() []string {
	out := make([]string, 0, len(v.keys))
	for k := range v.keys {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

var (
	errUnknownKid = errors.New("no key with this kid")
	errWrongAlg   = errors.New("the key of this kid is for another algorithm")
)

// registered are the claims the verifier interprets itself; every other claim is passed on.
var registered = map[string]bool{"sub": true, "exp": true, "nbf": true, "iat": true, "iss": true, "aud": true,
	"jti": true, "name": true}

// Verify checks a player token and returns the identity it carries (Verified set), or an *Error.
func (v *Verifier) Verify(token string) (Identity, error) {
	if token == "" {
		return Identity{}, Refuse(ReasonMissing, nil)
	}
	if len(token) > MaxTokenBytes {
		return Identity{}, Refuse(ReasonMalformed, fmt.Errorf("longer than %d bytes", MaxTokenBytes))
	}
	opts := []jwt.ParserOption{jwt.WithValidMethods([]string{"HS256", "ES256"}), jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(), jwt.WithLeeway(v.leeway), jwt.WithTimeFunc(v.now), jwt.WithJSONNumber()}
	if v.issuer != "" {
		opts = append(opts, jwt.WithIssuer(v.issuer))
	}
	if v.audience != "" {
		opts = append(opts, jwt.WithAudience(v.audience))
	}
	claims := jwt.MapClaims{}
	_, err := jwt.NewParser(opts...).ParseWithClaims(token, claims, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		k, ok := v.keys[kid]
		if !ok {
			return nil, errUnknownKid
		}
		if t.Method.Alg() != k.alg {
			return nil, errWrongAlg
		}
		return k.material, nil
	})
	if err != nil {
		return Identity{}, classify(err)
	}
	return identityOf(claims)
}

// classify maps a parser error to a refusal. Signature and key checks come before the time checks in the parser, so
// a forged expired token is refused as forged.
func classify(err error) error {
	switch {
	case errors.Is(err, errUnknownKid):
		return Refuse(ReasonUnknownKey, nil)
	case errors.Is(err, errWrongAlg):
		return Refuse(ReasonWrongKey, nil)
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return Refuse(ReasonBadSignature, nil)
	case errors.Is(err, jwt.ErrTokenMalformed), errors.Is(err, jwt.ErrTokenUnverifiable):
		return Refuse(ReasonMalformed, err)
	case errors.Is(err, jwt.ErrTokenExpired):
		return Refuse(ReasonExpired, nil)
	case errors.Is(err, jwt.ErrTokenNotValidYet), errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return Refuse(ReasonNotYetValid, nil)
	}
	return Refuse(ReasonBadClaims, err)
}

func identityOf(claims jwt.MapClaims) (Identity, error) {
	sub, _ := claims["sub"].(string)
	if sub == "" || len(sub) > MaxUserIDBytes || !utf8.ValidString(sub) {
		return Identity{}, Refuse(ReasonBadClaims, errors.New(`"sub" must be a non-empty string of at most 128 bytes`))
	}
	id := Identity{UserID: sub, Verified: true}
	if n, ok := claims["name"].(string); ok {
		id.Name = CleanName(n)
	}
	for k, val := range claims {
		if registered[k] {
			continue
		}
		if id.Claims == nil {
			id.Claims = map[string]string{}
		}
		if len(id.Claims) == MaxClaims {
			return Identity{}, Refuse(ReasonBadClaims, fmt.Errorf("more than %d extra claims", MaxClaims))
		}
		text, ok := val.(string)
		if !ok {
			b, err := json.Marshal(val)
			if err != nil {
				return Identity{}, Refuse(ReasonBadClaims, err)
			}
			text = string(b)
		}
		if len(k) > MaxClaimBytes || len(text) > MaxClaimBytes {
			return Identity{}, Refuse(ReasonBadClaims, fmt.Errorf("claim %.32q longer than %d bytes", k, MaxClaimBytes))
		}
		id.Claims[k] = text
	}
	return id, nil
}

// CleanName makes a display name valid UTF-8 of at most MaxNameBytes, cut at a character boundary.
func CleanName(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	for len(s) > MaxNameBytes {
		_, n := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-n]
	}
	return s
}
