package journal

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"unicode/utf8"

	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/proto/snapcodec"
)

// Magic starts every journal file; its last byte is the format version.
const Magic = "TWJ\x01"

// Errors of decoding.
var (
	ErrFormat = errors.New("journal: malformed journal")
	ErrMagic  = errors.New("journal: not a journal file (or another format version)")
)

// Header opens a journal file: what the room's Sim was made with, so a replay can make the same one.
type Header struct {
	Room  string
	Mode  string
	Epoch uint64
	// Game is the Sim's configuration (game.Factory's argument): the seed, tick rate, player cap and settings.
	Game game.Config
	// HistorySize is the room's world history length in ticks (what game.History.Oldest reports depends on it).
	HistorySize int
	// Segment numbers a room's files from 0. A file other than the first begins with a checkpoint when the Sim has
	// game.Checkpointer (it then replays on its own); else it continues the previous one.
	Segment uint32
}

// Checkpoint is the state a replay can start from: the Sim's own state (game.Checkpointer) at the end of tick Tick,
// and the room's world history then (the worlds of the last HistorySize ticks, oldest first), which lag compensation
// reads. Sim is nil at tick 0: the Sim as its factory makes it.
type Checkpoint struct {
	Tick   game.Tick
	Sim    []byte
	Worlds []snapcodec.World
}

// AppendHeader appends the magic and the header: the start of a file.
func AppendHeader(dst []byte, h *Header) []byte {
	dst = append(dst, Magic...)
	var b []byte
	b = appendString(b, h.Room)
	b = appendString(b, h.Mode)
	b = binary.AppendUvarint(b, h.Epoch)
	b = binary.LittleEndian.AppendUint64(b, h.Game.Seed)
	b = binary.AppendUvarint(b, uint64(h.Game.TickRate))
	b = binary.AppendUvarint(b, uint64(h.Game.MaxPlayers))
	b = binary.AppendUvarint(b, uint64(h.HistorySize))
	b = binary.AppendUvarint(b, uint64(h.Segment))
	b = appendMap(b, h.Game.Settings)
	dst = binary.AppendUvarint(dst, uint64(len(b)))
	return append(dst, b...)
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendBytes(b, s []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// appendMap appends a map's pairs sorted by key, so that equal maps encode alike.
func appendMap(b []byte, m map[string]string) []byte {
	b = binary.AppendUvarint(b, uint64(len(m)))
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		b = appendString(b, k)
		b = appendString(b, m[k])
	}
	return b
}

func zigzag(v int64) uint64   { return uint64(v<<1) ^ uint64(v>>63) }
func unzigzag(u uint64) int64 { return int64(u>>1) ^ -int64(u&1) }

// Input flags.
const (
	inMissed = 1 << iota
	inView
	inFrac
)

// Encoder appends entries to Buf. It remembers the current tick (Begin is stored as the step from the previous
// one), so one Encoder writes one stream from its start. The zero value starts before tick 1; Reset starts after a
// given tick (a stream that begins with a checkpoint).
type Encoder struct {
	Buf  []byte
	tick game.Tick
}

// Reset empties Buf and makes tick the current one.
func (enc *Encoder) Reset(tick game.Tick) { enc.Buf, enc.tick = enc.Buf[:0], tick }

// Tick is the current tick: the last Begin appended.
func (enc *Encoder) Tick() game.Tick { return enc.tick }

// Append appends e. It allocates nothing once Buf has grown (a join with claims excepted: it sorts their keys).
func (enc *Encoder) Append(e *Entry) {
	b := append(enc.Buf, byte(e.Kind))
	switch e.Kind {
	case KindBegin:
		b = binary.AppendUvarint(b, uint64(e.Tick-enc.tick))
		enc.tick = e.Tick
	case KindStep:
	case KindHash:
		b = binary.LittleEndian.AppendUint64(b, e.Hash)
	case KindJoin:
		p := &e.Player
		b = binary.AppendUvarint(b, uint64(p.ID))
		b = appendString(b, p.Name)
		b = appendString(b, p.UserID)
		v := byte(0)
		if p.Verified {
			v = 1
		}
		b = append(b, v)
		b = appendMap(b, p.Claims)
		b = append(b, e.JoinErr)
	case KindLeave, KindDisconnected, KindResumed:
		b = binary.AppendUvarint(b, uint64(e.Player.ID))
	case KindInput:
		in := &e.Input
		b = binary.AppendUvarint(b, uint64(e.Player.ID))
		var flags byte
		if in.Missed {
			flags |= inMissed
		}
		if in.View != 0 {
			flags |= inView
		}
		if in.ViewFrac != 0 {
			flags |= inFrac
		}
		n := len(in.Values)
		for n > 0 && in.Values[n-1] == 0 {
			n--
		}
		b = append(b, flags|byte(n)<<4)
		b = binary.AppendUvarint(b, uint64(in.Seq))
		for _, v := range in.Values[:n] {
			b = binary.AppendUvarint(b, zigzag(int64(v)))
		}
		if in.View != 0 {
			b = binary.AppendUvarint(b, zigzag(int64(enc.tick)-int64(in.View)))
		}
		if in.ViewFrac != 0 {
			b = append(b, in.ViewFrac)
		}
	case KindMessage:
		b = binary.AppendUvarint(b, uint64(e.Player.ID))
		b = appendString(b, e.Message.Type)
		b = binary.AppendUvarint(b, uint64(e.Message.Seq))
		b = appendBytes(b, e.Message.Payload)
	default:
		panic(fmt.Sprintf("journal: Append of kind %d", e.Kind))
	}
	enc.Buf = b
}

// AppendCheckpoint appends a checkpoint entry. Worlds are stored field by field as the change from the same entity
// in the previous world, so a history of slowly moving entities costs little.
func (enc *Encoder) AppendCheckpoint(c *Checkpoint) {
	b := append(enc.Buf, byte(KindCheckpoint))
	var body []byte
	body = binary.AppendUvarint(body, uint64(c.Tick))
	if c.Sim == nil {
		body = append(body, 0)
	} else {
		body = append(body, 1)
		body = appendBytes(body, c.Sim)
	}
	body = binary.AppendUvarint(body, uint64(len(c.Worlds)))
	var prev []game.Entity
	for i := range c.Worlds {
		w := &c.Worlds[i]
		body = binary.AppendUvarint(body, uint64(w.Tick))
		body = appendWorld(body, prev, w.Entities)
		prev = w.Entities
	}
	b = binary.AppendUvarint(b, uint64(len(body)))
	enc.Buf = append(b, body...)
	enc.tick = c.Tick
}

func appendWorld(b []byte, prev, es []game.Entity) []byte {
	b = binary.AppendUvarint(b, uint64(len(es)))
	var lastID uint32
	j := 0
	for i := range es {
		e := &es[i]
		b = binary.AppendUvarint(b, uint64(e.ID-lastID))
		lastID = e.ID
		for j < len(prev) && prev[j].ID < e.ID {
			j++
		}
		var base *[game.MaxFields]int32
		if j < len(prev) && prev[j].ID == e.ID && prev[j].Kind == e.Kind {
			base = &prev[j].Fields
		}
		n := game.MaxFields
		for n > 0 && fieldDiff(e, base, n-1) == 0 {
			n--
		}
		b = append(b, e.Kind, byte(n))
		for f := 0; f < n; f++ {
			b = binary.AppendUvarint(b, zigzag(fieldDiff(e, base, f)))
		}
		n = min(int(e.DataLen), game.MaxData)
		b = append(b, byte(n))
		b = append(b, e.Data[:n]...)
	}
	return b
}

func fieldDiff(e *game.Entity, base *[game.MaxFields]int32, f int) int64 {
	if base == nil {
		return int64(e.Fields[f])
	}
	return int64(e.Fields[f]) - int64(base[f])
}

// reader reads the primitives of the format; any overrun sets err (ErrFormat) and later reads return zeros.
type reader struct {
	b   []byte
	err error
}

func (r *reader) fail() {
	if r.err == nil {
		r.err = ErrFormat
	}
	r.b = nil
}

func (r *reader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

// u32 reads a uvarint that must fit 32 bits.
func (r *reader) u32() uint32 {
	v := r.uvarint()
	if v > 1<<32-1 {
		r.fail()
		return 0
	}
	return uint32(v)
}

func (r *reader) byte() byte {
	if len(r.b) < 1 {
		r.fail()
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *reader) bytes() []byte {
	n := r.uvarint()
	if n > uint64(len(r.b)) {
		r.fail()
		return nil
	}
	s := r.b[:n:n]
	r.b = r.b[n:]
	return s
}

func (r *reader) string() string { return string(r.bytes()) }

func (r *reader) u64le() uint64 {
	if len(r.b) < 8 {
		r.fail()
		return 0
	}
	v := binary.LittleEndian.Uint64(r.b)
	r.b = r.b[8:]
	return v
}

func (r *reader) smallInt(max uint64) int {
	v := r.uvarint()
	if v > max {
		r.fail()
		return 0
	}
	return int(v)
}

func (r *reader) stringMap() map[string]string {
	n := r.uvarint()
	if n > uint64(len(r.b))/2 {
		r.fail()
		return nil
	}
	if n == 0 {
		return nil
	}
	m := make(map[string]string, n)
	for range n {
		k := r.string()
		m[k] = r.string()
	}
	return m
}

// Decoder reads a journal file from memory: the header, then entries in order.
type Decoder struct {
	r      reader
	body   []byte // the entries, after the header
	tick   game.Tick
	Header Header
	ckpt   Checkpoint
}

// NewDecoder checks the magic and reads the header of file.
func NewDecoder(file []byte) (*Decoder, error) {
	if len(file) < len(Magic) || string(file[:len(Magic)]) != Magic {
		return nil, ErrMagic
	}
	d := &Decoder{r: reader{b: file[len(Magic):]}}
	hr := reader{b: d.r.bytes()}
	if d.r.err != nil {
		return nil, d.r.err
	}
	d.body = d.r.b
	h := &d.Header
	h.Room = hr.string()
	h.Mode = hr.string()
	h.Epoch = hr.uvarint()
	h.Game.Seed = hr.u64le()
	h.Game.TickRate = hr.smallInt(1000)
	h.Game.MaxPlayers = hr.smallInt(1 << 16)
	h.HistorySize = hr.smallInt(1 << 20)
	h.Segment = hr.u32()
	h.Game.Settings = hr.stringMap()
	if hr.err != nil {
		return nil, hr.err
	}
	return d, nil
}

// Body is the file after its header: the entries.
func (d *Decoder) Body() []byte { return d.body }

// Tick is the current tick: the last Begin (or checkpoint) read.
func (d *Decoder) Tick() game.Tick { return d.tick }

// Rest is the number of bytes not read yet.
func (d *Decoder) Rest() int { return len(d.r.b) }

// Next reads the next entry into e; io.EOF-like end is reported as ok false with a nil error. A checkpoint entry
// leaves its content in Checkpoint (valid until the next checkpoint). Strings are copied; Message.Payload aliases the
// file.
func (d *Decoder) Next(e *Entry) (ok bool, err error) {
	if len(d.r.b) == 0 {
		return false, d.r.err
	}
	r := &d.r
	*e = Entry{Kind: Kind(r.byte())}
	switch e.Kind {
	case KindBegin:
		step := r.u32()
		if step == 0 || uint64(d.tick)+uint64(step) > 1<<32-1 {
			r.fail()
			break
		}
		d.tick += game.Tick(step)
		e.Tick = d.tick
	case KindStep:
	case KindHash:
		e.Hash = r.u64le()
	case KindJoin:
		p := &e.Player
		p.ID = game.PlayerID(r.u32())
		p.Name = r.string()
		p.UserID = r.string()
		p.Verified = r.byte() == 1
		p.Claims = r.stringMap()
		e.JoinErr = r.byte()
	case KindLeave, KindDisconnected, KindResumed:
		e.Player.ID = game.PlayerID(r.u32())
	case KindInput:
		e.Player.ID = game.PlayerID(r.u32())
		flags := r.byte()
		n := int(flags >> 4)
		if n > game.MaxInputValues {
			r.fail()
			break
		}
		in := &e.Input
		in.Tick = d.tick
		in.Missed = flags&inMissed != 0
		in.Seq = r.u32()
		for i := range n {
			v := unzigzag(r.uvarint())
			if v != int64(int32(v)) {
				r.fail()
			}
			in.Values[i] = int32(v)
		}
		if flags&inView != 0 {
			v := int64(d.tick) - unzigzag(r.uvarint())
			if v <= 0 || v > 1<<32-1 {
				r.fail()
			}
			in.View = game.Tick(v)
		}
		if flags&inFrac != 0 {
			in.ViewFrac = r.byte()
		}
	case KindMessage:
		e.Player.ID = game.PlayerID(r.u32())
		e.Message.Type = r.string()
		e.Message.Seq = r.u32()
		e.Message.Payload = r.bytes()
		if len(e.Message.Type) > game.MaxMessageType || !utf8.ValidString(e.Message.Type) ||
			len(e.Message.Payload) > game.MaxMessageBytes {
			r.fail()
		}
	case KindCheckpoint:
		body := reader{b: r.bytes()}
		if r.err == nil {
			r.err = d.readCheckpoint(&body)
		}
	default:
		r.fail()
	}
	if r.err != nil {
		return false, r.err
	}
	return true, nil
}

// Checkpoint is the last checkpoint read (valid until the next one).
func (d *Decoder) Checkpoint() *Checkpoint { return &d.ckpt }

func (d *Decoder) readCheckpoint(r *reader) error {
	c := &d.ckpt
	c.Tick = game.Tick(r.u32())
	c.Sim = nil
	if r.byte() == 1 {
		c.Sim = r.bytes()
	}
	n := r.uvarint()
	if n > uint64(len(r.b)) || n > 1<<20 {
		return ErrFormat
	}
	c.Worlds = make([]snapcodec.World, n)
	var prev []game.Entity
	for i := range c.Worlds {
		w := &c.Worlds[i]
		w.Tick = r.u32()
		w.Entities = readWorld(r, prev)
		if r.err != nil {
			return r.err
		}
		if w.Tick > uint32(c.Tick) || (i > 0 && w.Tick <= c.Worlds[i-1].Tick) {
			return ErrFormat
		}
		prev = w.Entities
	}
	if r.err != nil || len(r.b) != 0 {
		return ErrFormat
	}
	d.tick = c.Tick
	return nil
}

func readWorld(r *reader, prev []game.Entity) []game.Entity {
	n := r.uvarint()
	if n > uint64(len(r.b))/3 {
		r.fail()
		return nil
	}
	es := make([]game.Entity, n)
	var lastID uint64
	j := 0
	for i := range es {
		e := &es[i]
		step := r.uvarint()
		if (i > 0 && step == 0) || lastID+step > 1<<32-1 {
			r.fail()
			return nil
		}
		lastID += step
		e.ID = uint32(lastID)
		e.Kind = r.byte()
		nf := int(r.byte())
		if nf > game.MaxFields {
			r.fail()
			return nil
		}
		for j < len(prev) && prev[j].ID < e.ID {
			j++
		}
		var base *[game.MaxFields]int32
		if j < len(prev) && prev[j].ID == e.ID && prev[j].Kind == e.Kind {
			base = &prev[j].Fields
		}
		for f := range game.MaxFields {
			var v int64
			if f < nf {
				v = unzigzag(r.uvarint())
			}
			if base != nil {
				v += int64(base[f])
			}
			if v != int64(int32(v)) {
				r.fail()
				return nil
			}
			e.Fields[f] = int32(v)
		}
		dl := int(r.byte())
		if dl > game.MaxData || dl > len(r.b) {
			r.fail()
			return nil
		}
		e.DataLen = uint8(copy(e.Data[:], r.b[:dl]))
		r.b = r.b[dl:]
	}
	return es
}
