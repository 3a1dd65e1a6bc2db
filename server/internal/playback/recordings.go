package playback

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/tickwire/tickwire/server/internal/journal"
)

// Errors of the record directory.
var (
	ErrBadID    = errors.New("playback: bad recording id")
	ErrNotFound = errors.New("playback: no such recording")
	ErrTooLarge = errors.New("playback: the recording is larger than the playback limit")
)

// Recording is one room's recording: its files ROOM-EPOCH-NNNN.twj, in segment order.
type Recording struct {
	// ID names the recording in the watch URL: ROOM-EPOCH (the file names without the segment).
	ID    string `json:"id"`
	Room  string `json:"room"`
	Mode  string `json:"mode"`
	Epoch uint64 `json:"epoch"`
	// TickRate is the recorded room's ticks per second.
	TickRate int `json:"tick_rate"`
	// Files are the file names, oldest segment first; FirstSegment is the first's number (above 0 when the older
	// files were rotated away: the playback then starts at the first file's checkpoint).
	Files        []string  `json:"files"`
	FirstSegment uint32    `json:"first_segment"`
	Bytes        int64     `json:"bytes"`
	Modified     time.Time `json:"modified"`
	// Error says why the recording's first file cannot be read (it is listed, but cannot be watched).
	Error string `json:"error,omitempty"`
}

// ValidID reports whether id can name a recording: 1 to 200 letters, digits, '-' and '_' (what the journal's file
// names are made of), so that no id names a path.
func ValidID(id string) bool {
	if len(id) == 0 || len(id) > 200 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// splitName splits a journal file name ROOM-EPOCH-NNNN.twj into its recording id and segment.
func splitName(name string) (id string, seg int, ok bool) {
	base, found := strings.CutSuffix(name, ".twj")
	if !found || len(base) < 6 || base[len(base)-5] != '-' {
		return "", 0, false
	}
	for _, c := range base[len(base)-4:] {
		if c < '0' || c > '9' {
			return "", 0, false
		}
		seg = seg*10 + int(c-'0')
	}
	id = base[:len(base)-5]
	return id, seg, ValidID(id)
}

// headerBytes is how much of a file List reads to decode its header.
const headerBytes = 64 << 10

// List returns the recordings in the directory, newest first. It reads only each recording's first header.
func List(root *os.Root) ([]Recording, error) {
	ents, err := fs.ReadDir(root.FS(), ".")
	if err != nil {
		return nil, err
	}
	type file struct {
		name string
		seg  int
		info fs.FileInfo
	}
	byID := map[string][]file{}
	for _, e := range ents {
		if !e.Type().IsRegular() {
			continue
		}
		id, seg, ok := splitName(e.Name())
		if !ok {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue // removed meanwhile (rotated)
		}
		byID[id] = append(byID[id], file{e.Name(), seg, info})
	}
	out := make([]Recording, 0, len(byID))
	for id, fs := range byID {
		slices.SortFunc(fs, func(a, b file) int { return a.seg - b.seg })
		r := Recording{ID: id}
		for _, f := range fs {
			r.Files = append(r.Files, f.name)
			r.Bytes += f.info.Size()
			if f.info.ModTime().After(r.Modified) {
				r.Modified = f.info.ModTime()
			}
		}
		if err := readHeader(root, fs[0].name, &r); err != nil {
			r.Error = err.Error()
		}
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b Recording) int {
		if c := b.Modified.Compare(a.Modified); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}

func readHeader(root *os.Root, name string, r *Recording) error {
	f, err := root.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, headerBytes))
	if err != nil {
		return err
	}
	d, err := journal.NewDecoder(b)
	if err != nil {
		return err
	}
	r.Room, r.Mode, r.Epoch, r.TickRate = d.Header.Room, d.Header.Mode, d.Header.Epoch, d.Header.Game.TickRate
	r.FirstSegment = d.Header.Segment
	return nil
}

// Load reads the files of recording id, in segment order, refusing more than maxBytes in all. The files are opened
// through root: no id reaches outside the directory.
func Load(root *os.Root, id string, maxBytes int64) (Recording, [][]byte, error) {
	if !ValidID(id) {
		return Recording{}, nil, ErrBadID
	}
	recs, err := List(root)
	if err != nil {
		return Recording{}, nil, err
	}
	i := slices.IndexFunc(recs, func(r Recording) bool { return r.ID == id })
	if i < 0 {
		return Recording{}, nil, ErrNotFound
	}
	rec := recs[i]
	if rec.Bytes > maxBytes {
		return rec, nil, fmt.Errorf("%w (%d bytes, limit %d)", ErrTooLarge, rec.Bytes, maxBytes)
	}
	files := make([][]byte, 0, len(rec.Files))
	var total int64
	for _, name := range rec.Files {
		f, err := root.Open(name)
		if err != nil {
			return rec, nil, err
		}
		b, err := io.ReadAll(io.LimitReader(f, maxBytes-total+1))
		f.Close()
		if err != nil {
			return rec, nil, err
		}
		if total += int64(len(b)); total > maxBytes { // grew since it was listed
			return rec, nil, fmt.Errorf("%w (limit %d bytes)", ErrTooLarge, maxBytes)
		}
		files = append(files, b)
	}
	return rec, files, nil
}
