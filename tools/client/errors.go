package client

import (
	"errors"
	"fmt"

	"github.com/tickwire/tickwire/proto"
)

// DisconnectError is why a connection ended: the server's close code (a proto.CloseCode value or a standard WebSocket
// code), the reason it gave, and whether the client may resume. Compare with errors.Is against the Err* values of
// this package (codes match, reasons are ignored) or extract it with errors.As.
type DisconnectError struct {
	Code      uint16
	Reason    string
	Reconnect bool
}

func (e *DisconnectError) Error() string {
	name := proto.CloseCode(e.Code).String()
	kind := "terminal"
	if e.Reconnect {
		kind = "reconnectable"
	}
	if e.Reason == "" {
		return fmt.Sprintf("client: disconnected: %d %s (%s)", e.Code, name, kind)
	}
	return fmt.Sprintf("client: disconnected: %d %s (%s): %s", e.Code, name, kind, e.Reason)
}

// Is reports whether target is a *DisconnectError with the same code.
func (e *DisconnectError) Is(target error) bool {
	t, ok := target.(*DisconnectError)
	return ok && t.Code == e.Code
}

// CodeConnectionLost is the code a client reports when the connection died without a close frame (RFC 6455's 1006,
// which never travels on the wire). It is reconnectable.
const CodeConnectionLost = 1006

// CodeMoved (4003, CLOSE_MOVED): the room lives on another node of a cluster; the reason is that node's WebSocket
// address. The client follows it by itself, with the same join or resume token.
const CodeMoved = uint16(proto.CloseCode_CLOSE_MOVED)

// CodeRecovering (4004, CLOSE_RECOVERING): the room's node died and a surviving node is rebuilding the room; the
// client retries its resume shortly (within the grace period), by itself.
const CodeRecovering = uint16(proto.CloseCode_CLOSE_RECOVERING)

// Reconnectable reports whether a close code allows the client to resume: 4000-4499, 1001, 1011 and a lost connection.
func Reconnectable(code uint16) bool {
	switch {
	case code >= 4000 && code < 4500:
		return true
	case code == 1001, code == 1011, code == CodeConnectionLost:
		return true
	}
	return false
}

func disconnect(code uint16, reason string) *DisconnectError {
	return &DisconnectError{Code: code, Reason: reason, Reconnect: Reconnectable(code)}
}

// The close codes of the protocol as errors.Is targets.
var (
	ErrConnectionLost     = disconnect(CodeConnectionLost, "connection lost")
	ErrGoingAway          = disconnect(uint16(proto.CloseCode_CLOSE_GOING_AWAY), "")
	ErrProtocol           = disconnect(uint16(proto.CloseCode_CLOSE_PROTOCOL_ERROR), "")
	ErrUnsupportedData    = disconnect(uint16(proto.CloseCode_CLOSE_UNSUPPORTED_DATA), "")
	ErrInvalidPayload     = disconnect(uint16(proto.CloseCode_CLOSE_INVALID_PAYLOAD), "")
	ErrMessageTooBig      = disconnect(uint16(proto.CloseCode_CLOSE_MESSAGE_TOO_BIG), "")
	ErrInternal           = disconnect(uint16(proto.CloseCode_CLOSE_INTERNAL_ERROR), "")
	ErrSlowConsumer       = disconnect(uint16(proto.CloseCode_CLOSE_SLOW_CONSUMER), "")
	ErrHeartbeatTimeout   = disconnect(uint16(proto.CloseCode_CLOSE_HEARTBEAT_TIMEOUT), "")
	ErrServerBusy         = disconnect(uint16(proto.CloseCode_CLOSE_SERVER_BUSY), "")
	ErrMoved              = disconnect(CodeMoved, "")
	ErrRecovering         = disconnect(CodeRecovering, "")
	ErrBadFrame           = disconnect(uint16(proto.CloseCode_CLOSE_BAD_FRAME), "")
	ErrUnsupportedVersion = disconnect(uint16(proto.CloseCode_CLOSE_UNSUPPORTED_VERSION), "")
	ErrHandshakeTimeout   = disconnect(uint16(proto.CloseCode_CLOSE_HANDSHAKE_TIMEOUT), "")
	ErrSuperseded         = disconnect(uint16(proto.CloseCode_CLOSE_SUPERSEDED), "")
	ErrInvalidToken       = disconnect(uint16(proto.CloseCode_CLOSE_INVALID_TOKEN), "")
	ErrResumeExpired      = disconnect(uint16(proto.CloseCode_CLOSE_RESUME_EXPIRED), "")
	ErrRoomNotFound       = disconnect(uint16(proto.CloseCode_CLOSE_ROOM_NOT_FOUND), "")
	ErrRoomFull           = disconnect(uint16(proto.CloseCode_CLOSE_ROOM_FULL), "")
	ErrRateLimited        = disconnect(uint16(proto.CloseCode_CLOSE_RATE_LIMITED), "")
	ErrRoomEnded          = disconnect(uint16(proto.CloseCode_CLOSE_ROOM_ENDED), "")
	ErrRoomFailed         = disconnect(uint16(proto.CloseCode_CLOSE_ROOM_FAILED), "")
	ErrLeft               = disconnect(uint16(proto.CloseCode_CLOSE_LEFT), "")
	// ErrUnauthenticated: the player token was refused (forged, unknown kid, wrong key, malformed), or the server
	// requires one and none was sent.
	ErrUnauthenticated = disconnect(uint16(proto.CloseCode_CLOSE_UNAUTHENTICATED), "")
	// ErrPlayerTokenExpired: the player token has expired; get a fresh one from the game's backend and dial again.
	ErrPlayerTokenExpired = disconnect(uint16(proto.CloseCode_CLOSE_PLAYER_TOKEN_EXPIRED), "")
)

// Errors of the client itself.
var (
	// ErrClosed: Close was called.
	ErrClosed = errors.New("client: closed")
	// ErrNotConnected: the client is between connections (resuming) or not yet joined; the input was not sent.
	ErrNotConnected = errors.New("client: not connected")
	// ErrInputBacklog: too many inputs are unacknowledged (Config.InputHistory); the input was not sent.
	ErrInputBacklog = errors.New("client: too many unacknowledged inputs")
	// ErrInputEarly: the input clock's next tick is more than a tick away (after a resume's resend or a re-sync
	// back); the input was not sent. Send at NextInputAt.
	ErrInputEarly = errors.New("client: input clock not yet at the next tick")
	// ErrResumeFailed wraps the last error of a resume that did not succeed within the grace period.
	ErrResumeFailed = errors.New("client: resume failed")
	// ErrProtocolViolation: the server sent something the protocol does not allow (a snapshot before Welcome,
	// an acknowledgement of an input never sent).
	ErrProtocolViolation = errors.New("client: protocol violation")
)
