package cluster

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/tickwire/tickwire/server/internal/directory"
	"github.com/tickwire/tickwire/server/internal/matchmaker"
	"github.com/tickwire/tickwire/server/internal/service"
)

// request is a request to one node (subject tickwire.node.<id>), JSON.
type request struct {
	Op       string               `json:"op"` // create, reserve, issue, end, broadcast, signal
	Room     string               `json:"room,omitempty"`
	Mode     string               `json:"mode,omitempty"`
	Settings map[string]string    `json:"settings,omitempty"`
	Private  bool                 `json:"private,omitempty"`
	Keys     []string             `json:"keys,omitempty"`
	TTL      time.Duration        `json:"ttl,omitempty"`
	Player   *matchmaker.Player   `json:"player,omitempty"`
	Reason   string               `json:"reason,omitempty"`
	Event    *service.ServerEvent `json:"event,omitempty"`
	Type     string               `json:"type,omitempty"`
	Payload  []byte               `json:"payload,omitempty"`
	Node     string               `json:"node,omitempty"` // move: the node to move the room to
}

// reply answers a request: Err is one of the error codes below, or empty.
type reply struct {
	Err   string     `json:"err,omitempty"`
	Msg   string     `json:"msg,omitempty"`
	Room  *RoomEntry `json:"room,omitempty"`
	ID    string     `json:"id,omitempty"`
	Token string     `json:"token,omitempty"`
	Reply []byte     `json:"reply,omitempty"`
}

// errCodes maps the errors that cross nodes to their codes; the receiving side gets the same sentinel back.
var errCodes = []struct {
	code string
	err  error
}{
	{"not_found", matchmaker.ErrRoomNotFound},
	{"full", matchmaker.ErrRoomFull},
	{"unknown_mode", matchmaker.ErrUnknownMode},
	{"limited", directory.ErrLimited},
	{"closed", directory.ErrClosed},
	{"not_supported", service.ErrNotSupported},
	{"busy", service.ErrRoomBusy},
	{"timeout", context.DeadlineExceeded},
	{"cannot_move", service.ErrCannotMove},
}

func errReply(err error) reply {
	for _, c := range errCodes {
		if errors.Is(err, c.err) {
			return reply{Err: c.code, Msg: err.Error()}
		}
	}
	return reply{Err: "internal", Msg: err.Error()}
}

func (r reply) error() error {
	if r.Err == "" {
		return nil
	}
	for _, c := range errCodes {
		if c.code == r.Err {
			return fmt.Errorf("%w (on another node: %s)", c.err, r.Msg)
		}
	}
	return fmt.Errorf("cluster: %s", r.Msg)
}

// serve answers one request of a peer (on its own goroutine: a signal may wait for the room's next tick).
func (n *Node) serve(m *nats.Msg) {
	var req request
	var out reply
	if err := json.Unmarshal(m.Data, &req); err != nil {
		out = reply{Err: "internal", Msg: "bad request: " + err.Error()}
	} else {
		out = n.handle(&req)
	}
	b, _ := json.Marshal(out)
	_ = m.Respond(b)
}

func (n *Node) handle(req *request) reply {
	switch req.Op {
	case "create":
		info, err := n.createLocal(req.Mode, req.Settings, req.Private)
		if err != nil {
			return errReply(err)
		}
		e := n.entryFor(info)
		return reply{ID: info.ID, Room: &e}
	case "import":
		return n.importRoom(req.Room, req.Payload)
	case "abort_import":
		return n.abortImport(req.Room)
	case "move":
		return n.serveMove(req.Room, req.Node, req.TTL)
	case "reserve":
		if err := n.rooms.Reserve(req.Room, req.Keys, req.TTL); err != nil {
			return errReply(err)
		}
		return reply{}
	case "issue":
		if _, ok := n.local.Dir.Get(req.Room); !ok || req.Player == nil {
			return errReply(matchmaker.ErrRoomNotFound)
		}
		tok, err := n.toks.Issue(req.Room, *req.Player)
		if err != nil {
			return errReply(err)
		}
		return reply{Token: tok}
	case "end":
		if err := n.rooms.End(req.Room, req.Reason); err != nil {
			return errReply(err)
		}
		return reply{}
	case "broadcast":
		if req.Event == nil {
			return reply{Err: "internal", Msg: "no event"}
		}
		if err := n.rooms.Broadcast(req.Room, *req.Event); err != nil {
			return errReply(err)
		}
		return reply{}
	case "signal":
		ctx, cancel := context.WithTimeout(context.Background(), max(req.TTL, time.Millisecond))
		defer cancel()
		r, err := n.rooms.Signal(ctx, req.Room, req.Type, req.Payload)
		if err != nil {
			return errReply(err)
		}
		return reply{Reply: r}
	}
	return reply{Err: "internal", Msg: "unknown op " + req.Op}
}

// call sends req to node id and decodes its reply.
func (n *Node) call(ctx context.Context, id string, req *request) (reply, error) {
	b, _ := json.Marshal(req)
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, n.cfg.RequestTimeout)
		defer cancel()
	}
	m, err := n.nc.RequestWithContext(ctx, subjectNode+id, b)
	if err != nil {
		if errors.Is(err, nats.ErrNoResponders) {
			return reply{}, fmt.Errorf("%w: node %s does not answer", matchmaker.ErrRoomNotFound, id)
		}
		return reply{}, fmt.Errorf("cluster: request to node %s: %w", id, err)
	}
	var out reply
	if err := json.Unmarshal(m.Data, &out); err != nil {
		return reply{}, fmt.Errorf("cluster: bad reply from node %s: %w", id, err)
	}
	return out, out.error()
}

// where is a token lookup (subject tickwire.where): one of the two is set.
type where struct {
	Join   string `json:"join,omitempty"`
	Resume string `json:"resume,omitempty"` // base64
}

type whereReply struct {
	Node string `json:"node,omitempty"` // empty: not here
	Addr string `json:"addr,omitempty"`
}

// serveWhere answers a peer's token lookup: this node's address when it holds the token, else an empty answer (so
// that the asker stops waiting once every node has answered).
func (n *Node) serveWhere(m *nats.Msg) {
	var q where
	if json.Unmarshal(m.Data, &q) != nil || m.Reply == "" {
		return
	}
	var out whereReply
	found := false
	if q.Join != "" {
		found = n.local.Tokens.HasJoin(q.Join)
	} else if tok, err := base64.RawURLEncoding.DecodeString(q.Resume); err == nil {
		found = n.local.Tokens.HasResume(tok)
	}
	n.mu.Lock()
	left := n.left
	n.mu.Unlock()
	if found && !left {
		out = whereReply{Node: n.cfg.NodeID, Addr: n.wsURL}
	}
	b, _ := json.Marshal(out)
	_ = m.Respond(b)
}

// Locate asks the other nodes which of them issued a join token (or remembers a resume token) that this node does
// not know, and returns that node's WebSocket address ("" when none claims it within Config.RequestTimeout, or every
// live node answered no).
func (n *Node) Locate(ctx context.Context, joinToken string, resumeToken []byte) string {
	q := where{Join: joinToken}
	if joinToken == "" {
		q.Resume = base64.RawURLEncoding.EncodeToString(resumeToken)
	}
	b, _ := json.Marshal(q)
	n.mu.Lock()
	now := time.Now()
	expect := 0
	for id := range n.nodes {
		if n.liveLocked(id, now) {
			expect++ // this node answers too (no)
		}
	}
	n.mu.Unlock()
	inbox := nats.NewInbox()
	sub, err := n.nc.SubscribeSync(inbox)
	if err != nil {
		return ""
	}
	defer func() { _ = sub.Unsubscribe() }()
	if err := n.nc.PublishRequest(subjectWhere, inbox, b); err != nil {
		return ""
	}
	ctx, cancel := context.WithTimeout(ctx, n.cfg.RequestTimeout)
	defer cancel()
	for i := 0; i < max(expect, 1)+4; i++ { // a few more than expected: a node may have joined meanwhile
		m, err := sub.NextMsgWithContext(ctx)
		if err != nil {
			return ""
		}
		var r whereReply
		if json.Unmarshal(m.Data, &r) == nil && r.Addr != "" && r.Node != n.cfg.NodeID {
			return r.Addr
		}
		if i+1 >= expect && expect > 0 {
			return "" // every live node said no
		}
	}
	return ""
}

// Forward sends one of this node's room events to the other nodes (call it for every local room event; it never
// blocks: the NATS connection buffers).
func (n *Node) Forward(ev service.Event) {
	if !n.ncReady.Load() {
		return
	}
	b, err := json.Marshal(ev)
	if err != nil {
		return
	}
	_ = n.nc.Publish(subjectEvent+n.cfg.NodeID, b)
}

// onEvent hands a peer's room event to this node's hub.
func (n *Node) onEvent(m *nats.Msg) {
	if m.Subject == subjectEvent+n.cfg.NodeID || n.publish == nil {
		return
	}
	var ev service.Event
	if json.Unmarshal(m.Data, &ev) == nil {
		ev.Seq = 0
		n.publish(ev)
	}
}
