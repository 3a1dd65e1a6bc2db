package server

import (
	"context"
	"errors"
	"fmt"

	"github.com/tickwire/tickwire/server/internal/auth"
	"github.com/tickwire/tickwire/server/internal/metrics"
)

// Identity is who a player is, as Config.Authenticate decides it and as the game sees it (game.Player).
type Identity struct {
	// UserID is the user's id in the game's backend; empty for an anonymous player.
	UserID string
	// Name is the display name (at most 32 bytes are kept); empty: the name the client asked for.
	Name string
	// Claims are extra facts the game may use (team, tier, ...): at most 16, each key and value at most 256 bytes.
	Claims map[string]string
	// Verified marks UserID, Name and Claims as established (shown as verified in events and match results); false,
	// or an empty UserID: the player is anonymous, whatever the other fields say.
	Verified bool
}

// Errors an Authenticate hook may return (wrapped or not) to choose the refusal: ErrPlayerTokenExpired closes the
// connection with 4513 (HTTP 401 "player_token_expired" at the matchmaker), any other error with 4512 (HTTP 401
// "unauthenticated").
var ErrPlayerTokenExpired = errors.New("server: player token expired")

// ReloadAuthKeys reads the key set file (Config.AuthKeys) again and verifies player tokens with it from now on: rotate
// keys without a restart (the tickwire binary does this on SIGHUP). A file that does not load leaves the current keys
// in place and returns the error.
func (s *Server) ReloadAuthKeys() error {
	if s.cfg.AuthKeys == "" {
		return errors.New("server: no auth keys file is configured")
	}
	ks, err := auth.LoadKeySet(s.cfg.AuthKeys)
	if err != nil {
		return fmt.Errorf("server: %w", err)
	}
	v, err := auth.NewVerifier(ks, nil)
	if err != nil {
		return fmt.Errorf("server: %w", err)
	}
	s.auth.SetVerifier(v)
	s.log.Info("player token keys reloaded", "kids", v.Kids())
	return nil
}

// newAuthenticator builds the identity policy from cfg: the key set file, the hook, the requirement, and metrics.
func newAuthenticator(cfg *Config, m *metrics.Metrics) (*auth.Authenticator, error) {
	a := &auth.Authenticator{Require: cfg.RequireIdentity}
	if cfg.AuthKeys != "" {
		ks, err := auth.LoadKeySet(cfg.AuthKeys)
		if err != nil {
			return nil, err
		}
		if a.Verifier, err = auth.NewVerifier(ks, nil); err != nil {
			return nil, err
		}
	}
	if hook := cfg.Authenticate; hook != nil {
		a.Hook = func(ctx context.Context, token, name string) (auth.Identity, error) {
			id, err := hook(ctx, token, name)
			switch {
			case errors.Is(err, ErrPlayerTokenExpired):
				return auth.Identity{}, auth.Refuse(auth.ReasonExpired, err)
			case err != nil:
				return auth.Identity{}, auth.Refuse(auth.ReasonRefused, err)
			}
			if len(id.Claims) > auth.MaxClaims {
				return auth.Identity{}, auth.Refuse(auth.ReasonBadClaims, fmt.Errorf("more than %d claims", auth.MaxClaims))
			}
			for k, v := range id.Claims {
				if len(k) > auth.MaxClaimBytes || len(v) > auth.MaxClaimBytes {
					return auth.Identity{}, auth.Refuse(auth.ReasonBadClaims, errors.New("a claim is too long"))
				}
			}
			return auth.Identity{UserID: id.UserID, Name: id.Name, Claims: id.Claims, Verified: id.Verified && id.UserID != ""}, nil
		}
	}
	reasons := make([]string, len(auth.Reasons))
	for i, r := range auth.Reasons {
		reasons[i] = string(r)
	}
	c := m.RegisterAuth([]string{auth.AtJoin, auth.AtTicket}, reasons)
	a.OnResult = func(where string, verified bool, refused auth.Reason) { c.Result(where, verified, string(refused)) }
	return a, nil
}
