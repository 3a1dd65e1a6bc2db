package room

import "errors"

// Errors of Join, Resume and New. The transport maps them to close codes.
var (
	ErrFull          = errors.New("room: full")               // CLOSE_ROOM_FULL
	ErrEnded         = errors.New("room: ended")              // CLOSE_ROOM_ENDED
	ErrResumeExpired = errors.New("room: resume expired")     // CLOSE_RESUME_EXPIRED: the slot is gone
	ErrUnknownPlayer = errors.New("room: unknown player")     // CLOSE_INVALID_TOKEN: never in this room
	ErrRejected      = errors.New("room: join rejected")      // the game refused the player (CLOSE_ROOM_FULL or BAD_FRAME)
	ErrBusy          = errors.New("room: control queue full") // CLOSE_SERVER_BUSY
	ErrBadConfig     = errors.New("room: bad config")
)

// Close codes the room uses (values of proto.CloseCode).
const (
	CloseSlowConsumer = 4000
	CloseSuperseded   = 4503
	CloseRoomEnded    = 4509
	CloseRoomFailed   = 4510
	CloseLeft         = 4511
)
