package cluster

import (
	"context"
	"time"

	"github.com/tickwire/tickwire/server/internal/room"
)

// Live migration: a draining node moves its rooms to the other nodes instead of ending them. Each room is exported
// at a tick boundary (room.Export: its players are closed with a reconnectable code), imported on the live node with
// the most headroom (request "import": the same room id, tick and world, every player in its grace period under the
// same resume token), and the players who come back here to resume are answered 4003 with the room's new address.
// The clients resend the inputs above their Welcome's last_input_seq there: none is lost or applied twice.

// Migrate moves every room of this node to the other live nodes (call Leave first, so that no room is placed here
// meanwhile) and returns how many moved. A room that cannot be exported or imported stays (or is lost, when the
// import failed after its export: logged).
func (n *Node) Migrate(ctx context.Context) int {
	moved := 0
	for _, l := range n.local.Dir.List("", true) {
		r, ok := n.local.Dir.Get(l.ID)
		if !ok || l.State == room.StateEnded {
			continue
		}
		target := n.pickNode()
		n.mu.Lock()
		p, live := n.nodes[target]
		n.mu.Unlock()
		if target == "" || target == n.cfg.NodeID || !live {
			n.log.Info("cluster: no other node to move rooms to: they end here")
			return moved
		}
		mv := &move{done: make(chan struct{})}
		n.mu.Lock()
		n.moved[l.ID] = mv // before the export closes the players: their resumes here wait for the import's end
		n.mu.Unlock()
		ex, err := r.Export(ctx)
		if err != nil {
			close(mv.done)
			n.mu.Lock()
			delete(n.moved, l.ID)
			n.mu.Unlock()
			n.log.Warn("cluster: room not exported; it stays", "room", l.ID, "err", err)
			continue
		}
		b, _ := ex.MarshalBinary()
		if _, err := n.call(ctx, target, &request{Op: "import", Payload: b}); err != nil {
			close(mv.done)
			n.log.Error("cluster: room exported but not imported: its players lose it", "room", l.ID, "peer", target,
				"err", err)
			continue
		}
		n.mu.Lock()
		delete(n.published, l.ID) // the room's entry is the new node's now: never deleted from here
		n.mu.Unlock()
		n.redirects.Add(int64(len(ex.Players)))
		mv.addr = p.info.Addr
		close(mv.done)
		moved++
		n.log.Info("cluster: room moved", "room", l.ID, "peer", target, "players", len(ex.Players))
	}
	return moved
}

// importRoom continues an exported room here and binds its players' resume tokens.
func (n *Node) importRoom(payload []byte) reply {
	var ex room.Export
	if err := ex.UnmarshalBinary(payload); err != nil {
		return errReply(err)
	}
	r, err := n.local.Dir.Import(&ex)
	if err != nil {
		return errReply(err)
	}
	for _, p := range ex.Players {
		if len(p.ResumeToken) > 0 {
			n.local.Tokens.BindResume(p.ResumeToken, r.ID(), p.ID)
			n.local.Tokens.Disconnected(p.ResumeToken) // the player is in its grace period until it resumes
		}
	}
	n.publishRoom(r.ID())
	e := n.entryFor(n.infoOf(r.ID()))
	return reply{ID: r.ID(), Room: &e}
}

// move is a room on its way to another node: addr is set before done is closed, empty when the move failed.
type move struct {
	addr string
	done chan struct{}
}

// MovedTo returns the WebSocket address room id moved to ("" when it did not move, or the move failed): a player
// resuming here is answered 4003 with it. While the room is on its way it waits for the import (at most
// Config.RequestTimeout), so that the player is sent where its seat already is.
func (n *Node) MovedTo(id string) string {
	n.mu.Lock()
	mv := n.moved[id]
	n.mu.Unlock()
	if mv == nil {
		return ""
	}
	t := time.NewTimer(n.cfg.RequestTimeout)
	defer t.Stop()
	select {
	case <-mv.done:
	case <-t.C:
		return ""
	}
	if mv.addr != "" {
		n.redirects.Add(-1)
	}
	return mv.addr
}

// WaitRedirects waits (until ctx is done) until as many resumes were redirected as players moved: a draining node
// keeps its listener open that long, so that its players learn where their rooms went.
func (n *Node) WaitRedirects(ctx context.Context) error {
	for n.redirects.Load() > 0 {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	return nil
}
