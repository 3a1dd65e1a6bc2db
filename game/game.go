// Package game is the contract between a game and the Tickwire room engine.
//
// A game developer implements Sim (the simulation of one room) and a Factory that makes one per room. The engine owns
// the clock, the network, input queues and snapshots; the game owns the rules. A Sim is pure and deterministic: it
// imports only the standard library, never reads the wall clock, does no I/O, and takes all randomness from
// Config.Seed. Two Sims made with the same Config and fed the same calls produce the same entities, tick for tick.
//
// The engine delta-compresses snapshots without knowing the game's types: a Sim describes its entities as a Schema of
// kinds with up to MaxFields integer fields each, and writes its state as a sorted list of Entity values.
//
// A Sim is owned by one room goroutine and is never called concurrently; it needs no locks.
package game

import "errors"

// Limits of the generic state and input representation.
const (
	// MaxFields is the most integer fields an entity kind may have.
	MaxFields = 32
	// MaxData is the most bytes of an entity's byte string (KindSpec.Data).
	MaxData = 32
	// MaxInputValues is the most values an Input may carry.
	MaxInputValues = 8
)

// Errors a Sim returns from Join.
var (
	ErrFull     = errors.New("game: room is full")
	ErrRejected = errors.New("game: join rejected")
)

// PlayerID identifies a player within a room. The engine assigns ids from 1 upward and never reuses one within a room.
type PlayerID uint32

// Player is a player joining a room: the engine's id for its slot and who it is.
type Player struct {
	ID PlayerID
	// Name is the display name: the player token's "name" claim when the player is verified and the token has one,
	// else the name the client asked for (at most 32 bytes of valid UTF-8; may be empty).
	Name string
	// UserID is the user id the server verified (the player token's "sub", or what the server's Authenticate hook
	// decided); empty for an anonymous player.
	UserID string
	// Claims are the player token's other claims as text (JSON text for values that are not strings); nil for an
	// anonymous player. Shared with the engine: read them, never modify them.
	Claims map[string]string
	// Verified is true when UserID, Name and Claims come from a verified player token or the server's Authenticate
	// hook; false for anonymous play, where nothing is known about the player.
	Verified bool
}

// Tick numbers simulation steps from 1.
type Tick uint32

// FieldSpec describes one integer field of an entity kind.
type FieldSpec struct {
	Name string
	// RateField is 1 + the index of the field that holds this field's change per tick, or 0 for none. The snapshot
	// codec predicts the field as value + rate × elapsed ticks and sends only the difference, so an entity moving in a
	// straight line costs nothing after it appears. The Sim should store the rate it actually applied (zero when a
	// wall stopped the entity) so that the prediction holds.
	RateField uint8
	// Wrap, when non-zero, says the field's values live on a circle of this many units (an angle): clients
	// interpolate it the shorter way round.
	Wrap int32
	// Teleport, when non-zero, is the largest change per tick that is motion: a larger one (a respawn) is drawn at
	// once, not interpolated or smoothed.
	Teleport int32
}

// KindSpec describes one kind of entity.
type KindSpec struct {
	ID     uint8
	Name   string
	Fields []FieldSpec // at most MaxFields
	// Data says that entities of the kind also carry a byte string of up to MaxData bytes (Entity.Data): a name, a
	// card id. It is sent whole when it changes.
	Data bool
}

// InputField describes one value of an Input, with inclusive bounds. The engine refuses inputs outside them before
// the Sim sees them.
type InputField struct {
	Name     string
	Min, Max int32
}

// InputFill is what the engine applies for a connected player at a tick for which no input arrived in time.
type InputFill uint8

// Input fill policies.
const (
	// FillRepeat applies the player's last applied input again (neutral before the first one).
	FillRepeat InputFill = iota
	// FillNeutral applies every value 0 clamped into its field's bounds.
	FillNeutral
)

// Schema is a game's static description. It must not change after the Sim is made.
type Schema struct {
	Kinds []KindSpec
	Input []InputField // at most MaxInputValues
	// Fill is what the engine applies at a tick for which a connected player's input did not arrive in time (missed).
	Fill InputFill
	// Params are constants a client needs to predict and draw (world size, fixed-point scale, speeds).
	Params map[string]int32
}

// Validate reports whether the schema is within the engine's limits.
func (s *Schema) Validate() error {
	if len(s.Input) > MaxInputValues {
		return errors.New("game: too many input values")
	}
	seen := map[uint8]bool{}
	for _, k := range s.Kinds {
		if seen[k.ID] {
			return errors.New("game: duplicate kind id")
		}
		seen[k.ID] = true
		if len(k.Fields) > MaxFields {
			return errors.New("game: too many fields in kind " + k.Name)
		}
		for _, f := range k.Fields {
			if int(f.RateField) > len(k.Fields) {
				return errors.New("game: rate field out of range in kind " + k.Name)
			}
			if f.Wrap < 0 || f.Teleport < 0 {
				return errors.New("game: negative wrap or teleport in kind " + k.Name)
			}
		}
	}
	if s.Fill > FillNeutral {
		return errors.New("game: unknown input fill policy")
	}
	for _, in := range s.Input {
		if in.Min > in.Max {
			return errors.New("game: input " + in.Name + " has min > max")
		}
	}
	return nil
}

// Entity is one entity's state as the engine snapshots it. Fields beyond the kind's field count are zero.
type Entity struct {
	ID     uint32
	Kind   uint8
	Fields [MaxFields]int32
	// DataLen bytes of Data are the entity's byte string, for a kind with KindSpec.Data (else 0). Bytes beyond
	// DataLen are zero.
	DataLen uint8
	Data    [MaxData]byte
}

// SetData sets the entity's byte string, cut to MaxData bytes.
func (e *Entity) SetData(b []byte) {
	n := copy(e.Data[:], b)
	clear(e.Data[n:])
	e.DataLen = uint8(n)
}

// Bytes returns the entity's byte string (aliasing e).
func (e *Entity) Bytes() []byte { return e.Data[:e.DataLen] }

// Input is one validated input of one player for one tick. Values has one entry per Schema.Input field, within its
// bounds.
type Input struct {
	Seq    uint32 // the client's sequence number; 0 for a fill
	Tick   Tick   // the tick it is applied at
	Values [MaxInputValues]int32
	// Missed is true when no input arrived in time for this tick: Values follow Schema.Fill.
	Missed bool
	// View is the moment the client was drawing when it sampled the input (whole tick, and ViewFrac/256 of the next),
	// for lag compensation; 0 when unknown. The engine clamps it to the room's rewind window and to the newest
	// snapshot the client held, so a client can never claim to have seen the future or the distant past. A missed
	// input carries the View of the last real one.
	View     Tick
	ViewFrac uint8
}

// Event is a reliable event a Sim reports during a Step or HandleMessage (a hit, a kill, a chat line). The engine
// delivers it to every connected player, or only to To when it is set (Events.AddTo, Events.AddToSet).
type Event struct {
	Type   string // a constant string: the engine does not copy it
	Player PlayerID
	Args   [4]int32
	NArgs  uint8
	// Payload is game-specific bytes (Event.payload on the wire; at most MaxMessageBytes, longer is cut), for example
	// a chat line: string(m.Payload) of a Message. A string keeps Event comparable and immutable.
	Payload string
	// To is the only player who receives the event; 0: every connected player. A player not connected (in its grace
	// period, or gone) does not receive an event meant for it alone.
	To PlayerID
}

// Events collects what a tick reports. The engine reuses it between ticks.
type Events struct {
	List []Event
}

// Add appends an event for every player.
func (e *Events) Add(ev Event) { ev.To = 0; e.List = append(e.List, ev) }

// AddTo appends an event for player p alone.
func (e *Events) AddTo(p PlayerID, ev Event) {
	if p == 0 {
		return // not a player: 0 would mean everyone
	}
	ev.To = p
	e.List = append(e.List, ev)
}

// AddToSet appends an event for each of players (a team, the players near something). Each receives it once per id
// listed; ids that are 0 are skipped.
func (e *Events) AddToSet(players []PlayerID, ev Event) {
	for _, p := range players {
		e.AddTo(p, ev)
	}
}

// Reset empties the list, keeping its storage.
func (e *Events) Reset() { e.List = e.List[:0] }

// PlayerResult is one player's standing when a match ends.
type PlayerResult struct {
	Player PlayerID
	Score  int32
	Rank   int // 1 is best; equal scores share a rank
}

// Result ends a match.
type Result struct {
	Reason  string // "time_limit", "score_limit", ...
	Players []PlayerResult
}

// Config is what the engine tells a Sim about its room.
type Config struct {
	Seed       uint64
	TickRate   int // ticks per second
	MaxPlayers int
	// Settings are the game's own options from the room's creator (for the arena: "time_limit_s", "score_limit").
	Settings map[string]string
}

// History is the room's record of the worlds of recent ticks (what snapshots carried), for lag compensation: a Sim
// can look at where an entity was at the moment a player was drawing. It is valid only during the Sim call it was
// used in.
type History interface {
	// Entity returns entity id as the world held it at the end of tick t; false when t is outside the history (older
	// than the rewind window, or not simulated yet) or the entity did not exist then.
	Entity(t Tick, id uint32) (Entity, bool)
	// Oldest is the oldest tick the history still holds.
	Oldest() Tick
}

// HistoryUser is implemented by a Sim that rewinds (lag compensation). The engine calls UseHistory once, before the
// first tick, with the room's history; the Sim keeps it and reads it during ApplyInput and Step.
type HistoryUser interface {
	UseHistory(h History)
}

// Limits of a Message.
const (
	// MaxMessageType is the longest Message.Type, in bytes.
	MaxMessageType = 32
	// MaxMessageBytes is the largest Message.Payload (and Event.Payload), in bytes.
	MaxMessageBytes = 1024
)

// Backend is the sender of a message that came from the game's backend through the service API (Nakama's match
// signal), not from a player. The engine never assigns it to a player.
const Backend PlayerID = 0

// Message is a typed, reliable message to the game outside the per-tick input stream: from a player (chat, "ready",
// "buy item", "play card") or from the backend (from == Backend).
type Message struct {
	Type    string // 1..MaxMessageType bytes of UTF-8, named by the game
	Payload []byte // at most MaxMessageBytes; valid until the end of the tick: copy what must be kept
	Seq     uint32 // the client's optional sequence number (0: none); 0 for the backend
}

// MessageHandler is implemented by a Sim that takes messages. The engine queues the messages that arrive between two
// ticks in arrival order and, at the start of the next tick t, calls HandleMessage for each BEFORE applying tick t's
// inputs and before Step(t). ev is the same list Step(t) will report into: events added here are delivered with the
// tick's events (Events.AddTo(from, ...) answers the sender alone).
//
// A message from a player comes only while that player is connected; one from the backend has from == Backend and
// its reply (nil: none) is returned to the backend's request. A reply to a player's message is ignored: answer with
// an Event. A Sim without this method never gets messages: players' messages are dropped and the backend's request
// is refused as not supported.
type MessageHandler interface {
	HandleMessage(t Tick, from PlayerID, m *Message, ev *Events) (reply []byte)
}

// Visibility is implemented by a Sim whose players do not all see the whole world: cards in a hand, fog of war,
// interest management (package game/interest). A Sim without it sends every player the whole world.
//
// The engine calls it from the room goroutine at each snapshot tick, after AppendEntities. Each player's snapshot
// then holds only its view, delta-encoded against the view it was last sent: an entity entering a view arrives as a
// new entity with all its fields, one leaving it as a removed one. Players whose views have the same key share one
// view and one encoding, so the cost grows with the number of distinct views, not with players × entities:
//   - visible to all: key 0 (AppendView is not called; the whole world is the view);
//   - per team or per audience (a team's fog of war): the team's number as the key;
//   - per player (a hand of cards, a radius around the player): a key unique to the player, such as its id.
type Visibility interface {
	// ViewKey says which view player p gets this tick: players with equal keys must see the same entities. 0 is
	// the whole world.
	ViewKey(p PlayerID) uint64
	// AppendView appends the entities of world (this tick's AppendEntities, sorted by ID) that the view key sees,
	// in ascending ID order, and returns the extended slice; p is one of the players with that key. Entities are
	// copied as they are (a view hides whole entities, not fields).
	AppendView(dst []Entity, world []Entity, p PlayerID, key uint64) []Entity
}

// Checkpointer is implemented by a Sim that can save and restore its whole state, so that a room can be replayed from
// a checkpoint instead of from its first tick, and moved to another process (package journal, the room's Export and
// Import). The engine calls both between ticks, from the room goroutine.
//
// Checkpoint returns the state as bytes the Sim owns no more. Restore is called on a Sim its Factory just made with
// the same Config, before any other call but Schema and UseHistory; after it, the Sim behaves exactly as the one that
// made the checkpoint: the same entities, and the same answers to every later call (its random generator included).
// Restore fails on bytes it cannot read; the Sim is then unusable. Static parts (Config, Schema) need not be saved.
type Checkpointer interface {
	Checkpoint() []byte
	Restore(state []byte) error
}

// Recoverer is implemented by a Sim that wants to know when its room was rebuilt on another node after the node
// running it died (cluster crash recovery). The room is rebuilt from its last streamed checkpoint and journal
// entries; the ticks after the last streamed one are lost (every player's input missing for them) and the room runs
// lostTicks ticks at once to get back to where its players saw it. Recovered is called once, from the room
// goroutine, before those ticks. It is not in the room's journal (a replay does not call it): it must not change
// what the Sim does to its world; it may remember to report the loss (an event at its next Step).
type Recoverer interface {
	Recovered(lostTicks int)
}

// Sim is the simulation of one room. All methods are called from the room goroutine only.
type Sim interface {
	// Schema describes the game's entities and inputs. It is called once.
	Schema() *Schema
	// Join adds a player (for a new slot, not a resume) with its identity: a game may refuse players by it (with
	// ErrRejected: anonymous ones, a banned user id, a claim it requires) or use it (a team from a claim). It may
	// refuse with ErrFull or ErrRejected. The identity does not change during the player's stay: a resume keeps it.
	Join(p Player) error
	// Leave removes a player for good: it left, or its grace period ran out.
	Leave(p PlayerID)
	// Disconnected says that a player's connection dropped; the player stays in the world during the grace period.
	Disconnected(p PlayerID)
	// Resumed says that a disconnected player is back.
	Resumed(p PlayerID)
	// ApplyInput applies one player's input for tick t (in.Tick == t). The engine calls it exactly once per connected
	// player per tick, in ascending player order, before the Step of that tick: a real input when one arrived in time,
	// else the Schema's Fill with in.Missed set. It is not called for a player in its grace period. The Sim enforces
	// its own rules (such as shots per second) here.
	ApplyInput(t Tick, p PlayerID, in *Input)
	// Step advances the world to tick t and reports what happened.
	Step(t Tick, ev *Events)
	// AppendEntities appends the whole world, sorted by ascending ID, and returns the extended slice.
	AppendEntities(dst []Entity) []Entity
	// Result reports whether the match has ended, and how. The engine calls it after each Step.
	Result() (Result, bool)
}

// Factory makes the Sim of a new room.
type Factory func(cfg Config) (Sim, error)
