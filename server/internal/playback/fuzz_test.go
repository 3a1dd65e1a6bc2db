package playback

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/tickwire/tickwire/game/arena"
)

// FuzzControl: a viewer's control message is accepted only when it is one of the documented ones, and never panics.
// Seeds in testdata/fuzz/FuzzControl are messages the replay page sends and near misses.
func FuzzControl(f *testing.F) {
	for _, s := range []string{`{"op":"pause"}`, `{"op":"play"}`, `{"op":"speed","speed":0.5}`, `{"op":"speed","speed":4}`,
		`{"op":"seek","tick":120}`, `{"op":"auth","key":"k"}`, `{"op":"speed","speed":5}`, `{"op":"seek","tick":-1}`,
		`{"op":"x"}`, `{"op":"play","extra":1}`, `{"op":"play"} {}`, `[]`, ``, `{"op":"seek","tick":4294967296}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseControl(b)
		if err != nil {
			if c != (Control{}) {
				t.Fatalf("a refused control returned %+v", c)
			}
			return
		}
		if len(b) > MaxControlBytes {
			t.Fatalf("accepted %d bytes", len(b))
		}
		switch c.Op {
		case "pause", "play", "seek", "auth":
		case "speed":
			if !(c.Speed >= MinSpeed && c.Speed <= MaxSpeed) {
				t.Fatalf("accepted speed %v", c.Speed)
			}
		default:
			t.Fatalf("accepted op %q", c.Op)
		}
		// What was accepted encodes back to a message that parses to the same control.
		again, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		if c2, err := ParseControl(again); err != nil || c2 != c {
			t.Fatalf("%s → %+v → %s → %+v, %v", b, c, again, c2, err)
		}
	})
}

// FuzzFileName: a directory entry's name gives a recording id only when the id is valid (no path in it).
func FuzzFileName(f *testing.F) {
	for _, s := range []string{"room-1f-0000.twj", "a_b-0-0012.twj", "../x-0-0000.twj", "x-0-000.twj", "x-0-00a0.twj",
		".twj", "-0000.twj", "a/b-0-0000.twj", "r-0-0000.twjx"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		id, seg, ok := splitName(name)
		if !ok {
			return
		}
		if !ValidID(id) || strings.ContainsAny(id, "./\\\x00") || seg < 0 || seg > 9999 {
			t.Fatalf("%q gave id %q segment %d", name, id, seg)
		}
		if want := id + "-" + name[len(id)+1:]; want != name {
			t.Fatalf("%q split into %q", name, id)
		}
	})
}

// FuzzOpen: a damaged recording is refused or played to where it breaks; it never panics, and every tick it plays
// is checked. Seeded with a real recording and cut or flipped copies of it.
func FuzzOpen(f *testing.F) {
	rec := makeRecording(f, 40, 10, 0, 0)
	good := rec.files[0]
	f.Add(good)
	f.Add(good[:len(good)/2])
	flipped := append([]byte(nil), good...)
	flipped[len(flipped)*2/3] ^= 0x55
	f.Add(flipped)
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := Open([][]byte{b}, arena.Factory)
		if err != nil {
			return
		}
		for range 200 {
			if p.Step() != nil {
				break
			}
		}
		_ = p.Seek(p.Last() / 2)
	})
}
