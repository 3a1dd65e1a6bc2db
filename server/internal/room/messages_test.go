package room

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"slices"
	"testing"
	"time"

	gproto "google.golang.org/protobuf/proto"

	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/proto"
)

// msgSim is lineSim plus game.MessageHandler: it records every message with whether the tick's inputs had been
// applied yet, and answers "echo" to the sender alone, "shout" to everyone and "team" to players 1 and 3.
type msgSim struct {
	*lineSim
	got []gotMsg
}

type gotMsg struct {
	tick         game.Tick
	from         game.PlayerID
	typ, payload string
	seq          uint32
	afterInputs  bool // an input of tick t had already been applied when the message of tick t came
}

func (s *msgSim) HandleMessage(t game.Tick, from game.PlayerID, m *game.Message, ev *game.Events) []byte {
	after := len(s.applied) > 0 && s.applied[len(s.applied)-1].tick == t
	s.got = append(s.got, gotMsg{t, from, m.Type, string(m.Payload), m.Seq, after})
	switch m.Type {
	case "echo":
		ev.AddTo(from, game.Event{Type: "echo", Player: from, Payload: string(m.Payload)})
	case "shout":
		ev.Add(game.Event{Type: "shout", Player: from, Payload: string(m.Payload)})
	case "team":
		ev.AddToSet([]game.PlayerID{1, 3}, game.Event{Type: "team", Player: from})
	}
	if from == game.Backend {
		return []byte("ok:" + string(m.Payload))
	}
	return nil
}

// eventFrames returns the Event frames a sink received of type typ.
func eventFrames(s *fakeSink, typ string) []*proto.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*proto.Event
	for _, f := range s.reliable {
		if e := f.GetEvent(); e != nil && e.GetType() == typ {
			out = append(out, e)
		}
	}
	return out
}

func TestMessagesNextTickBeforeInputsInArrivalOrder(t *testing.T) {
	sim := &msgSim{lineSim: newLineSim()}
	h := startRoom(t, Config{}, sim)
	a, pa := h.join("alice")
	b, pb := h.join("bob")
	h.ticks(2)
	tick := h.r.tick
	// Interleaved arrival: the room must keep it, whoever sent what.
	for i, m := range []struct {
		p    game.PlayerID
		s    *fakeSink
		typ  string
		body string
	}{{pa, a, "shout", "a1"}, {pb, b, "echo", "b1"}, {pa, a, "echo", "a2"}} {
		if err := h.r.Message(m.p, m.s, m.typ, []byte(m.body), uint32(i+1)); err != nil {
			t.Fatal(err)
		}
	}
	h.input(pa, a, game.Input{Seq: 1, Tick: game.Tick(tick + 1)})
	h.ticks(1)
	want := []gotMsg{
		{game.Tick(tick + 1), pa, "shout", "a1", 1, false},
		{game.Tick(tick + 1), pb, "echo", "b1", 2, false},
		{game.Tick(tick + 1), pa, "echo", "a2", 3, false},
	}
	if !slices.Equal(sim.got, want) {
		t.Fatalf("messages handed to the Sim = %+v, want %+v", sim.got, want)
	}
	// "shout" reaches both, untargeted; each "echo" only its sender, targeted.
	for _, s := range []*fakeSink{a, b} {
		sh := eventFrames(s, "shout")
		if len(sh) != 1 || sh[0].GetTargeted() || string(sh[0].GetPayload()) != "a1" || sh[0].GetPlayerId() != uint32(pa) {
			t.Errorf("shout events = %v", sh)
		}
	}
	if ea := eventFrames(a, "echo"); len(ea) != 1 || !ea[0].GetTargeted() || string(ea[0].GetPayload()) != "a2" {
		t.Errorf("alice's echo events = %v, want only a2, targeted", ea)
	}
	if eb := eventFrames(b, "echo"); len(eb) != 1 || !eb[0].GetTargeted() || string(eb[0].GetPayload()) != "b1" {
		t.Errorf("bob's echo events = %v, want only b1, targeted", eb)
	}
	a.check(t)
	b.check(t)
	if info := h.r.Info(); info.MessagesHandled != 3 || info.MessagesDropped != 0 {
		t.Errorf("Info messages handled %d dropped %d, want 3, 0", info.MessagesHandled, info.MessagesDropped)
	}
}

func TestMessageToSetAndDisconnected(t *testing.T) {
	sim := &msgSim{lineSim: newLineSim()}
	h := startRoom(t, Config{}, sim)
	s1, p1 := h.join("p1")
	s2, _ := h.join("p2")
	s3, p3 := h.join("p3")
	h.r.Disconnected(p3, s3) // in its grace period: an event meant for it is not delivered
	if err := h.r.Message(p1, s1, "team", nil, 0); err != nil {
		t.Fatal(err)
	}
	h.ticks(1)
	if n := len(eventFrames(s1, "team")); n != 1 {
		t.Errorf("player 1 got %d team events, want 1", n)
	}
	if n := len(eventFrames(s2, "team")); n != 0 {
		t.Errorf("player 2 got %d team events, want 0 (not in the set)", n)
	}
	if n := len(eventFrames(s3, "team")); n != 0 {
		t.Errorf("player 3 got %d team events while disconnected, want 0", n)
	}
	// A message from a connection that is no longer the player's is dropped.
	if err := h.r.Message(p3, s3, "shout", nil, 0); err != nil {
		t.Fatal(err)
	}
	h.ticks(1)
	if len(sim.got) != 1 || h.r.Info().MessagesDropped != 1 {
		t.Errorf("got %v, dropped %d; want the stale message dropped", sim.got, h.r.Info().MessagesDropped)
	}
}

func TestMessagesWithoutHandlerAndLimits(t *testing.T) {
	h := startRoom(t, Config{MessageQueueSize: 2}, newLineSim())
	a, pa := h.join("alice")
	if err := h.r.Message(pa, a, "", nil, 0); !errors.Is(err, ErrBadMessage) {
		t.Errorf("empty type: %v, want ErrBadMessage", err)
	}
	if err := h.r.Message(pa, a, "x", make([]byte, game.MaxMessageBytes+1), 0); !errors.Is(err, ErrBadMessage) {
		t.Errorf("oversized payload: %v, want ErrBadMessage", err)
	}
	for i := range 2 {
		if err := h.r.Message(pa, a, "x", nil, uint32(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := h.r.Message(pa, a, "x", nil, 3); !errors.Is(err, ErrMessageQueueFull) {
		t.Errorf("third message with a queue of 2: %v, want ErrMessageQueueFull", err)
	}
	if _, err := h.r.Signal(t.Context(), "x", nil); !errors.Is(err, ErrNotSupported) {
		t.Errorf("Signal to a game without messages: %v, want ErrNotSupported", err)
	}
	h.ticks(1)
	if info := h.r.Info(); info.MessagesDropped != 3 || info.MessagesHandled != 0 {
		t.Errorf("dropped %d handled %d, want 3 (queue full + 2 with no handler), 0", info.MessagesDropped, info.MessagesHandled)
	}
	if w := a.welcomes()[0]; w.GetMaxMessageBytes() != game.MaxMessageBytes || w.GetMessageRate() != DefaultMessageRate ||
		w.GetMessageBurst() != DefaultMessageBurst {
		t.Errorf("welcome message limits = %d, %d, %d", w.GetMaxMessageBytes(), w.GetMessageRate(), w.GetMessageBurst())
	}
}

func TestSignalReply(t *testing.T) {
	sim := &msgSim{lineSim: newLineSim()}
	h := startRoom(t, Config{}, sim)
	a, _ := h.join("alice")
	type result struct {
		reply []byte
		err   error
	}
	done := make(chan result, 1)
	go func() {
		rep, err := h.r.Signal(context.Background(), "shout", []byte("hi"))
		done <- result{rep, err}
	}()
	for i := 0; len(h.r.msgs) == 0; i++ { // bounded wait for the signal to be queued
		if i == 5000 {
			t.Fatal("the signal was never queued")
		}
		time.Sleep(time.Millisecond)
	}
	h.ticks(1)
	res := <-done
	if res.err != nil || string(res.reply) != "ok:hi" {
		t.Fatalf("Signal = %q, %v; want ok:hi", res.reply, res.err)
	}
	if len(sim.got) != 1 || sim.got[0].from != game.Backend {
		t.Errorf("got %+v, want one message from the backend", sim.got)
	}
	if sh := eventFrames(a, "shout"); len(sh) != 1 || sh[0].GetPlayerId() != 0 {
		t.Errorf("shout events = %v", sh)
	}
}

// The hand-written event encoding is byte for byte what the generated code writes (the same bytes pin the
// TypeScript client's decoding in client-web/test/client.test.ts).
func TestEventFrameBytes(t *testing.T) {
	r, err := New(Config{ID: "bytes", Clock: newFakeClock()}, newLineSim())
	if err != nil {
		t.Fatal(err)
	}
	got := r.eventFrame(101, "chat", 2, nil, "", "gg", true)
	want, _ := gproto.Marshal(&proto.ServerFrame{Msg: &proto.ServerFrame_Event{Event: &proto.Event{Tick: 101, Type: "chat",
		PlayerId: 2, Payload: []byte("gg"), Targeted: true}}})
	if hex.EncodeToString(got) != "1a1008651204636861741802320267673801" || !bytes.Equal(got, want) {
		t.Fatalf("event frame %x, generated %x", got, want)
	}
}
