package server_test

import (
	"testing"
	"time"

	pb "github.com/tickwire/tickwire/proto"
)

// startResume dials and sends Hello and Join{resume_token: tok}.
func startResume(t *testing.T, addr string, tok []byte) *client {
	t.Helper()
	c := dial(t, addr, nil)
	c.t = t
	c.send(hello())
	c.send(joinResume(tok))
	return c
}

// TestResumeSurvivesADeadResume: a connection that resumes with token T and dies before sending anything (so the
// client may never have read the Welcome carrying T') does not use T up: the client resumes again with T, as the
// same player, and no input is lost or applied twice. The T' of the abandoned resume is refused from then on.
func TestResumeSurvivesADeadResume(t *testing.T) {
	for _, tc := range []struct {
		name   string
		how    string // what happens to the first resumed connection
		readT1 bool
	}{
		{"welcome read, then dropped", "drop", true},
		{"dropped before reading the welcome", "drop", false},
		{"alive but silent, superseded", "alive", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := startServer(t, testConfig())
			observer := dial(t, ts.addr, nil)
			observer.t = t
			observer.handshake("observer") // keeps the room alive

			c := dial(t, ts.addr, nil)
			c.t = t
			w := c.handshake("resumer")
			speed := w.Params["speed"]
			x0, y0, _ := c.self()
			dx := towardsCentre(x0)
			sendInputs(c, 1, 5, dx)
			waitSeq(c, 5)
			for s := uint32(6); s <= 8; s++ { // in flight when the socket drops: lost or applied, never twice
				c.send(c.input(s, dx, 0, 0))
			}
			_ = c.ws.NetConn().Close()

			// The first resume with T: the server takes it and sends a Welcome with T1; the client sends nothing.
			c1 := startResume(t, ts.addr, w.ResumeToken)
			var t1 []byte
			if tc.readT1 {
				w1 := c1.waitFor("welcome", 5*time.Second, isWelcome).GetWelcome()
				if !w1.Resumed || w1.PlayerId != w.PlayerId {
					t.Fatalf("first resume: resumed %v player %d, want player %d", w1.Resumed, w1.PlayerId, w.PlayerId)
				}
				t1 = w1.ResumeToken
			}
			if tc.how == "drop" {
				_ = c1.ws.NetConn().Close()
			}

			// The client still holds only T: the resume is accepted again, for the same player.
			c2 := startResume(t, ts.addr, w.ResumeToken)
			w2 := c2.waitFor("welcome", 5*time.Second, isWelcome).GetWelcome()
			if !w2.Resumed || w2.PlayerId != w.PlayerId || w2.RoomId != w.RoomId {
				t.Fatalf("second resume with T: resumed %v player %d room %q, want player %d room %q",
					w2.Resumed, w2.PlayerId, w2.RoomId, w.PlayerId, w.RoomId)
			}
			if string(w2.ResumeToken) == string(w.ResumeToken) || (t1 != nil && string(w2.ResumeToken) == string(t1)) {
				t.Fatal("the resume token was not rotated")
			}
			if tc.how == "alive" {
				c1.expectClose(4503, true, 3*time.Second)
			}
			checkResumedThenResend(t, c2, w2.LastInputSeq, x0, y0, dx, speed)

			// The successor issued to the abandoned resume is dead; so is T now that c2 proved it holds its successor.
			if t1 != nil {
				startResume(t, ts.addr, t1).expectClose(4504, true, 3*time.Second)
			}
			startResume(t, ts.addr, w.ResumeToken).expectClose(4504, true, 3*time.Second)
			// The live connection is untouched, and its own token still resumes.
			c2.waitFor("snapshot", 2*time.Second, isSnapshot)
			c3 := startResume(t, ts.addr, w2.ResumeToken)
			if w3 := c3.waitFor("welcome", 5*time.Second, isWelcome).GetWelcome(); w3.PlayerId != w.PlayerId {
				t.Fatalf("resume with the latest token: player %d, want %d", w3.PlayerId, w.PlayerId)
			}
			c2.expectClose(4503, true, 3*time.Second)
		})
	}
}

// TestResumeTokenDiesOnceProven: once the resumed connection sends a frame (proof that the client has the new
// token), the old token is refused, and the proving connection is not disturbed.
func TestResumeTokenDiesOnceProven(t *testing.T) {
	for _, tc := range []struct {
		name  string
		proof func(c *client)
	}{
		{"ping", func(c *client) {
			c.send(pingFrame(7))
			c.waitFor("pong", 3*time.Second, func(f *pb.ServerFrame) bool { return f.GetPong() != nil })
		}},
		{"input", func(c *client) {
			c.send(c.input(1, 0, 0, 0))
			waitSeq(c, 1)
		}},
		{"ack", func(c *client) {
			c.send(&pb.ClientFrame{Msg: &pb.ClientFrame_Ack{Ack: &pb.Ack{Tick: 1}}})
			c.send(pingFrame(7)) // frames are handled in order: the pong comes after the ack was
			c.waitFor("pong", 3*time.Second, func(f *pb.ServerFrame) bool { return f.GetPong() != nil })
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := startServer(t, testConfig())
			c := dial(t, ts.addr, nil)
			c.t = t
			w := c.handshake("prover")
			_ = c.ws.NetConn().Close()

			c1 := startResume(t, ts.addr, w.ResumeToken)
			c1.waitFor("welcome", 5*time.Second, isWelcome)
			tc.proof(c1)

			startResume(t, ts.addr, w.ResumeToken).expectClose(4504, true, 3*time.Second)
			c1.send(pingFrame(8))
			c1.waitFor("pong after the refused resume", 3*time.Second, func(f *pb.ServerFrame) bool {
				return f.GetPong().GetClientTimeUs() == 8
			})
		})
	}
}

// TestResumeOvertakenByItsRetry: a client's first resume attempt dies before the server handled its Join (the bytes
// wait in the server's receive buffer), and the client retries on a new connection, which the server handles first.
// The first attempt, handled last, must not take the player back from the retry: it is refused with 4503, and the
// retry plays on with its token. The test forces that order: the first connection is open (accepted) before the
// retry dials, but sends its Hello and Join only once the retry has its Welcome.
func TestResumeOvertakenByItsRetry(t *testing.T) {
	for _, tc := range []struct {
		name  string
		alive bool // the overtaken connection stays open to read its refusal
	}{
		{"overtaken attempt still open", true},
		{"overtaken attempt already closed", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig()
			cfg.HandshakeTimeout = 30 * time.Second // the overtaken connection waits for the retry, however slow
			ts := startServer(t, cfg)
			observer := dial(t, ts.addr, nil)
			observer.t = t
			observer.handshake("observer") // keeps the room alive

			c := dial(t, ts.addr, nil)
			c.t = t
			w := c.handshake("resumer")
			_ = c.ws.NetConn().Close()

			first := dial(t, ts.addr, nil) // accepted now; its Join comes after the retry's
			first.t = t
			retry := startResume(t, ts.addr, w.ResumeToken)
			w2 := retry.waitFor("welcome", 10*time.Second, isWelcome).GetWelcome()
			if !w2.Resumed || w2.PlayerId != w.PlayerId {
				t.Fatalf("retry: resumed %v player %d, want player %d", w2.Resumed, w2.PlayerId, w.PlayerId)
			}

			first.send(hello())
			first.send(joinResume(w.ResumeToken))
			if tc.alive {
				first.expectClose(4503, true, 10*time.Second)
			} else {
				_ = first.ws.NetConn().Close()
				deadline := time.Now().Add(10 * time.Second)
				for { // until the server has handled (and refused) it
					if metricValue(metricsText(t, ts.admin), `tickwire_resumes_total{result="superseded"}`) == 1 {
						break
					}
					if code := retry.code(0); code != 0 || time.Now().After(deadline) {
						t.Fatalf("the overtaken resume was not refused as superseded (the retry's close code: %d)", code)
					}
					time.Sleep(10 * time.Millisecond)
				}
			}

			// The retry is still the player's connection: it is answered, and it is not closed.
			retry.send(pingFrame(42))
			retry.waitFor("pong", 10*time.Second, func(f *pb.ServerFrame) bool { return f.GetPong().GetClientTimeUs() == 42 })
			retry.waitFor("snapshot", 10*time.Second, isSnapshot)
			if code := retry.code(0); code != 0 {
				t.Fatalf("the retry was closed with %d", code)
			}
			// Its token chain is intact: the token it redeemed is dead (it proved its successor with the ping), and
			// the successor resumes the player, superseding the retry as usual.
			startResume(t, ts.addr, w.ResumeToken).expectClose(4504, true, 10*time.Second)
			c3 := startResume(t, ts.addr, w2.ResumeToken)
			if w3 := c3.waitFor("welcome", 10*time.Second, isWelcome).GetWelcome(); w3.PlayerId != w.PlayerId {
				t.Fatalf("resume with the retry's token: player %d, want %d", w3.PlayerId, w.PlayerId)
			}
			retry.expectClose(4503, true, 10*time.Second)
		})
	}
}
