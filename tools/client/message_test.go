package client_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	gproto "google.golang.org/protobuf/proto"

	"github.com/tickwire/tickwire/game/arena"
	"github.com/tickwire/tickwire/proto"
	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/tools/client"
)

// msgHandler forwards copies of events: broadcast ones to events, targeted ones to targeted.
type msgHandler struct {
	client.NopHandler
	events, targeted chan *proto.Event
}

func newMsgHandler() *msgHandler {
	return &msgHandler{events: make(chan *proto.Event, 256), targeted: make(chan *proto.Event, 256)}
}

func (h *msgHandler) OnEvent(_ *client.Client, ev *proto.Event) {
	select {
	case h.events <- gproto.Clone(ev).(*proto.Event):
	default:
	}
}

func (h *msgHandler) OnTargetedEvent(_ *client.Client, ev *proto.Event) {
	select {
	case h.targeted <- gproto.Clone(ev).(*proto.Event):
	default:
	}
}

var _ client.TargetedHandler = (*msgHandler)(nil)

// next returns the next event of type typ from ch, skipping others; bounded by ctx.
func next(ctx context.Context, t *testing.T, ch chan *proto.Event, typ string) *proto.Event {
	t.Helper()
	for {
		select {
		case ev := <-ch:
			if ev.GetType() == typ {
				return ev
			}
		case <-ctx.Done():
			t.Fatalf("no %q event", typ)
			return nil
		}
	}
}

// Chat through a real server and the arena: both players get the line as a broadcast event about the sender; a
// message the arena does not take is refused to its sender alone, as a targeted event carrying its seq.
func TestSendMessageRealServer(t *testing.T) {
	addr, _ := startGameServer(t, arena.Mode, arena.Factory, server.GameOptions{MaxPlayers: 4})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ha, hb := newMsgHandler(), newMsgHandler()
	a, err := client.Dial(ctx, client.Config{URL: "ws://" + addr, Name: "a", Handler: ha})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := client.Dial(ctx, client.Config{URL: "ws://" + addr, Name: "b", Handler: hb})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if w := a.Welcome(); w.GetMaxMessageBytes() != client.DefaultMaxMessageBytes || w.GetMessageRate() == 0 {
		t.Errorf("welcome limits: %d bytes, %d/s", w.GetMaxMessageBytes(), w.GetMessageRate())
	}

	seq, err := a.SendMessage(arena.MessageChat, []byte("good game"))
	if err != nil || seq != 1 {
		t.Fatalf("SendMessage = %d, %v", seq, err)
	}
	for name, h := range map[string]*msgHandler{"a": ha, "b": hb} {
		ev := next(ctx, t, h.events, arena.EventChat)
		if string(ev.GetPayload()) != "good game" || ev.GetPlayerId() != a.PlayerID() || ev.GetTargeted() {
			t.Errorf("%s got chat %v", name, ev)
		}
	}

	seq, err = b.SendMessage("dance", nil)
	if err != nil || seq != 1 {
		t.Fatalf("SendMessage = %d, %v", seq, err)
	}
	ev := next(ctx, t, hb.targeted, arena.EventRefused)
	if !ev.GetTargeted() || len(ev.GetArgs()) != 1 || ev.GetArgs()[0] != 1 {
		t.Errorf("refusal = %v, want targeted with seq 1", ev)
	}
	// a must not get b's refusal: a chat sent after it arrives first on a's side.
	if _, err := b.SendMessage(arena.MessageChat, []byte("sorry")); err != nil {
		t.Fatal(err)
	}
	next(ctx, t, ha.events, arena.EventChat)
	select {
	case ev := <-ha.targeted:
		t.Errorf("a got b's targeted event %v", ev)
	default:
	}
	if got := a.Stats().MessagesSent.Load(); got != 1 {
		t.Errorf("a's MessagesSent = %d", got)
	}

	if _, err := a.SendMessage("", nil); !errors.Is(err, client.ErrMessageType) {
		t.Errorf("empty type: %v", err)
	}
	if _, err := a.SendMessage(strings.Repeat("t", 33), nil); !errors.Is(err, client.ErrMessageType) {
		t.Errorf("long type: %v", err)
	}
	if _, err := a.SendMessage("chat", make([]byte, client.DefaultMaxMessageBytes+1)); !errors.Is(err, client.ErrMessagePayload) {
		t.Errorf("oversized payload: %v", err)
	}
}
