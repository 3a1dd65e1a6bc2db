package auth

import (
	"context"
	"errors"
	"sync/atomic"
)

// Hook decides who a player is instead of the key set: it gets the player token the client sent ("" when none) and
// the name it asked for, and returns the identity (Verified for a known user) or an error that refuses the player
// (an *Error from Refuse keeps its reason; any other error counts as ReasonRefused). It runs on the connection's or
// the HTTP request's goroutine and may block up to ctx's deadline.
type Hook func(ctx context.Context, token, name string) (Identity, error)

// Where a player token is checked (the "where" label of the refusal metrics).
const (
	AtJoin   = "join"       // Join on the game socket
	AtTicket = "matchmaker" // matchmaking ticket submission
)

// Authenticator applies a server's identity policy. The zero value lets everyone in anonymously and refuses every
// player token (there is nothing to verify it with). Its fields are static after construction; the key set can be
// replaced while it runs (SetVerifier). Safe for concurrent use.
type Authenticator struct {
	// Verifier checks player tokens (nil: no keys configured), until SetVerifier replaces it.
	Verifier *Verifier
	// Hook, when set, decides instead of Verifier.
	Hook Hook
	// Require refuses anonymous players (ReasonMissing) where Authenticate is called with require set.
	Require bool
	// OnResult, when set, is told of every decision: where, and "" for an accepted player or the refusal's reason.
	OnResult func(where string, verified bool, refused Reason)

	reloaded atomic.Pointer[Verifier] // set by SetVerifier; wins over Verifier
}

// SetVerifier replaces the key set (a rotation: the new set usually holds the old kids and the new one). Checks that
// have started finish with the set they started with.
func (a *Authenticator) SetVerifier(v *Verifier) { a.reloaded.Store(v) }

func (a *Authenticator) verifier() *Verifier {
	if v := a.reloaded.Load(); v != nil {
		return v
	}
	return a.Verifier
}

// Authenticate decides who a player is from the token and the name it asked for. require: refuse anonymous players
// (the caller passes Authenticator.Require for quick play and matchmaking; a join token that the backend issued for a
// named seat is already the backend's decision). The returned identity's Name is never empty when the client asked
// for one.
func (a *Authenticator) Authenticate(ctx context.Context, where, token, name string, require bool) (Identity, error) {
	id, err := a.decide(ctx, token, name)
	if err == nil && require && !id.Verified {
		err = Refuse(ReasonMissing, errors.New("this server requires a player token"))
	}
	if a.OnResult != nil {
		var r Reason
		if err != nil {
			r = ReasonOf(err)
		}
		a.OnResult(where, err == nil && id.Verified, r)
	}
	if err != nil {
		return Identity{}, err
	}
	return id, nil
}

func (a *Authenticator) decide(ctx context.Context, token, name string) (Identity, error) {
	name = CleanName(name)
	var (
		id  Identity
		err error
	)
	switch {
	case a.Hook != nil:
		if id, err = a.Hook(ctx, token, name); err != nil {
			return Identity{}, err
		}
		id.Name = CleanName(id.Name)
		if !id.Verified {
			id.UserID, id.Claims = "", nil
		}
	case token == "":
		return Identity{Name: name}, nil
	case a.verifier() == nil:
		return Identity{}, Refuse(ReasonDisabled, errors.New("this server verifies no player tokens"))
	default:
		if id, err = a.verifier().Verify(token); err != nil {
			return Identity{}, err
		}
	}
	if id.Name == "" {
		id.Name = name
	}
	return id, nil
}
