package auth

import (
	"crypto/ecdsa"

	"github.com/golang-jwt/jwt/v5"
)

// SignHS256 signs claims with an HS256 secret under kid, as a game's backend does (for tests and tools; the server
// itself never signs player tokens).
func SignHS256(kid, secret string, claims map[string]any) (string, error) {
	return signWith(jwt.SigningMethodHS256, kid, []byte(secret), claims)
}

// SignES256 signs claims with a P-256 private key under kid, as a game's backend does.
func SignES256(kid string, key *ecdsa.PrivateKey, claims map[string]any) (string, error) {
	return signWith(jwt.SigningMethodES256, kid, key, claims)
}

func signWith(m jwt.SigningMethod, kid string, key any, claims map[string]any) (string, error) {
	t := jwt.NewWithClaims(m, jwt.MapClaims(claims))
	if kid != "" {
		t.Header["kid"] = kid
	}
	return t.SignedString(key)
}
