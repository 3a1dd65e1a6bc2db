package client

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/tickwire/tickwire/proto"
)

// Backoff between join attempts that the server refused as busy: doubling from joinRetryFirst up to joinRetryMax,
// each wait drawn from its upper half so that clients refused together do not come back together.
const (
	joinRetryFirst = 50 * time.Millisecond
	joinRetryMax   = 2 * time.Second
)

// join makes the first connection. A join by token that the server refuses with 4002 (busy: its room did not take
// the player in time, or the server is at its connection cap) is tried again with backoff: the server keeps a join
// token valid after such a refusal, so the attempts end with a Welcome, with a terminal refusal (the token expired:
// 4504), or when ctx ends (then the last refusal is returned). Other joins and other errors are returned at once.
func (c *Client) join(ctx context.Context, join *proto.Join) error {
	backoff := joinRetryFirst
	for {
		err := c.connect(ctx, join)
		if err == nil || join.GetJoinToken() == "" || !errors.Is(err, ErrServerBusy) {
			return err
		}
		wait := backoff/2 + rand.N(backoff/2+1)
		c.log.Debug("join refused as busy; retrying with the same token", "error", err, "wait", wait)
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return err
		}
		backoff = min(2*backoff, joinRetryMax)
	}
}
