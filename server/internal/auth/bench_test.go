package auth

import (
	"testing"
	"time"
)

// BenchmarkVerify is the cost of one Join's or ticket's token check, per algorithm.
func BenchmarkVerify(b *testing.B) {
	ec, pub := ecKeyTB(b)
	v, err := NewVerifier(&KeySet{Keys: []Key{{Kid: "hs", Alg: "HS256", Secret: secret}, {Kid: "es", Alg: "ES256", PublicKey: pub}}}, nil)
	if err != nil {
		b.Fatal(err)
	}
	c := map[string]any{"sub": "user-1", "name": "Ann", "exp": time.Now().Add(time.Hour).Unix(), "team": "red"}
	hs, _ := SignHS256("hs", secret, c)
	es, _ := SignES256("es", ec, c)
	for _, tc := range []struct{ name, tok string }{{"HS256", hs}, {"ES256", es}, {"forged", hs[:len(hs)-2] + "AA"}} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				_, _ = v.Verify(tc.tok)
			}
		})
	}
}
