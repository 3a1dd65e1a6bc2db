package auth

import (
	"encoding/base64"
	"encoding/json"
)

func jwtEncode(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
