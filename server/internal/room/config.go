package room

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/server/internal/journal"
)

// The default per-connection message rate limit: messages per second on average, and in one burst.
const (
	DefaultMessageRate  = 20
	DefaultMessageBurst = 40
)

// Config is a room's configuration. Zero values get the defaults listed with each field.
type Config struct {
	ID    string // required
	Mode  string // game mode name sent in Welcome (e.g. "arena")
	Epoch uint64 // changes when a room with this ID is restarted

	TickRate      int // simulation ticks per second (30)
	SnapshotEvery int // a snapshot every this many ticks: snapshot rate = TickRate/SnapshotEvery (1)
	MaxPlayers    int // slots, counting players in their grace period (16)

	// InboxSize bounds the inputs and acks waiting for the loop; beyond it they are dropped ("inbox_full") (16 per
	// player slot, at least 64: half a second of inputs from every player at 30 Hz, whereas the loop drains the inbox
	// every tick).
	InboxSize        int
	ControlQueueSize int // joins, resumes and broadcasts waiting for the loop; beyond it they fail with ErrBusy (256)
	// MessageQueueSize bounds the players' and the backend's messages waiting for the next tick; beyond it Message and
	// Signal fail with ErrMessageQueueFull (256).
	MessageQueueSize int
	// MessageRate and MessageBurst are the per-connection message rate limit the room announces in Welcome
	// (message_rate, message_burst); the transport enforces it (DefaultMessageRate, DefaultMessageBurst).
	MessageRate  int
	MessageBurst int
	// MaxMessageBytes is the largest message payload the room announces in Welcome (max_message_bytes); the
	// transport enforces it (game.MaxMessageBytes, also the most it may be).
	MaxMessageBytes int
	// InputWindow is how many ticks ahead of the room's tick an input may be addressed to; each player's input
	// buffer has InputWindow+1 slots, and inputs further ahead are refused ("early") (ticks of 1 s, at least 8).
	InputWindow int
	// HistorySize is how many ticks of world history are kept for baselines and lag compensation (32, or more when
	// MaxRewind needs it). A session's baseline is the last snapshot its writer took, so a delta needs at most a few
	// ticks unless the client stalls; one that fell further behind gets a full snapshot. The history is the room's
	// largest memory per player (a packed world per tick).
	HistorySize int
	// MaxCatchUp is the most ticks run back to back when the loop is late; beyond it the room drops the rest from its
	// schedule and falls behind, which moves its timeline later for every client (their input clocks and render
	// clocks must then slew to it). One second of ticks by default: a room held up by a stall shorter than that (a
	// busy or frozen machine, a long pause) catches up and its clients see a burst of snapshots, not a new timeline.
	MaxCatchUp int
	// EventBufferSize is the size in bytes of the slabs reliable frames (welcomes, events) are carved from (4096: a
	// slab a room keeps is memory per room; a full one is let go with the last frame carved from it).
	EventBufferSize int

	// MaxRewind bounds lag compensation: an input's View is never older than this before the tick it is applied at
	// (250ms, or less when HistorySize is set too small for it; rounded up to whole ticks, and below HistorySize
	// ticks).
	MaxRewind    time.Duration
	Grace        time.Duration // a disconnected player's slot is kept this long, counted in ticks (10s)
	EmptyTimeout time.Duration // the room ends after being empty this long (30s)
	HashInterval int           // state_hash on snapshots whose tick is a multiple of this; 0: never (30)
	// Heartbeat is the Welcome.heartbeat_ms the room announces (the transport enforces it) (5s).
	Heartbeat time.Duration
	// Phase delays the room's tick schedule by this much, within one tick interval (0). Rooms of one process should
	// not all tick at the same instant: each tick ends in a burst of snapshot writes, and aligned rooms would queue
	// every player's snapshot behind every other room's. The directory spreads phases over the interval.
	Phase time.Duration

	// StallTimeout fails the room (CLOSE_ROOM_FAILED, a room_error event) when one Sim.Step runs longer than this;
	// the stuck goroutine is abandoned and other rooms are unaffected. 0: no watchdog.
	StallTimeout time.Duration

	// Game is the Sim's configuration (what its Factory was called with): the journal's header records it, so that
	// a replay or an Import makes the same Sim.
	Game game.Config
	// Journal, when set, receives the room's journal (journal.go): every call into the Sim, tick by tick.
	Journal *journal.Dir
	// CheckpointEvery is how often, in ticks, a room whose Sim has game.Checkpointer checkpoints it: the journal kept
	// in memory (for Export) and each file's replay start from the last checkpoint (ticks of 10 s).
	CheckpointEvery int
	// JournalTail bounds the journal the room keeps in memory since its last checkpoint, in bytes; past it, a room
	// checkpoints early, or, without a Checkpointer, stops keeping it (Export then fails) (4 MiB).
	JournalTail int
	// Stream, when set, is called once as the room is made (with its id) for the Streamer its journal is streamed to
	// (crash recovery, stream.go); it may return nil: not streamed.
	Stream func(roomID string) Streamer
	// Peers, when set, is called at each Welcome for the WebSocket addresses of the other nodes of the cluster
	// (Welcome.nodes): where a client resumes when this node cannot be reached. It must return quickly.
	Peers func() []string

	Clock    Clock        // SystemClock
	Logger   *slog.Logger // slog.Default()
	Observer Observer     // no-op
	// OnEvent receives room events. It runs on the room goroutine: it must return quickly, never block, and never
	// call Join or Resume of this room (Info and the non-blocking methods are fine).
	OnEvent func(Event)
}

func (c *Config) setDefaults() {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&c.TickRate, 30)
	def(&c.SnapshotEvery, 1)
	def(&c.MaxPlayers, 16)
	def(&c.InboxSize, max(64, 16*c.MaxPlayers))
	def(&c.ControlQueueSize, 256)
	def(&c.MessageQueueSize, 256)
	def(&c.MessageRate, DefaultMessageRate)
	def(&c.MessageBurst, DefaultMessageBurst)
	def(&c.MaxMessageBytes, game.MaxMessageBytes)
	def(&c.InputWindow, max(c.TickRate, 8))
	def(&c.MaxCatchUp, c.TickRate)
	def(&c.EventBufferSize, 4096)
	def(&c.HashInterval, 30)
	def(&c.CheckpointEvery, 10*c.TickRate)
	def(&c.JournalTail, 4<<20)
	if c.MaxRewind == 0 {
		c.MaxRewind = 250 * time.Millisecond
		if c.HistorySize > 1 && c.TickRate > 0 { // a small history set on purpose bounds the default rewind
			c.MaxRewind = min(c.MaxRewind, time.Duration(c.HistorySize-1)*time.Second/time.Duration(c.TickRate))
		}
	}
	def(&c.HistorySize, max(32, int(c.ticks(c.MaxRewind))+2*c.SnapshotEvery))
	if c.Grace == 0 {
		c.Grace = 10 * time.Second
	}
	if c.EmptyTimeout == 0 {
		c.EmptyTimeout = 30 * time.Second
	}
	if c.Heartbeat == 0 {
		c.Heartbeat = 5 * time.Second
	}
	if c.Clock == nil {
		c.Clock = SystemClock{}
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Observer == nil {
		c.Observer = NopObserver{}
	}
}

// Validate reports a configuration the room cannot run, after defaults are applied.
func (c *Config) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrBadConfig}, args...)...)
	}
	switch {
	case c.ID == "":
		return bad("empty ID")
	case c.TickRate < 1 || c.TickRate > 1000:
		return bad("TickRate %d not in 1..1000", c.TickRate)
	case c.SnapshotEvery < 1 || c.SnapshotEvery > c.TickRate:
		return bad("SnapshotEvery %d not in 1..TickRate", c.SnapshotEvery)
	case c.MaxPlayers < 1 || c.MaxPlayers > 65535:
		return bad("MaxPlayers %d not in 1..65535", c.MaxPlayers)
	case c.InboxSize < 1, c.ControlQueueSize < 1, c.MessageQueueSize < 1, c.MaxCatchUp < 1:
		return bad("queue sizes and MaxCatchUp must be positive")
	case c.MaxMessageBytes < 1 || c.MaxMessageBytes > game.MaxMessageBytes:
		return bad("MaxMessageBytes %d not in 1..%d", c.MaxMessageBytes, game.MaxMessageBytes)
	case c.InputWindow < 1 || c.InputWindow > 4096:
		return bad("InputWindow %d not in 1..4096 ticks", c.InputWindow)
	case c.MaxRewind < 0 || c.ticks(c.MaxRewind) >= uint32(c.HistorySize):
		return bad("MaxRewind %v must not be negative and must be shorter than HistorySize (%d ticks)", c.MaxRewind, c.HistorySize)
	case c.HistorySize < 2*c.SnapshotEvery:
		return bad("HistorySize %d must hold at least two snapshots", c.HistorySize)
	case c.EventBufferSize < 1024:
		return bad("EventBufferSize %d below 1024", c.EventBufferSize)
	case c.HashInterval < 0 || (c.HashInterval > 0 && c.HashInterval%c.SnapshotEvery != 0):
		return bad("HashInterval %d must be 0 or a multiple of SnapshotEvery", c.HashInterval)
	case c.CheckpointEvery < 1 || c.JournalTail < 1:
		return bad("CheckpointEvery and JournalTail must be positive")
	case c.Phase < 0 || c.Phase >= time.Second/time.Duration(c.TickRate):
		return bad("Phase %v not within one tick interval", c.Phase)
	case c.Grace < 0 || c.EmptyTimeout < 0 || c.Heartbeat < 0 || c.StallTimeout < 0:
		return bad("negative duration")
	}
	return nil
}

// ticks converts a duration to whole ticks, rounding up.
func (c *Config) ticks(d time.Duration) uint32 {
	return uint32((int64(d)*int64(c.TickRate) + int64(time.Second) - 1) / int64(time.Second))
}
