package clientweb

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"flag"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/game/arena"
	"github.com/tickwire/tickwire/proto/snapcodec"
)

var update = flag.Bool("update", false, "rewrite the golden files in test/testdata from the Go code")

const goldenPath = "test/testdata/snapcodec_golden.json"

// The golden file pins the TypeScript decoder (test/snapcodec.test.ts) to the Go codec: every body below is written
// by snapcodec.AppendDelta and every expected world and hash comes from snapcodec.Apply and Hash.

type goldenEntity struct {
	ID     uint32  `json:"id"`
	Kind   uint8   `json:"kind"`
	Fields []int32 `json:"fields"`
	Data   *string `json:"data,omitempty"` // hex; present for a kind with data
}

type goldenCase struct {
	Name      string         `json:"name"`
	BaseTick  uint32         `json:"base_tick"`
	Base      []goldenEntity `json:"base"`
	Tick      uint32         `json:"tick"`
	Body      string         `json:"body"` // hex
	Want      []goldenEntity `json:"want,omitempty"`
	WantHash  uint32         `json:"want_hash,omitempty"`
	WantError bool           `json:"want_error,omitempty"`
}

type goldenKindField struct {
	Name      string `json:"name"`
	RateField uint8  `json:"rate_field"`
}

type goldenKind struct {
	ID     uint8             `json:"id"`
	Name   string            `json:"name"`
	Fields []goldenKindField `json:"fields"`
	Data   bool              `json:"data,omitempty"`
}

// goldenMutation is a valid body with one byte changed, decoded against the same baseline as the case it comes from:
// the TypeScript decoder must accept exactly what the Go decoder accepts, with the same resulting world (by hash).
type goldenMutation struct {
	Of        string `json:"of"`
	Body      string `json:"body"`
	WantError bool   `json:"want_error,omitempty"`
	WantHash  uint32 `json:"want_hash,omitempty"`
	WantCount int    `json:"want_count,omitempty"`
}

type goldenFile struct {
	Kinds     []goldenKind     `json:"kinds"`
	Cases     []goldenCase     `json:"cases"`
	Mutations []goldenMutation `json:"mutations"`
}

// schema is the arena's entity layout plus a kind whose rate field is not a position, to keep the test generic.
var schema = &game.Schema{Kinds: []game.KindSpec{
	{ID: 1, Name: "player", Fields: []game.FieldSpec{{Name: "x", RateField: 3}, {Name: "y", RateField: 4}, {Name: "vx"},
		{Name: "vy"}, {Name: "aim"}, {Name: "hp"}, {Name: "score"}}},
	{ID: 2, Name: "projectile", Fields: []game.FieldSpec{{Name: "x", RateField: 3}, {Name: "y", RateField: 4},
		{Name: "vx"}, {Name: "vy"}, {Name: "owner"}}},
	{ID: 7, Name: "counter", Fields: []game.FieldSpec{{Name: "step"}, {Name: "value", RateField: 1}}},
	{ID: 9, Name: "card", Fields: wideFields(), Data: true},
}}

// wideFields is a kind with game.MaxFields fields, the last two a position moving along the first two.
func wideFields() []game.FieldSpec {
	fs := make([]game.FieldSpec, game.MaxFields)
	for i := range fs {
		fs[i].Name = "f" + string(rune('a'+i%26)) + string(rune('0'+i/26))
	}
	fs[game.MaxFields-2].RateField = 1
	fs[game.MaxFields-1].RateField = 2
	return fs
}

func card(id uint32, data string, fields ...int32) game.Entity {
	e := ent(id, 9, fields...)
	e.SetData([]byte(data))
	return e
}

// wide returns 32 field values: f(i) at index i.
func wide(f func(i int) int32) []int32 {
	out := make([]int32, game.MaxFields)
	for i := range out {
		out[i] = f(i)
	}
	return out
}

func ent(id uint32, kind uint8, fields ...int32) game.Entity {
	e := game.Entity{ID: id, Kind: kind}
	copy(e.Fields[:], fields)
	return e
}

// w32 wraps v to int32 as Go's int32 arithmetic does.
func w32(v int64) int32 { return int32(v) }

func world(tick uint32, es ...game.Entity) *snapcodec.World {
	return &snapcodec.World{Tick: tick, Entities: es}
}

func toGolden(c *snapcodec.Codec, es []game.Entity) []goldenEntity {
	out := make([]goldenEntity, 0, len(es))
	for _, e := range es {
		g := goldenEntity{ID: e.ID, Kind: e.Kind, Fields: append([]int32(nil), e.Fields[:c.FieldCount(e.Kind)]...)}
		if c.HasData(e.Kind) {
			d := hex.EncodeToString(e.Bytes())
			g.Data = &d
		}
		out = append(out, g)
	}
	return out
}

func buildGolden(t *testing.T) goldenFile {
	t.Helper()
	c, err := snapcodec.New(schema)
	if err != nil {
		t.Fatal(err)
	}
	var f goldenFile
	for _, k := range schema.Kinds {
		gk := goldenKind{ID: k.ID, Name: k.Name, Data: k.Data}
		for _, fs := range k.Fields {
			gk.Fields = append(gk.Fields, goldenKindField{Name: fs.Name, RateField: fs.RateField})
		}
		f.Kinds = append(f.Kinds, gk)
	}
	empty := world(0)
	// A sequence of worlds as a room would produce them.
	w1 := world(10,
		ent(1, 1, 1600, 1600, 107, 0, 64, 100, 0),
		ent(2, 1, 30000, 200, 0, 0, 200, 100, 3),
		ent(65536, 2, 1600, 1600, 320, 0, 1),
	)
	w2 := world(11, // everyone moved along their velocity: nothing to send but player 2's aim
		ent(1, 1, 1707, 1600, 107, 0, 64, 100, 0),
		ent(2, 1, 30000, 200, 0, 0, 201, 100, 3),
		ent(65536, 2, 1920, 1600, 320, 0, 1),
	)
	w5 := world(14, // multi-tick baseline (3 ticks after w2): player 1 turned, a projectile died, one spawned
		ent(1, 1, 1921, 1675, 0, 75, 64, 90, 0),
		ent(2, 1, 30000, 200, 0, 0, 201, 100, 4),
		ent(65537, 2, 30000, 200, 0, -320, 2),
	)
	w6 := world(15, // kind change: id 65537 becomes a counter, id 3 joins
		ent(1, 1, 1921, 1750, 0, 75, 64, 90, 0),
		ent(2, 1, 30000, 200, 0, 0, 201, 100, 4),
		ent(3, 1, 0, 32000, -107, 0, 0, 100, 0),
		ent(65537, 7, 5, 12),
	)
	wrapBase := world(100,
		ent(9, 7, math.MaxInt32/2+7, math.MaxInt32-3),
		ent(10, 1, math.MaxInt32-100, math.MinInt32+5, 60, -10, 0, 1, math.MaxInt32),
	)
	// 3 ticks later: counter value + 3*step wraps past MaxInt32; player x + 3*60 wraps past MaxInt32, y + 3*-10 wraps
	// below MinInt32, and score goes from MaxInt32 to MinInt32 (a residual of 1 that wraps).
	wrapCur := world(103,
		ent(9, 7, math.MaxInt32/2+7, w32(math.MaxInt32-3+3*(math.MaxInt32/2+7))),
		ent(10, 1, w32(math.MaxInt32-100+180), w32(math.MinInt32+5-30), 60, -10, 0, 1, math.MinInt32),
	)
	// Wrapping a prediction that is then corrected by a residual which itself wraps.
	wrapCur2 := world(104,
		ent(9, 7, 1, math.MinInt32),
		ent(10, 1, math.MinInt32, math.MaxInt32, math.MaxInt32, math.MinInt32, 255, 0, -1),
	)
	// A kind with 32 fields and a byte string: fields past the eighth, a mask above 2^32, data set, changed, cleared.
	cw1 := world(20,
		ent(1, 1, 1600, 1600, 107, 0, 64, 100, 0),
		card(5, "ace-of-spades", wide(func(i int) int32 { return int32(i * i) })...),
		card(6, "", wide(func(i int) int32 { return 0 })...),
		card(7, "\x00\xffbin", wide(func(i int) int32 { return -int32(i) << 20 })...),
	)
	cw2 := world(22,
		ent(1, 1, 1814, 1600, 107, 0, 64, 100, 0),
		card(5, "ace-of-spades", wide(func(i int) int32 {
			switch i {
			case 30:
				return 900 + 2*0
			case 31:
				return 961 + 2*1
			case 29:
				return 1
			}
			return int32(i * i)
		})...),
		card(6, "queen", wide(func(i int) int32 { return 0 })...),
		card(7, "", wide(func(i int) int32 { return -int32(i) << 20 })...),
		card(8, "0123456789abcdef0123456789abcdef", wide(func(i int) int32 { return int32(i) - 16 })...),
	)
	cw3 := world(23, append(predictAll(cw2, 1)[:2], card(6, "queen!", wide(func(i int) int32 { return 0 })...))...)

	type step struct {
		name      string
		base, cur *snapcodec.World
	}
	steps := []step{
		{"full", empty, w1},
		{"delta_one_tick", w1, w2},
		{"delta_multi_tick_removed_and_new", w2, w5},
		{"delta_kind_change", w5, w6},
		{"full_after_many", empty, w6},
		{"delta_to_empty", w6, world(16)},
		{"delta_unchanged", w6, world(15+1, predictAll(w6, 1)...)},
		{"wraparound_full", empty, wrapBase},
		{"wraparound_delta", wrapBase, wrapCur},
		{"wraparound_residuals", wrapCur, wrapCur2},
		{"wide_full", empty, cw1},
		{"wide_delta", cw1, cw2},
		{"wide_delta_data_only", cw2, cw3},
	}
	for _, s := range steps {
		body := c.AppendDelta(nil, s.base, s.cur)
		var out snapcodec.World
		if err := c.Apply(s.base, s.cur.Tick, body, &out); err != nil {
			t.Fatalf("%s: Apply: %v", s.name, err)
		}
		if !equalWorlds(&out, s.cur) {
			t.Fatalf("%s: round trip differs:\n got %v\nwant %v", s.name, out.Entities, s.cur.Entities)
		}
		f.Cases = append(f.Cases, goldenCase{
			Name: s.name, BaseTick: s.base.Tick, Base: toGolden(c, s.base.Entities), Tick: s.cur.Tick,
			Body: hex.EncodeToString(body), Want: toGolden(c, out.Entities), WantHash: c.Hash(&out),
		})
	}

	// One-byte mutations of some valid bodies, with the Go decoder's verdict.
	for _, s := range steps {
		if s.name != "delta_multi_tick_removed_and_new" && s.name != "delta_kind_change" && s.name != "wraparound_delta" &&
			s.name != "wide_delta" {
			continue
		}
		body := c.AppendDelta(nil, s.base, s.cur)
		for i := range body {
			for _, v := range []byte{body[i] ^ 0x01, body[i] ^ 0x02, body[i] ^ 0x80, 0x00, 0x7f, 0xff} {
				if v == body[i] {
					continue
				}
				mut := append([]byte(nil), body...)
				mut[i] = v
				var out snapcodec.World
				m := goldenMutation{Of: s.name, Body: hex.EncodeToString(mut)}
				if err := c.Apply(s.base, s.cur.Tick, mut, &out); err != nil {
					m.WantError = true
				} else {
					m.WantHash, m.WantCount = c.Hash(&out), len(out.Entities)
				}
				f.Mutations = append(f.Mutations, m)
			}
		}
	}

	// Bodies every decoder must reject.
	full := c.AppendDelta(nil, empty, w1)
	delta := c.AppendDelta(nil, w2, w5)
	bad := []struct {
		name string
		base *snapcodec.World
		tick uint32
		body []byte
	}{
		{"empty_body", empty, 1, nil},
		{"truncated_full", empty, 10, full[:len(full)-1]},
		{"truncated_delta", w2, 14, delta[:len(delta)-2]},
		{"trailing_byte", empty, 10, append(append([]byte(nil), full...), 0)},
		{"varint_too_long", empty, 1, []byte{0x80, 0x80, 0x80, 0x80, 0x80, 0x00}},
		{"varint_above_32_bits", empty, 1, []byte{0xff, 0xff, 0xff, 0xff, 0x1f, 0x00}},
		{"unknown_kind", empty, 1, []byte{0x00, 0x01, 0x01, 0x01, 0x03}},
		{"mask_beyond_fields", empty, 1, []byte{0x00, 0x01, 0x01, 0x0f, 0x07, 0x02, 0x02, 0x02}},
		{"ids_not_ascending", empty, 1, []byte{0x00, 0x02, 0x05, 0x01, 0x07, 0x00, 0x01, 0x07}},
		{"removed_not_in_baseline", w1, 11, []byte{0x01, 0x05, 0x00}},
		{"removed_more_than_baseline", w1, 11, []byte{0x04, 0x01, 0x01, 0x01, 0x01, 0x00}},
		{"changed_not_in_baseline", w1, 11, []byte{0x00, 0x01, 0x05, 0x02, 0x02}},
		{"new_already_in_baseline", w1, 11, []byte{0x00, 0x01, 0x01, 0x01, 0x01}},
		{"too_many_changed", empty, 1, []byte{0x00, 0x81, 0x80, 0x04}},
		// A card (kind 9) whose mask sets the bit past its data bit (bit 34), then one whose data is 33 bytes.
		{"mask_beyond_data", empty, 1, []byte{0x00, 0x01, 0x01, 0x81, 0x80, 0x80, 0x80, 0x40, 0x09}},
		{"data_too_long", empty, 1, append([]byte{0x00, 0x01, 0x01, 0x81, 0x80, 0x80, 0x80, 0x20, 0x09, 33}, make([]byte, 33)...)},
		{"data_truncated", empty, 1, []byte{0x00, 0x01, 0x01, 0x81, 0x80, 0x80, 0x80, 0x20, 0x09, 3, 0x41}},
	}
	for _, b := range bad {
		var out snapcodec.World
		if err := c.Apply(b.base, b.tick, b.body, &out); err == nil {
			t.Fatalf("%s: the Go codec accepts it; the vector is useless", b.name)
		}
		f.Cases = append(f.Cases, goldenCase{
			Name: b.name, BaseTick: b.base.Tick, Base: toGolden(c, b.base.Entities), Tick: b.tick,
			Body: hex.EncodeToString(b.body), WantError: true,
		})
	}
	return f
}

// predictAll carries every entity of w forward by its rates over dt ticks, as the decoder would predict it.
func predictAll(w *snapcodec.World, dt int32) []game.Entity {
	out := make([]game.Entity, len(w.Entities))
	for i, e := range w.Entities {
		for f, fs := range kindSpec(e.Kind).Fields {
			if fs.RateField > 0 {
				e.Fields[f] += e.Fields[fs.RateField-1] * dt
			}
		}
		out[i] = e
	}
	return out
}

func kindSpec(id uint8) game.KindSpec {
	for _, k := range schema.Kinds {
		if k.ID == id {
			return k
		}
	}
	panic("unknown kind")
}

func equalWorlds(a, b *snapcodec.World) bool {
	if a.Tick != b.Tick || len(a.Entities) != len(b.Entities) {
		return false
	}
	for i := range a.Entities {
		if a.Entities[i] != b.Entities[i] {
			return false
		}
	}
	return true
}

func TestSnapcodecGolden(t *testing.T) {
	f := buildGolden(t)
	got, err := json.MarshalIndent(f, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	if *update {
		if err := os.MkdirAll(filepath.Dir(goldenPath), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(goldenPath, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(goldenPath)
	if err != nil {
		t.Fatalf("%v (run go test ./client-web -run Golden -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s is stale: the Go codec now writes different vectors; run go test ./client-web -run Golden -update "+
			"and make the TypeScript decoder pass them", goldenPath)
	}
}

func TestDistEmbedded(t *testing.T) {
	for _, name := range []string{"index.html", "app.js"} {
		b, err := os.ReadFile(filepath.Join("dist", name))
		if err != nil {
			t.Fatal(err)
		}
		f, err := Dist().Open(name)
		if err != nil {
			t.Fatalf("Dist().Open(%q): %v", name, err)
		}
		st, err := f.Stat()
		f.Close()
		if err != nil || st.Size() != int64(len(b)) {
			t.Fatalf("%s: embedded size %v, file %d (err %v)", name, st, len(b), err)
		}
	}
}

const arenaGoldenPath = "test/testdata/arena_ticks_golden.json"

// The arena golden file pins the client's prediction by tick (src/arena/arena.ts arenaPrediction, replayed by the
// SDK's Predictor with the Welcome's fill policy, test/arena.test.ts) to the Go arena: one player plays a scripted
// sequence of inputs, some ticks have none and get the engine's fill (the last applied input again, Missed set), and
// the player's entity is recorded after every tick's ApplyInput and Step.

type arenaGoldenTick struct {
	Tick   uint32  `json:"tick"`
	Input  []int32 `json:"input,omitempty"` // absent: no input arrived, the fill was applied
	Fields []int32 `json:"fields"`
}

type arenaGoldenField struct {
	Name      string `json:"name"`
	RateField uint8  `json:"rate_field"`
	Wrap      int32  `json:"wrap,omitempty"`
	Teleport  int32  `json:"teleport,omitempty"`
}

type arenaGolden struct {
	Params       map[string]int32   `json:"params"`
	Fill         string             `json:"fill"`
	PlayerFields []arenaGoldenField `json:"player_fields"`
	Start        []int32            `json:"start"` // the player's entity after Join, before tick 1
	Ticks        []arenaGoldenTick  `json:"ticks"`
}

func buildArenaGolden(t *testing.T) arenaGolden {
	t.Helper()
	a, err := arena.New(game.Config{Seed: 7, TickRate: 30, MaxPlayers: 4})
	if err != nil {
		t.Fatal(err)
	}
	s := a.Schema()
	g := arenaGolden{Params: s.Params, Fill: "repeat"}
	if s.Fill != game.FillRepeat {
		g.Fill = "neutral"
	}
	for _, f := range s.Kinds[0].Fields {
		g.PlayerFields = append(g.PlayerFields, arenaGoldenField{Name: f.Name, RateField: f.RateField, Wrap: f.Wrap, Teleport: f.Teleport})
	}
	if err := a.Join(game.Player{ID: 1}); err != nil {
		t.Fatal(err)
	}
	player := func() []int32 {
		for _, e := range a.AppendEntities(nil) {
			if e.ID == 1 {
				return append([]int32(nil), e.Fields[:len(s.Kinds[0].Fields)]...)
			}
		}
		t.Fatal("player 1 missing")
		return nil
	}
	g.Start = player()
	// Long holds reach the walls (the world is 32000 sub-units, 107 per tick); the aim turns steadily and wraps;
	// fire is held through some fills. Every 7th tick and a run of 5 ticks have no input.
	dirs := [][2]int32{{1, 0}, {1, 1}, {0, 1}, {-1, 1}, {-1, 0}, {-1, -1}, {0, -1}, {1, -1}, {0, 0}}
	var last game.Input
	var ev game.Events
	for tick := game.Tick(1); tick <= 1200; tick++ {
		d := dirs[(tick/150)%game.Tick(len(dirs))]
		in := game.Input{Seq: uint32(tick), Tick: tick}
		in.Values[arena.InputDX], in.Values[arena.InputDY] = d[0], d[1]
		in.Values[arena.InputAim] = int32((uint32(tick) * 1500) % 65536)
		if tick%40 < 25 {
			in.Values[arena.InputFire] = 1
		}
		missed := tick%7 == 0 || (tick >= 500 && tick < 505)
		if missed {
			in = last
			in.Seq, in.Tick, in.Missed = 0, tick, true
		} else {
			last = in
		}
		a.ApplyInput(tick, 1, &in)
		ev.Reset()
		a.Step(tick, &ev)
		gt := arenaGoldenTick{Tick: uint32(tick), Fields: player()}
		if !missed {
			gt.Input = append([]int32(nil), in.Values[:len(s.Input)]...)
		}
		g.Ticks = append(g.Ticks, gt)
	}
	return g
}

func TestArenaTicksGolden(t *testing.T) {
	got, err := json.Marshal(buildArenaGolden(t))
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	if *update {
		if err := os.WriteFile(arenaGoldenPath, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(arenaGoldenPath)
	if err != nil {
		t.Fatalf("%v (run go test ./client-web -run Golden -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s is stale: the Go arena now plays differently; run go test ./client-web -run Golden -update "+
			"and make the TypeScript prediction pass it", arenaGoldenPath)
	}
}
