package journal

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
)

// DirConfig configures a Dir. Zero values get the defaults listed with each field.
type DirConfig struct {
	Path string // the directory journal files are written to; created if missing (required)
	// MaxFileBytes bounds one file: past it, the room starts the next segment (at its next checkpoint when the Sim
	// has game.Checkpointer, so that every file replays on its own) (64 MiB).
	MaxFileBytes int64
	// KeepFiles is how many segments of a room are kept; older ones are deleted (4).
	KeepFiles int
	// QueueSize bounds the chunks waiting for the writer, all rooms together; a room whose chunk finds the queue
	// full keeps it and tries again at its next tick (256).
	QueueSize int
	// ChunkBytes is how much of a room's journal is gathered before it is handed to the writer (16 KiB); a room
	// hands over at least every FlushTicks ticks (30).
	ChunkBytes int
	FlushTicks int
	// ChunkBuffers is how many chunk buffers one room may have: one being filled, the others queued or being
	// written (4). While all are taken the room keeps its journal in memory; what its next checkpoint discards
	// before the writer took it is lost (a gap, counted in Dropped).
	ChunkBuffers int
	Logger       *slog.Logger // slog.Default()
}

func (c *DirConfig) setDefaults() {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	if c.MaxFileBytes <= 0 {
		c.MaxFileBytes = 64 << 20
	}
	def(&c.KeepFiles, 4)
	def(&c.QueueSize, 256)
	def(&c.ChunkBytes, 16<<10)
	def(&c.FlushTicks, 30)
	def(&c.ChunkBuffers, 4)
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// Dir writes the journals of many rooms to files, one writer goroutine for all of them: rooms hand it chunks without
// ever blocking (Recorder). Files are named ROOM-EPOCH-SEGMENT.twj (EPOCH in hex, SEGMENT from 0000). Safe for
// concurrent use.
type Dir struct {
	cfg     DirConfig
	ch      chan *chunk
	done    chan struct{}
	closing sync.Once
	mu      sync.Mutex // guards closed against sends racing Close
	closed  bool

	dropped atomic.Uint64 // gaps: journal bytes discarded because the writer fell behind
	written atomic.Uint64 // bytes written
	errs    atomic.Uint64 // write errors

	// Owned by the writer goroutine.
	files map[*Recorder]*os.File
}

// ErrDirConfig reports an unusable DirConfig.
var ErrDirConfig = errors.New("journal: bad record directory")

// OpenDir creates the directory if needed and starts the writer.
func OpenDir(cfg DirConfig) (*Dir, error) {
	cfg.setDefaults()
	if cfg.Path == "" {
		return nil, fmt.Errorf("%w: empty path", ErrDirConfig)
	}
	if err := os.MkdirAll(cfg.Path, 0o755); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrDirConfig, err)
	}
	d := &Dir{cfg: cfg, ch: make(chan *chunk, cfg.QueueSize), done: make(chan struct{}), files: map[*Recorder]*os.File{}}
	go d.writer()
	return d, nil
}

// Dropped is the number of gaps in rooms' journals: bytes discarded because the writer fell behind (a gap ends at
// the room's next checkpoint; without a Checkpointer, the room's journal ends there).
func (d *Dir) Dropped() uint64 { return d.dropped.Load() }

// Written is the number of bytes written to files.
func (d *Dir) Written() uint64 { return d.written.Load() }

// Errors is the number of failed file operations (logged).
func (d *Dir) Errors() uint64 { return d.errs.Load() }

// Close flushes what is queued, closes every file and stops the writer. Recorders must not be used after it (their
// writes are dropped).
func (d *Dir) Close() {
	d.closing.Do(func() {
		d.mu.Lock()
		d.closed = true
		close(d.ch)
		d.mu.Unlock()
		<-d.done
	})
}

// chunk is part of a room's journal on its way to the writer.
type chunk struct {
	rec     *Recorder
	buf     []byte
	newFile []byte // non-nil: open the next segment and write this header first
	segment uint32
	last    bool // the room's journal ends: close its file
}

func (d *Dir) send(c *chunk) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return false
	}
	select {
	case d.ch <- c:
		return true
	default:
		return false
	}
}

func (d *Dir) writer() {
	defer close(d.done)
	for c := range d.ch {
		d.write(c)
	}
	for r, f := range d.files {
		d.check(f.Close())
		delete(d.files, r)
	}
}

func (d *Dir) check(err error) {
	if err != nil {
		d.errs.Add(1)
		d.cfg.Logger.Error("journal: writing failed", slog.String("err", err.Error()))
	}
}

func (d *Dir) write(c *chunk) {
	r := c.rec
	if c.newFile != nil {
		if f := d.files[r]; f != nil {
			d.check(f.Close())
		}
		f, err := os.Create(r.fileName(c.segment))
		d.check(err)
		if err == nil {
			d.files[r] = f
			_, err = f.Write(c.newFile)
			d.check(err)
			d.written.Add(uint64(len(c.newFile)))
		} else {
			delete(d.files, r)
		}
		if k := int64(c.segment) - int64(d.cfg.KeepFiles); k >= 0 {
			if err := os.Remove(r.fileName(uint32(k))); err != nil && !errors.Is(err, os.ErrNotExist) {
				d.check(err)
			}
		}
	}
	if f := d.files[r]; f != nil && len(c.buf) > 0 {
		_, err := f.Write(c.buf)
		d.check(err)
		d.written.Add(uint64(len(c.buf)))
	}
	if c.last {
		if f := d.files[r]; f != nil {
			d.check(f.Close())
			delete(d.files, r)
		}
		return
	}
	c.buf, c.newFile = c.buf[:0], c.newFile[:0]
	if len(c.newFile) == 0 {
		c.newFile = nil
	}
	select {
	case r.free <- c:
	default: // cannot happen: free holds every buffer the recorder made
	}
}

// Recorder is one room's journal on its way to a Dir. It is owned by the room goroutine: its methods are not safe
// for concurrent use, and never block.
type Recorder struct {
	// Static after Recorder.
	dir           *Dir
	header        Header
	canCheckpoint bool

	// Owned by the room goroutine.
	free     chan *chunk
	made     int
	cur      *chunk
	ticks    int   // ticks since the last hand-over
	segBytes int64 // bytes of the current segment so far
	segment  uint32
	started  bool
	gap      bool // data was dropped: nothing is recorded until the next checkpoint
	dead     bool // a gap without a Checkpointer: the journal ends here
	nextSeg  bool // the current segment is full: start the next one at the next checkpoint
	closing  bool // Close: the last bytes get a buffer of their own if need be
	dropped  uint64
}

// Recorder makes the recorder of one room. canCheckpoint says whether the room's Sim has game.Checkpointer (then a
// gap or a new segment waits for the room's next checkpoint).
func (d *Dir) Recorder(h Header, canCheckpoint bool) *Recorder {
	return &Recorder{dir: d, header: h, canCheckpoint: canCheckpoint, free: make(chan *chunk, d.cfg.ChunkBuffers)}
}

func (r *Recorder) fileName(seg uint32) string {
	return filepath.Join(r.dir.cfg.Path, fmt.Sprintf("%s-%x-%04d.twj", safeName(r.header.Room), r.header.Epoch, seg))
}

// safeName keeps a room id usable as a file name.
func safeName(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			b[i] = '_'
		}
	}
	return string(b)
}

// WantsCheckpoint says that the recording waits for a checkpoint: data was dropped, or the file is full.
func (r *Recorder) WantsCheckpoint() bool {
	return r != nil && r.canCheckpoint && !r.dead && (r.gap || r.nextSeg)
}

// Dropped is the number of chunks this room lost.
func (r *Recorder) Dropped() uint64 { return r.dropped }

// Write hands the journal bytes of one tick (b, which the recorder copies) to the file. restart says that b begins
// with a checkpoint: a replay can start there, so a gap closes and a full segment rotates. It returns false when it
// could not take b because the writer holds every buffer: the room keeps the bytes and offers them again with the
// next tick's; if it has to discard them (at its next checkpoint), it calls Lost.
func (r *Recorder) Write(b []byte, restart bool) bool {
	if r == nil || r.dead || (r.gap && !restart) {
		return true // nothing to record until a checkpoint
	}
	if r.cur != nil && len(r.cur.buf) >= 4*r.dir.cfg.ChunkBytes && !r.closing {
		r.flush() // a chunk the writer's queue refused earlier
	}
	if r.cur == nil && !r.take() {
		return false
	}
	if len(r.cur.buf) >= 4*r.dir.cfg.ChunkBytes && !r.closing {
		return false
	}
	if !r.started || (restart && r.nextSeg) || (r.nextSeg && !r.canCheckpoint) {
		if r.started {
			r.flush() // the end of the previous segment
			if r.cur == nil && !r.take() || len(r.cur.buf) > 0 {
				return false
			}
			r.segment++
		}
		h := r.header
		h.Segment = r.segment
		r.cur.newFile = AppendHeader(r.cur.newFile[:0], &h)
		r.cur.segment = r.segment
		r.started, r.nextSeg, r.segBytes = true, false, int64(len(r.cur.newFile))
	}
	r.gap = false
	r.cur.buf = append(r.cur.buf, b...)
	r.segBytes += int64(len(b))
	if r.segBytes >= r.dir.cfg.MaxFileBytes {
		r.nextSeg = true
	}
	r.ticks++
	if len(r.cur.buf) >= r.dir.cfg.ChunkBytes || r.ticks >= r.dir.cfg.FlushTicks {
		r.flush()
	}
	return true
}

// Lost says that journal bytes Write refused were discarded: the journal has a gap until the next checkpoint (or
// ends, without a Checkpointer). Counted in Dropped.
func (r *Recorder) Lost() {
	if r == nil || r.dead {
		return
	}
	r.dropped++
	r.dir.dropped.Add(1)
	r.gap = true
	if !r.canCheckpoint {
		r.dead = true
	}
}

// take gets a free chunk buffer, making one while fewer than ChunkBuffers exist.
func (r *Recorder) take() bool {
	select {
	case r.cur = <-r.free:
		return true
	default:
	}
	if r.made < r.dir.cfg.ChunkBuffers || r.closing {
		r.made++
		r.cur = &chunk{rec: r, buf: make([]byte, 0, r.dir.cfg.ChunkBytes+r.dir.cfg.ChunkBytes/4)}
		return true
	}
	return false
}

// flush hands the current chunk to the writer; when the queue is full the chunk stays current (Write stops taking
// bytes once it holds four chunks' worth).
func (r *Recorder) flush() {
	if r.cur == nil || (len(r.cur.buf) == 0 && r.cur.newFile == nil) {
		return
	}
	if r.dir.send(r.cur) {
		r.cur, r.ticks = nil, 0
		r.take() // may fail: the next Write retries
	}
}

// Close hands over b, the rest of the room's journal (restart as for Write), and closes the room's file. It does
// not block: it takes a buffer of its own when the writer holds every one, and when the writer's queue is full the
// rest is dropped (counted) and the file is closed when the Dir is.
func (r *Recorder) Close(b []byte, restart bool) {
	if r == nil || r.dead {
		return
	}
	r.closing = true
	r.Write(b, restart)
	r.dead = true
	if !r.started {
		return // nothing was written
	}
	if r.cur == nil {
		r.take()
	}
	r.cur.last = true
	if !r.dir.send(r.cur) {
		r.dropped++
		r.dir.dropped.Add(1)
	}
	r.cur = nil
}
