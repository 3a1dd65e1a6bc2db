package server_test

import (
	"bufio"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"syscall"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	pb "github.com/tickwire/tickwire/proto"
)

// rawConn is a WebSocket client written by hand over a net.Conn, for tests of the framing layer.
type rawConn struct {
	t testing.TB
	net.Conn
	br *bufio.Reader
}

// rawDial opens a TCP connection (with a receive buffer of rcvbuf bytes when > 0) and performs the upgrade.
func rawDial(t testing.TB, addr string, rcvbuf int) *rawConn {
	t.Helper()
	d := net.Dialer{Timeout: 3 * time.Second}
	if rcvbuf > 0 {
		d.Control = func(_, _ string, rc syscall.RawConn) error {
			var serr error
			err := rc.Control(func(fd uintptr) {
				serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, rcvbuf)
			})
			if err != nil {
				return err
			}
			return serr
		}
	}
	conn, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	req := "GET /ws HTTP/1.1\r\nHost: " + addr + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
	_ = conn.SetDeadline(time.Now().Add(3 * time.Second))
	if _, err := io.WriteString(conn, req); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade: status %d", resp.StatusCode)
	}
	_ = conn.SetDeadline(time.Time{})
	return &rawConn{t: t, Conn: conn, br: br}
}

// writeFrame writes one masked frame; b0 is the first header byte (FIN, RSV bits, opcode).
func (r *rawConn) writeFrame(b0 byte, payload []byte) error {
	_, err := r.Write(maskedFrame(b0, payload))
	return err
}

// maskedFrame encodes one client frame.
func maskedFrame(b0 byte, payload []byte) []byte {
	hdr := []byte{b0, 0}
	n := len(payload)
	switch {
	case n <= 125:
		hdr[1] = byte(n)
	case n <= 65535:
		hdr[1] = 126
		hdr = binary.BigEndian.AppendUint16(hdr, uint16(n))
	default:
		hdr[1] = 127
		hdr = binary.BigEndian.AppendUint64(hdr, uint64(n))
	}
	hdr[1] |= 0x80
	var key [4]byte
	_, _ = rand.Read(key[:])
	hdr = append(hdr, key[:]...)
	masked := make([]byte, n)
	for i := range payload {
		masked[i] = payload[i] ^ key[i&3]
	}
	return append(hdr, masked...)
}

const (
	opCont   = 0x0
	opText   = 0x1
	opBinary = 0x2
	opClose  = 0x8
	opPing   = 0x9
	opPong   = 0xA
	fin      = 0x80
)

func (r *rawConn) writeMsg(f *pb.ClientFrame) {
	b, err := proto.Marshal(f)
	if err != nil {
		r.t.Fatal(err)
	}
	if err := r.writeFrame(fin|opBinary, b); err != nil {
		r.t.Fatal(err)
	}
}

// readFrame reads one server frame (servers never mask).
func (r *rawConn) readFrame() (b0 byte, payload []byte, err error) {
	var h [2]byte
	if _, err = io.ReadFull(r.br, h[:]); err != nil {
		return 0, nil, err
	}
	if h[1]&0x80 != 0 {
		return 0, nil, fmt.Errorf("server frame is masked")
	}
	n := uint64(h[1] & 0x7f)
	switch n {
	case 126:
		var e [2]byte
		if _, err = io.ReadFull(r.br, e[:]); err != nil {
			return 0, nil, err
		}
		n = uint64(binary.BigEndian.Uint16(e[:]))
	case 127:
		var e [8]byte
		if _, err = io.ReadFull(r.br, e[:]); err != nil {
			return 0, nil, err
		}
		n = binary.BigEndian.Uint64(e[:])
	}
	payload = make([]byte, n)
	_, err = io.ReadFull(r.br, payload)
	return h[0], payload, err
}

// rawResult is what a raw connection saw until it closed.
type rawResult struct {
	closeCode  int // -1: no close frame
	disconnect *pb.Disconnect
	welcome    bool
	pongs      int // WebSocket pong frames
	eof        bool
}

// readUntilClose reads frames until the server's close frame (and then the end of the stream), or the timeout.
func (r *rawConn) readUntilClose(timeout time.Duration) rawResult {
	res := rawResult{closeCode: -1}
	_ = r.SetReadDeadline(time.Now().Add(timeout))
	for {
		b0, p, err := r.readFrame()
		if err != nil {
			// After the close frame, the server ends the stream: EOF, or a reset when it closed with our data unread.
			var ne net.Error
			res.eof = res.closeCode >= 0 && !(errors.As(err, &ne) && ne.Timeout())
			return res
		}
		switch b0 & 0x0f {
		case opBinary:
			var f pb.ServerFrame
			if proto.Unmarshal(p, &f) == nil {
				if d := f.GetDisconnect(); d != nil {
					res.disconnect = d
				}
				if f.GetWelcome() != nil {
					res.welcome = true
				}
			}
		case opPong:
			res.pongs++
		case opClose:
			if res.closeCode >= 0 {
				r.t.Errorf("a second close frame from the server: %q", p)
				continue
			}
			if len(p) >= 2 {
				res.closeCode = int(binary.BigEndian.Uint16(p))
			} else {
				res.closeCode = 0
			}
			// Answer like a well-behaved client, then expect the server to end the stream.
			_ = r.writeFrame(fin|opClose, p[:min(len(p), 2)])
		}
	}
}

func closePayload(code uint16, reason string) []byte {
	return append(binary.BigEndian.AppendUint16(nil, code), reason...)
}

func joinTokenFrame(n int) *pb.ClientFrame {
	tok := make([]byte, n)
	for i := range tok {
		tok[i] = 'a'
	}
	return &pb.ClientFrame{Msg: &pb.ClientFrame_Join{Join: &pb.Join{Target: &pb.Join_JoinToken{JoinToken: string(tok)}}}}
}

// TestRFC6455Edges drives the framing layer with hand-written frames, as configured in Tickwire (MaxFrameBytes 4096,
// no compression, binary only).
func TestRFC6455Edges(t *testing.T) {
	ts := startServer(t, testConfig())
	helloBytes, _ := proto.Marshal(hello())
	join125, _ := proto.Marshal(joinTokenFrame(121))
	join126, _ := proto.Marshal(joinTokenFrame(122))
	if len(join125) != 125 || len(join126) != 126 {
		t.Fatalf("test frames are %d and %d bytes, want 125 and 126", len(join125), len(join126))
	}
	type step func(r *rawConn) error
	frame := func(b0 byte, p []byte) step { return func(r *rawConn) error { return r.writeFrame(b0, p) } }
	cases := []struct {
		name     string
		steps    []step
		code     int
		welcome  bool
		minPongs int
	}{
		// Lengths: 0 is an empty ClientFrame (4500); 125 (7-bit length) and 126 (16-bit length) are whole Join frames
		// parsed correctly (their token is unknown: 4504); 4096 is the largest accepted (garbage: 4500); 4097,
		// 65535 (16-bit) and 65536 (64-bit length) are over the limit (1009).
		{"length 0", []step{frame(fin|opBinary, nil)}, 4500, false, 0},
		{"length 125", []step{frame(fin|opBinary, helloBytes), frame(fin|opBinary, join125)}, 4504, false, 0},
		{"length 126", []step{frame(fin|opBinary, helloBytes), frame(fin|opBinary, join126)}, 4504, false, 0},
		{"length 4096", []step{frame(fin|opBinary, make([]byte, 4096))}, 4500, false, 0},
		{"length 4097", []step{frame(fin|opBinary, make([]byte, 4097))}, 1009, false, 0},
		{"length 65535", []step{frame(fin|opBinary, make([]byte, 65535))}, 1009, false, 0},
		{"length 65536", []step{frame(fin|opBinary, make([]byte, 65536))}, 1009, false, 0},
		{"control frame over 125 bytes", []step{frame(fin|opPing, make([]byte, 126))}, 1002, false, 0},
		{"rsv1 set", []step{frame(fin|0x40|opBinary, helloBytes)}, 1002, false, 0},
		{"rsv2 set", []step{frame(fin|0x20|opBinary, helloBytes)}, 1002, false, 0},
		{"rsv3 set", []step{frame(fin|0x10|opBinary, helloBytes)}, 1002, false, 0},
		{"reserved data opcode 3", []step{frame(fin|0x3, helloBytes)}, 1002, false, 0},
		{"reserved control opcode 0xB", []step{frame(fin|0xB, nil)}, 1002, false, 0},
		{"fragmented control frame", []step{frame(opPing, []byte("x"))}, 1002, false, 0},
		{"continuation without a start", []step{frame(fin|opCont, helloBytes)}, 1002, false, 0},
		{"new message inside a fragmented one", []step{frame(opBinary, helloBytes[:2]), frame(fin|opBinary, helloBytes)}, 1002, false, 0},
		{"fragments over the limit", []step{frame(opBinary, make([]byte, 3000)), frame(fin|opCont, make([]byte, 3000))}, 1009, false, 0},
		{"fragments with control frames between", []step{
			frame(opBinary, helloBytes[:1]),
			frame(fin|opPing, []byte("p1")),
			frame(opCont, helloBytes[1:3]),
			frame(fin|opPing, nil),
			frame(fin|opCont, helloBytes[3:]),
			func(r *rawConn) error { r.writeMsg(joinMode("arena", "frag")); return nil },
			func(r *rawConn) error {
				time.Sleep(200 * time.Millisecond)
				return r.writeFrame(fin|opClose, closePayload(1000, ""))
			},
		}, 1000, true, 2},
		{"close code 1005", []step{frame(fin|opClose, closePayload(1005, ""))}, 1002, false, 0},
		{"close code 999", []step{frame(fin|opClose, closePayload(999, ""))}, 1002, false, 0},
		{"close code 2000", []step{frame(fin|opClose, closePayload(2000, ""))}, 1002, false, 0},
		{"close code 5000", []step{frame(fin|opClose, closePayload(5000, ""))}, 1002, false, 0},
		{"close with one byte", []step{frame(fin|opClose, []byte{3})}, 1002, false, 0},
		{"close with bad utf-8 reason", []step{frame(fin|opClose, closePayload(1000, "\xff\xfe"))}, 1007, false, 0},
		{"close code 1000", []step{frame(fin|opClose, closePayload(1000, "bye"))}, 1000, false, 0},
		{"close code 4000 echoed", []step{frame(fin|opClose, closePayload(4000, ""))}, 4000, false, 0},
		{"text frame", []step{frame(fin|opText, []byte("hello"))}, 1003, false, 0},
		{"text frame with bad utf-8", []step{frame(fin|opText, []byte{0xff})}, 1007, false, 0},
		{"unmasked frame", []step{func(r *rawConn) error {
			_, err := r.Write(append([]byte{fin | opBinary, byte(len(helloBytes))}, helloBytes...))
			return err
		}}, 1002, false, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := rawDial(t, ts.addr, 0)
			r.t = t
			for _, s := range tc.steps {
				if err := s(r); err != nil {
					t.Fatalf("write: %v", err)
				}
			}
			res := r.readUntilClose(3 * time.Second)
			if res.closeCode != tc.code {
				t.Fatalf("close code %d, want %d", res.closeCode, tc.code)
			}
			if !res.eof {
				t.Errorf("the server did not end the stream after the close")
			}
			if tc.welcome && !res.welcome {
				t.Errorf("no Welcome after the fragmented Hello")
			}
			if res.pongs < tc.minPongs {
				t.Errorf("%d pongs, want %d", res.pongs, tc.minPongs)
			}
			if tc.code >= 4000 && tc.code != 4000 && (res.disconnect == nil || res.disconnect.Code != uint32(tc.code)) {
				t.Errorf("no Disconnect{%d} before the close: %v", tc.code, res.disconnect)
			}
		})
	}
}

// TestFramesPipelinedWithTheUpgrade: frames a client sends in the same packet as its upgrade request (before it has
// seen the 101) are not lost.
func TestFramesPipelinedWithTheUpgrade(t *testing.T) {
	ts := startServer(t, testConfig())
	conn, err := net.Dial("tcp", ts.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	helloBytes, _ := proto.Marshal(hello())
	joinBytes, _ := proto.Marshal(joinMode("arena", "eager"))
	req := "GET /ws HTTP/1.1\r\nHost: " + ts.addr + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
	all := append([]byte(req), maskedFrame(fin|opBinary, helloBytes)...)
	all = append(all, maskedFrame(fin|opBinary, joinBytes)...)
	if _, err := conn.Write(all); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetDeadline(time.Now().Add(3 * time.Second))
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade: %v", err)
	}
	r := &rawConn{t: t, Conn: conn, br: br}
	for {
		b0, p, err := r.readFrame()
		if err != nil {
			t.Fatalf("no welcome: %v", err)
		}
		var f pb.ServerFrame
		if b0&0x0f == opBinary && proto.Unmarshal(p, &f) == nil && f.GetWelcome() != nil {
			return
		}
	}
}

// TestOneCloseFrameWhenBothSidesClose: the client sends a Join the server refuses (4504) and its own close frame in
// the same packet, so the server's close (written by the session's writer) races gws's answer to the client's close
// (written by the read loop). Whichever wins, the client sees exactly one close frame and then the end of the stream.
// Run it with -count to repeat the race.
func TestOneCloseFrameWhenBothSidesClose(t *testing.T) {
	ts := startServer(t, testConfig())
	helloBytes, _ := proto.Marshal(hello())
	join126, _ := proto.Marshal(joinTokenFrame(122))
	for i := 0; i < 25; i++ {
		r := rawDial(t, ts.addr, 0)
		all := append(maskedFrame(fin|opBinary, helloBytes), maskedFrame(fin|opBinary, join126)...)
		all = append(all, maskedFrame(fin|opClose, closePayload(1000, "bye"))...)
		if _, err := r.Write(all); err != nil {
			t.Fatal(err)
		}
		res := r.readUntilClose(3 * time.Second) // reports a second close frame
		if res.closeCode != 4504 && res.closeCode != 1000 {
			t.Fatalf("close code %d, want 4504 (our refusal) or 1000 (the client's close answered)", res.closeCode)
		}
		if !res.eof {
			t.Fatalf("the stream did not end after the close")
		}
		_ = r.Close()
	}
}
