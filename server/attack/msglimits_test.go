package attack

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/lxzan/gws"
	gproto "google.golang.org/protobuf/proto"

	"github.com/tickwire/tickwire/game/arena"
	"github.com/tickwire/tickwire/proto"
	"github.com/tickwire/tickwire/tools/client"
)

// The message limits set by the server's settings (-message-rate, -message-burst, -max-message-bytes), below their
// defaults: Welcome announces them, a payload one byte over the size closes its sender with 1009, a flood past the
// burst closes its sender with 4508, lines at the size limit all come back, and tickwire_messages_total{result}
// counts each of these. The bots play on.
func TestAttackMessageLimits(t *testing.T) {
	cfg := attackConfig()
	cfg.MessageRate, cfg.MessageBurst, cfg.MaxMessageBytes = 5, 8, 100
	e := Start(t, cfg, Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	counter := func(result string) float64 { return e.Counter("tickwire_messages_total", "result", result) }
	queued0 := counter("queued")

	polite := &chatHandler{chats: make(chan *proto.Event, 256)}
	chatter, err := client.Dial(ctx, client.Config{URL: e.URL, Mode: arena.Mode, Name: "chatter", ClientName: "attack-chatter",
		Handler: polite, NetDial: DialFrom(SourceIP(0, 1)).DialContext})
	if err != nil {
		t.Fatal(err)
	}
	defer chatter.Close()
	w := chatter.Welcome()
	if w.GetMessageRate() != 5 || w.GetMessageBurst() != 8 || w.GetMaxMessageBytes() != 100 {
		t.Fatalf("Welcome announces rate %d, burst %d, %d bytes; want 5, 8, 100", w.GetMessageRate(),
			w.GetMessageBurst(), w.GetMaxMessageBytes())
	}
	// The Go SDK keeps to the announced size: nothing is sent.
	if _, err := chatter.SendMessage(arena.MessageChat, make([]byte, 101)); !errors.Is(err, client.ErrMessagePayload) {
		t.Errorf("SendMessage of 101 bytes: %v, want ErrMessagePayload", err)
	}

	// One byte over the size, from a raw socket: 1009.
	raw, err := e.DialRaw(SourceIP(0, 2))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []*proto.ClientFrame{
		{Msg: &proto.ClientFrame_Hello{Hello: &proto.Hello{ProtocolVersion: 2}}},
		{Msg: &proto.ClientFrame_Join{Join: &proto.Join{Target: &proto.Join_Mode{Mode: arena.Mode}, Name: "big"}}},
		{Msg: &proto.ClientFrame_Message{Message: &proto.Message{Type: arena.MessageChat, Payload: make([]byte, 101)}}},
	} {
		b, _ := gproto.Marshal(f)
		_ = raw.WriteMessage(gws.OpcodeBinary, b)
	}
	if code := raw.WaitClosed(t, 10*time.Second); code != 1009 {
		t.Errorf("a 101-byte message: close code %d, want 1009", code)
	}
	if n := counter("too_big"); n != 1 {
		t.Errorf("tickwire_messages_total{result=too_big} = %v, want 1", n)
	}

	// A flood: closed with 4508 once its burst is spent.
	flooder, err := client.Dial(ctx, client.Config{URL: e.URL, Mode: arena.Mode, Name: "flooder", ClientName: "attack-flooder",
		NetDial: DialFrom(SourceIP(0, 3)).DialContext})
	if err != nil {
		t.Fatal(err)
	}
	sent := 0
	for ; sent < 200; sent++ {
		if _, err := flooder.SendMessage(arena.MessageChat, []byte("spam")); err != nil {
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
	if n := counter("rate_limited"); n != 1 {
		t.Errorf("tickwire_messages_total{result=rate_limited} = %v, want 1 (one flooder, closed at its first excess)", n)
	}
	floodQueued := counter("queued") - queued0
	if floodQueued < 8 {
		t.Errorf("the flooder's burst: %v messages queued, want at least 8", floodQueued)
	}
	t.Logf("flooder: %d messages written, %v queued before the close", sent, floodQueued)

	// Lines at the size limit, within the rate: every one comes back.
	const lines = 4
	line := bytes.Repeat([]byte("x"), 100)
	for i := range lines {
		line[0] = byte('a' + i)
		if _, err := chatter.SendMessage(arena.MessageChat, line); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < lines; {
		select {
		case ev := <-polite.chats:
			if ev.GetPlayerId() != chatter.PlayerID() {
				continue // the flooder's burst
			}
			if p := ev.GetPayload(); len(p) != 100 || p[0] != byte('a'+i) {
				t.Fatalf("chat %d: %d bytes starting %q", i, len(p), p[:1])
			}
			i++
		case <-ctx.Done():
			t.Fatalf("only %d of %d chat lines came back", i, lines)
		}
	}
	if got, want := counter("queued")-queued0, floodQueued+lines; got != want {
		t.Errorf("tickwire_messages_total{result=queued} grew by %v, want %v", got, want)
	}
	for _, r := range []string{"bad_type", "queue_full", "room_ended"} {
		if n := counter(r); n != 0 {
			t.Errorf("tickwire_messages_total{result=%s} = %v, want 0", r, n)
		}
	}
	if !chatter.Connected() {
		t.Errorf("the chatter was disconnected: %v", chatter.Err())
	}
	e.Finish()
}
