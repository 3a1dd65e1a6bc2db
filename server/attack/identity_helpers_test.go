package attack

import "encoding/base64"

func decodeSegment(s string) ([]byte, error) { return base64.RawURLEncoding.DecodeString(s) }

func encodeSegment(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
