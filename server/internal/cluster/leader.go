package cluster

import (
	"context"
	"errors"
	"net/http"
	"net/http/httputil"
	"net/url"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/tickwire/tickwire/server/internal/matchmaker"
)

// lease renews the matchmaking lease this node holds (a revision-checked Update: it fails once another node took
// the key after it expired), or tries to take it when nobody holds it (Create: only when absent).
func (n *Node) lease(ctx context.Context) {
	n.mu.Lock()
	rev, left := n.leaseRev, n.left
	n.mu.Unlock()
	if left {
		return
	}
	id := []byte(n.cfg.NodeID)
	if rev > 0 {
		nrev, err := n.leaderKV.Update(ctx, leaseKey, id, rev)
		n.mu.Lock()
		if err == nil {
			n.leaseRev = nrev
		} else {
			n.leaseRev = 0
			n.log.Warn("cluster: lost the matchmaking lease", "err", err)
		}
		n.mu.Unlock()
		return
	}
	nrev, err := n.leaderKV.Create(ctx, leaseKey, id)
	if err != nil {
		if !errors.Is(err, jetstream.ErrKeyExists) {
			n.log.Debug("cluster: taking the matchmaking lease failed", "err", err)
		}
		return
	}
	n.mu.Lock()
	n.leaseRev, n.leader = nrev, n.cfg.NodeID
	n.mu.Unlock()
	n.log.Info("cluster: this node runs matchmaking")
}

// RunMatchmaker runs mm's batches every interval while this node holds the matchmaking lease, until ctx is done.
// When the node loses the lease, the tickets still queued here are answered (failed, submit again) so that none
// waits on a matchmaker that no longer places.
func (n *Node) RunMatchmaker(ctx context.Context, mm *matchmaker.Matchmaker, interval time.Duration) {
	if interval <= 0 {
		interval = 100 * time.Millisecond
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	was := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		is := n.IsLeader()
		if is {
			mm.Process(time.Now())
		} else if was {
			if k := mm.Drain(); k > 0 {
				n.log.Info("cluster: answered the queued tickets of a lost lease", "tickets", k)
			}
		}
		was = is
	}
}

// forwardedHeader marks a request one node forwarded to another: it is never forwarded again.
const forwardedHeader = "X-Tickwire-Forwarded"

// ForwardToLeader serves the matchmaking routes: on the lease holder with h, elsewhere by forwarding the request to
// the holder's HTTP address, so that every ticket lives in the one matchmaker that places tickets. Without a known
// holder (an election under way) it answers 503 with Retry-After.
func (n *Node) ForwardToLeader(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.IsLeader() {
			h.ServeHTTP(w, r)
			return
		}
		leader := n.Leader()
		n.mu.Lock()
		p, ok := n.nodes[leader]
		n.mu.Unlock()
		if leader == "" || !ok || r.Header.Get(forwardedHeader) != "" {
			w.Header().Set("Retry-After", "1")
			matchmaker.WriteError(w, http.StatusServiceUnavailable, "no_matchmaker",
				"no node runs matchmaking right now; try again")
			return
		}
		target, err := url.Parse(p.info.HTTP)
		if err != nil {
			matchmaker.WriteError(w, http.StatusBadGateway, "bad_gateway", "the matchmaking node's address is invalid")
			return
		}
		rp := &httputil.ReverseProxy{
			Rewrite: func(pr *httputil.ProxyRequest) {
				pr.SetURL(target)
				pr.SetXForwarded()
				pr.Out.Header.Set(forwardedHeader, n.cfg.NodeID)
			},
			ErrorHandler: func(w http.ResponseWriter, _ *http.Request, err error) {
				w.Header().Set("Retry-After", "1")
				matchmaker.WriteError(w, http.StatusBadGateway, "bad_gateway", "the matchmaking node did not answer")
			},
		}
		rp.ServeHTTP(w, r)
	})
}
