package attack

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lxzan/gws"
	gproto "google.golang.org/protobuf/proto"

	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/game/arena"
	"github.com/tickwire/tickwire/proto"
	"github.com/tickwire/tickwire/tools/client"
)

// chatHandler keeps copies of the chat events a client receives.
type chatHandler struct {
	client.NopHandler
	chats chan *proto.Event
}

func (h *chatHandler) OnEvent(_ *client.Client, ev *proto.Event) {
	if ev.GetType() != arena.EventChat {
		return
	}
	select {
	case h.chats <- gproto.Clone(ev).(*proto.Event):
	default:
	}
}

// One client floods game messages: the server closes it with 4508 (rate limited, terminal) after its burst. A raw
// socket sends a message over the size limit: 1009. Meanwhile a polite player's chat lines all come back to it, a
// backend announcement through the service API reaches the room's game (200 with its reply) and its players, and the
// bots play on.
func TestAttackMessageFlood(t *testing.T) {
	cfg := attackConfig()
	cfg.ServiceAPIKey = "msg-key"
	cfg.ServiceAPIOn = "public" // the harness serves the public port only
	e := Start(t, cfg, Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	events0 := make([]int64, len(e.bots))
	for i, b := range e.bots {
		events0[i] = b.stats.Events.Load()
	}

	polite := &chatHandler{chats: make(chan *proto.Event, 256)}
	chatter, err := client.Dial(ctx, client.Config{URL: e.URL, Mode: arena.Mode, Name: "chatter", ClientName: "attack-chatter",
		Handler: polite, NetDial: DialFrom(SourceIP(0, 1)).DialContext})
	if err != nil {
		t.Fatal(err)
	}
	defer chatter.Close()
	roomID := chatter.Welcome().GetRoomId()

	flooder, err := client.Dial(ctx, client.Config{URL: e.URL, Mode: arena.Mode, Name: "flooder", ClientName: "attack-flooder",
		NetDial: DialFrom(SourceIP(0, 0)).DialContext})
	if err != nil {
		t.Fatal(err)
	}
	if flooder.Welcome().GetRoomId() != roomID {
		t.Fatalf("flooder in room %s, chatter in %s: want one room", flooder.Welcome().GetRoomId(), roomID)
	}
	burst := int(flooder.Welcome().GetMessageBurst())
	sent := 0
	for ; sent < 20*burst; sent++ {
		if _, err := flooder.SendMessage(arena.MessageChat, []byte("spam spam spam spam")); err != nil {
			break
		}
	}
	select {
	case <-flooder.Done():
	case <-ctx.Done():
		t.Fatalf("the flooder was not closed after %d messages", sent)
	}
	if !errors.Is(flooder.Err(), client.ErrRateLimited) {
		t.Errorf("flooder ended with %v, want 4508 (rate limited)", flooder.Err())
	}
	t.Logf("flooder: %d messages written before the close (burst %d, rate %d/s): %v", sent, burst,
		flooder.Welcome().GetMessageRate(), flooder.Err())

	// Oversized: the SDK refuses it, so a raw socket sends it.
	raw, err := e.DialRaw(SourceIP(0, 2))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []*proto.ClientFrame{
		{Msg: &proto.ClientFrame_Hello{Hello: &proto.Hello{ProtocolVersion: 2}}},
		{Msg: &proto.ClientFrame_Join{Join: &proto.Join{Target: &proto.Join_Mode{Mode: arena.Mode}, Name: "big"}}},
		{Msg: &proto.ClientFrame_Message{Message: &proto.Message{Type: arena.MessageChat, Payload: make([]byte, game.MaxMessageBytes+1)}}},
	} {
		b, _ := gproto.Marshal(f)
		_ = raw.WriteMessage(gws.OpcodeBinary, b)
	}
	if code := raw.WaitClosed(t, 10*time.Second); code != 1009 {
		t.Errorf("oversized message: close code %d, want 1009", code)
	}

	// The polite player: every line comes back, in order, about it.
	const lines = 10
	for i := range lines {
		if _, err := chatter.SendMessage(arena.MessageChat, []byte("line "+strconv.Itoa(i))); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < lines; {
		select {
		case ev := <-polite.chats:
			if ev.GetPlayerId() != chatter.PlayerID() {
				continue // the flooder's burst, handed to the game before the close
			}
			if want := "line " + strconv.Itoa(i); string(ev.GetPayload()) != want {
				t.Fatalf("chat %d = %q, want %q", i, ev.GetPayload(), want)
			}
			i++
		case <-ctx.Done():
			t.Fatalf("only %d of %d chat lines came back", i, lines)
		}
	}

	// The backend's announcement: the game replies with its player count and tells every player.
	req, _ := http.NewRequest("POST", e.HTTP+"/v1/service/rooms/"+roomID+"/messages",
		strings.NewReader(`{"type":"announce","text":"maintenance at noon"}`))
	req.Header.Set("X-API-Key", "msg-key")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		ReplyText string `json:"reply_text"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&rep)
	resp.Body.Close()
	if n, err := strconv.Atoi(rep.ReplyText); resp.StatusCode != 200 || err != nil || n < len(e.bots)+1 {
		t.Errorf("announce: %d reply %q, want 200 and at least %d players", resp.StatusCode, rep.ReplyText, len(e.bots)+1)
	}
	for {
		select {
		case ev := <-polite.chats:
			if ev.GetPlayerId() != 0 {
				continue
			}
			if string(ev.GetPayload()) != "maintenance at noon" {
				t.Errorf("announcement = %q", ev.GetPayload())
			}
		case <-ctx.Done():
			t.Fatal("the announcement never reached the chatter")
		}
		break
	}
	if !chatter.Connected() {
		t.Errorf("the polite chatter was disconnected: %v", chatter.Err())
	}
	for i, b := range e.bots {
		if got := b.stats.Events.Load() - events0[i]; got < lines {
			t.Errorf("bot %d received %d events during the attack, want the %d chat lines at least", i, got, lines)
		}
	}
	e.Mem("after the message flood")
	e.Finish()
}
