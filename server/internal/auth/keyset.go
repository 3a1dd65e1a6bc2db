package auth

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
)

// KeySet is the configuration of the player token keys, as read from the JSON file named by -auth-keys:
//
//	{
//	  "issuer": "https://accounts.example.com",  // optional: tokens must carry this "iss"
//	  "audience": "tickwire",                    // optional: tokens must carry this "aud"
//	  "leeway": "30s",                           // optional: clock skew allowed on exp/nbf/iat (at most 5m)
//	  "keys": [
//	    {"kid": "2026-11", "alg": "HS256", "secret": "at least 32 bytes of shared secret ..."},
//	    {"kid": "backend-ec-1", "alg": "ES256", "public_key": "-----BEGIN PUBLIC KEY-----\n...\n-----END PUBLIC KEY-----"}
//	  ]
//	}
//
// To rotate, add the new key, let backends sign with it, and remove the old one once the tokens it signed have
// expired. Keep the file readable by the server only: HS256 secrets are in it.
type KeySet struct {
	Issuer   string `json:"issuer,omitempty"`
	Audience string `json:"audience,omitempty"`
	Leeway   string `json:"leeway,omitempty"`
	Keys     []Key  `json:"keys"`
}

// Key is one verification key.
type Key struct {
	Kid       string `json:"kid"`
	Alg       string `json:"alg"`                  // "HS256" or "ES256"
	Secret    string `json:"secret,omitempty"`     // HS256: the shared secret, at least 32 bytes
	PublicKey string `json:"public_key,omitempty"` // ES256: a PEM "PUBLIC KEY" (P-256)
}

// ParseKeySet reads a key set from JSON, refusing unknown fields.
func ParseKeySet(b []byte) (*KeySet, error) {
	var ks KeySet
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(&ks); err != nil {
		return nil, fmt.Errorf("auth: key set: %w", err)
	}
	return &ks, nil
}

// LoadKeySet reads and checks the key set file at path.
func LoadKeySet(path string) (*KeySet, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("auth: %w", err)
	}
	return ParseKeySet(b)
}
