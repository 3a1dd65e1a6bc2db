package snapcodec

import (
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"unsafe"

	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/proto"
)

// testSchema mirrors the arena's kinds plus a kind with every field, so the codec is tested at its limits.
func testSchema() *game.Schema {
	return &game.Schema{
		Kinds: []game.KindSpec{
			{ID: 1, Name: "player", Fields: []game.FieldSpec{
				{Name: "x", RateField: 3}, {Name: "y", RateField: 4}, {Name: "vx"}, {Name: "vy"},
				{Name: "aim"}, {Name: "hp"}, {Name: "score"},
			}},
			{ID: 2, Name: "projectile", Fields: []game.FieldSpec{
				{Name: "x", RateField: 3}, {Name: "y", RateField: 4}, {Name: "vx"}, {Name: "vy"}, {Name: "owner"},
			}},
			{ID: 7, Name: "wide", Fields: []game.FieldSpec{
				{Name: "a", RateField: 8}, {Name: "b"}, {Name: "c"}, {Name: "d"},
				{Name: "e"}, {Name: "f"}, {Name: "g"}, {Name: "h", RateField: 8},
			}},
			{ID: 9, Name: "empty"},
			{ID: 11, Name: "card", Fields: widest(), Data: true},
		},
		Input: []game.InputField{{Name: "dx", Min: -1, Max: 1}},
	}
}

// widest is game.MaxFields fields, the last one moving along the first.
func widest() []game.FieldSpec {
	fs := make([]game.FieldSpec, game.MaxFields)
	for i := range fs {
		fs[i].Name = string(rune('a' + i%26))
	}
	fs[game.MaxFields-1].RateField = 1
	return fs
}

// TestWideKindAndData covers a kind with game.MaxFields fields and a byte string: high fields alone, data set,
// changed, cleared, and unchanged data costing nothing.
func TestWideKindAndData(t *testing.T) {
	c := mustCodec(t)
	card := func(id uint32, data string, f ...int32) game.Entity {
		e := ent(id, 11, f...)
		e.SetData([]byte(data))
		return e
	}
	hi := make([]int32, game.MaxFields)
	hi[game.MaxFields-2] = 77
	w1 := world(1, card(3, "seven-of-hearts", hi...), card(4, ""))
	roundTrip(t, c, nil, w1)
	w2 := world(2, card(3, "seven-of-hearts", hi...), card(4, "x", 1))
	body := roundTrip(t, c, w1, w2)
	if len(body) != 2+1+5+1+2 { // nRemoved, nChanged, id 4: gap, mask (bit 33: 5 bytes), residual f0, data len + byte
		t.Fatalf("delta for one changed card is %d bytes: %x", len(body), body)
	}
	w3 := world(3, card(3, "", hi...), card(4, "x", 1))
	w3.Entities[1].Fields[game.MaxFields-1] = 1 // moved along its rate: predicted
	roundTrip(t, c, w2, w3)
	w4 := world(4, card(3, "", hi...))
	w4.Entities[0].Fields[game.MaxFields-1] = -5
	roundTrip(t, c, w3, w4)
	if got := c.AppendDelta(nil, w4, &World{Tick: 5, Entities: w4.Entities}); len(got) != 2 {
		t.Fatalf("unchanged card costs %d bytes", len(got))
	}
}

func mustCodec(t testing.TB) *Codec {
	t.Helper()
	c, err := New(testSchema())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func ent(id uint32, kind uint8, f ...int32) game.Entity {
	e := game.Entity{ID: id, Kind: kind}
	copy(e.Fields[:], f)
	return e
}

func world(tick uint32, es ...game.Entity) *World { return &World{Tick: tick, Entities: es} }

// roundTrip encodes cur against base, decodes it and fails unless the result equals cur.
func roundTrip(t *testing.T, c *Codec, base, cur *World) []byte {
	t.Helper()
	body := c.AppendDelta(nil, base, cur)
	var out World
	if err := c.Apply(base, cur.Tick, body, &out); err != nil {
		t.Fatalf("Apply: %v (body % x)", err, body)
	}
	if out.Tick != cur.Tick || !slices.Equal(out.Entities, cur.Entities) {
		t.Fatalf("decoded world differs\n got %+v\nwant %+v\nbody % x", out, *cur, body)
	}
	if c.Hash(&out) != c.Hash(cur) {
		t.Fatal("hash differs after round trip")
	}
	checkPacked(t, c, base, cur, body)
	return body
}

// checkPacked requires the packed path to agree with the World path: AppendDeltaPacked gives body, ApplyPacked
// decodes it to cur, and HashPacked is Hash.
func checkPacked(t *testing.T, c *Codec, base, cur *World, body []byte) {
	t.Helper()
	var pb, pc *Packed
	if base != nil {
		pb = &Packed{}
		c.PackWorld(pb, base)
	}
	pc = &Packed{}
	c.PackWorld(pc, cur)
	if got := c.AppendDeltaPacked(nil, pb, pc); !slices.Equal(got, body) {
		t.Fatalf("AppendDeltaPacked = % x, AppendDelta = % x", got, body)
	}
	var out Packed
	if err := c.ApplyPacked(pb, cur.Tick, body, &out); err != nil {
		t.Fatalf("ApplyPacked: %v (body % x)", err, body)
	}
	var w World
	c.Unpack(&w, &out)
	if w.Tick != cur.Tick || !slices.Equal(w.Entities, cur.Entities) {
		t.Fatalf("ApplyPacked's world differs\n got %+v\nwant %+v", w, *cur)
	}
	if c.HashPacked(&out) != c.Hash(cur) || c.HashPacked(pc) != c.Hash(cur) {
		t.Fatal("HashPacked differs from Hash")
	}
	for i := range cur.Entities {
		e := &cur.Entities[i]
		k, ok := out.Find(e.ID)
		if !ok || k != i || out.Entity(k) != *e || !slices.Equal(out.Fields(k), e.Fields[:c.FieldCount(e.Kind)]) ||
			string(out.Data(k)) != string(e.Bytes()) {
			t.Fatalf("packed entity %d: %+v, want %+v", e.ID, out.Entity(k), *e)
		}
	}
	if _, ok := out.Find(math.MaxUint32); ok != slices.ContainsFunc(cur.Entities, func(e game.Entity) bool {
		return e.ID == math.MaxUint32
	}) {
		t.Fatal("Find of an absent id")
	}
}

func TestRoundTrip(t *testing.T) {
	c := mustCodec(t)
	p1 := ent(1, 1, 1000, 2000, 10, -20, 128, 100, 0)
	p2 := ent(2, 1, 5000, 6000, 0, 0, 3, 100, 2)
	tests := []struct {
		name      string
		base, cur *World
		wantBody  []byte // when non-nil, the exact encoding
	}{
		{name: "empty to empty", base: nil, cur: world(1), wantBody: []byte{0, 0}},
		{name: "full", base: nil, cur: world(5, p1, p2)},
		{name: "full against tick 0 baseline", base: world(0, p2), cur: world(5, p1)},
		{name: "unchanged", base: world(5, p1, p2), cur: world(5, p1, p2), wantBody: []byte{0, 0}},
		{
			name: "straight line costs nothing",
			base: world(10, p1), cur: world(13, ent(1, 1, 1030, 1940, 10, -20, 128, 100, 0)),
			wantBody: []byte{0, 0},
		},
		{
			name: "velocity change",
			base: world(10, p1), cur: world(11, ent(1, 1, 1005, 1980, 5, -20, 128, 100, 0)),
			// x predicted 1010 -> residual -5 (zigzag 9); vx residual -5 (9).
			wantBody: []byte{0, 1, 1, 1<<1 | 1<<3, 9, 9},
		},
		{name: "join", base: world(3, p2), cur: world(4, p1, p2)},
		{name: "join at end", base: world(3, p1), cur: world(4, p1, p2)},
		{name: "leave", base: world(3, p1, p2), cur: world(4, p2), wantBody: []byte{1, 1, 0}},
		{name: "leave all", base: world(3, p1, p2), cur: world(9)},
		{name: "kind change", base: world(3, p1, p2), cur: world(4, ent(1, 2, 1, 2, 3, 4, 5), p2)},
		{name: "kind change keeps fields zero", base: world(3, ent(1, 7, 1, 2, 3, 4, 5, 6, 7, 8)), cur: world(4, ent(1, 1, 1))},
		{name: "empty kind", base: world(3, ent(4, 9)), cur: world(4, ent(4, 9), ent(5, 9))},
		{name: "zero id", base: nil, cur: world(1, ent(0, 1, 1), ent(1, 2, 2))},
		{name: "max id", base: world(1, ent(0, 1, 1)), cur: world(2, ent(0, 1, 2), ent(math.MaxUint32, 2, 3))},
		{
			name:     "rate prediction over many ticks",
			base:     world(100, ent(65537, 2, 3200, 3200, 320, -160, 1)),
			cur:      world(130, ent(65537, 2, 3200+30*320, 3200-30*160, 320, -160, 1)),
			wantBody: []byte{0, 0},
		},
		{
			name:     "int32 wraparound in prediction",
			base:     world(1, ent(1, 1, math.MaxInt32-1, math.MinInt32+1, 5, -5, 0, 0, 0)),
			cur:      world(3, ent(1, 1, math.MinInt32+8, math.MaxInt32-8, 5, -5, 0, 0, 0)),
			wantBody: []byte{0, 0},
		},
		{
			name: "extreme residuals",
			base: world(1, ent(1, 7, math.MinInt32, math.MaxInt32, 0, -1, 1, 0, 0, math.MaxInt32)),
			cur:  world(2, ent(1, 7, math.MaxInt32, math.MinInt32, -1, 0, math.MinInt32, math.MaxInt32, 1, math.MinInt32)),
		},
		{
			name:     "tick wraparound",
			base:     world(math.MaxUint32-1, ent(1, 1, 0, 0, 7, 9)),
			cur:      world(1, ent(1, 1, 21, 27, 7, 9)), // 3 ticks later
			wantBody: []byte{0, 0},
		},
		{
			name:     "older tick than baseline",
			base:     world(20, ent(1, 1, 100, 100, 2, 3)),
			cur:      world(18, ent(1, 1, 96, 94, 2, 3)),
			wantBody: []byte{0, 0},
		},
		{
			name: "projectiles spawn and expire",
			base: world(50, p1, p2, ent(65536, 2, 10, 10, 1, 1, 1), ent(65537, 2, 20, 20, 2, 2, 2)),
			cur:  world(51, p1, p2, ent(65537, 2, 22, 22, 2, 2, 2), ent(65538, 2, 1000, 2000, -3, 0, 2)),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body := roundTrip(t, c, tc.base, tc.cur)
			if tc.wantBody != nil && !slices.Equal(body, tc.wantBody) {
				t.Errorf("body = % x, want % x", body, tc.wantBody)
			}
		})
	}
}

// TestRandomSequences plays random worlds and decodes each against a random earlier baseline, as a client would.
func TestRandomSequences(t *testing.T) {
	c := mustCodec(t)
	rng := rand.New(rand.NewPCG(1, 2))
	var hist []*World
	cur := world(1)
	for tick := uint32(1); tick <= 2000; tick++ {
		cur = mutate(rng, cur, tick)
		hist = append(hist, cur)
		var base *World
		if k := rng.IntN(4); k > 0 && len(hist) > k {
			base = hist[len(hist)-1-k]
		}
		roundTrip(t, c, base, cur)
	}
}

// mutate returns the next world: entities move along their rates, some change, join, leave or change kind.
func mutate(rng *rand.Rand, w *World, tick uint32) *World {
	next := &World{Tick: tick}
	for _, e := range w.Entities {
		switch rng.IntN(40) {
		case 0:
			continue // leave
		case 1:
			e.Kind = []uint8{1, 2, 7, 9}[rng.IntN(4)]
			e.Fields = [game.MaxFields]int32{}
		}
		n := map[uint8]int{1: 7, 2: 5, 7: 8, 9: 0}[e.Kind]
		if e.Kind == 1 || e.Kind == 2 {
			e.Fields[0] += e.Fields[2]
			e.Fields[1] += e.Fields[3]
		}
		if rng.IntN(5) == 0 && n > 0 {
			e.Fields[rng.IntN(n)] = int32(rng.Uint32()) >> rng.IntN(32)
		}
		next.Entities = append(next.Entities, e)
	}
	for rng.IntN(3) == 0 {
		kind := []uint8{1, 2, 7, 9}[rng.IntN(4)]
		e := game.Entity{ID: uint32(rng.IntN(300)), Kind: kind}
		for f := range map[uint8]int{1: 7, 2: 5, 7: 8, 9: 0}[kind] {
			e.Fields[f] = int32(rng.IntN(2000)) - 1000
		}
		if !slices.ContainsFunc(next.Entities, func(a game.Entity) bool { return a.ID == e.ID }) {
			next.Entities = append(next.Entities, e)
		}
	}
	slices.SortFunc(next.Entities, func(a, b game.Entity) int { return int(int64(a.ID) - int64(b.ID)) })
	return next
}

func TestApplyRejects(t *testing.T) {
	c := mustCodec(t)
	base := world(10, ent(3, 1, 1), ent(5, 2, 1))
	tests := []struct {
		name string
		base *World
		body []byte
	}{
		{"empty input", base, nil},
		{"truncated count", base, []byte{0}},
		{"truncated varint", base, []byte{0x80}},
		{"varint too long", base, []byte{0x80, 0x80, 0x80, 0x80, 0x80, 0x00}},
		{"varint above 32 bits", base, []byte{0xff, 0xff, 0xff, 0xff, 0x1f, 0}},
		{"more removed than baseline", base, []byte{3, 3, 2, 1, 0}},
		{"removed not ascending", base, []byte{2, 5, 0, 0}},
		{"removed not in baseline", base, []byte{1, 4, 0}},
		{"removed past baseline", base, []byte{1, 6, 0}},
		{"changed not ascending", nil, []byte{0, 2, 1, 3, 1, 2, 0, 3, 1, 2}},
		{"changed not in baseline", base, []byte{0, 1, 4, 2, 2}},
		{"changed after removal", base, []byte{1, 3, 1, 3, 2, 2}},
		{"new already in baseline", base, []byte{0, 1, 3, 1, 1}},
		{"unknown kind", nil, []byte{0, 1, 1, 1, 4}},
		{"kind above 255", nil, []byte{0, 1, 1, 1, 0x80, 0x02}},
		{"mask beyond fields", nil, []byte{0, 1, 1, 1 | 1<<6, 2, 0}},
		{"mask beyond fields of changed", base, []byte{0, 1, 5, 1 << 6, 2}},
		{"mask on empty kind", nil, []byte{0, 1, 1, 3, 9, 2}},
		{"truncated residual", nil, []byte{0, 1, 1, 3, 1}},
		{"too many changed", nil, []byte{0, 0x81, 0x80, 0x04}},
		{"count beyond bytes", nil, []byte{0, 100, 1, 1, 1}},
		{"trailing bytes", base, []byte{0, 0, 0}},
		{"id overflow", nil, []byte{0, 2, 0xff, 0xff, 0xff, 0xff, 0x0f, 1, 1, 1, 1, 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := World{Entities: make([]game.Entity, 0, 4)}
			err := c.Apply(tc.base, 11, tc.body, &out)
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Apply(% x) = %v, want ErrCorrupt", tc.body, err)
			}
		})
	}
	if err := c.Apply(base, 11, []byte{0, 0}, base); !errors.Is(err, ErrAlias) {
		t.Fatalf("aliased out: %v, want ErrAlias", err)
	}
}

func TestApplyReusesStorage(t *testing.T) {
	c := mustCodec(t)
	base := world(1, ent(1, 1, 1, 2, 3), ent(2, 2, 4, 5, 6))
	cur := world(2, ent(1, 1, 4, 2, 3), ent(2, 2, 10, 5, 6), ent(3, 2, 1))
	body := c.AppendDelta(nil, base, cur)
	out := World{Entities: make([]game.Entity, 0, 8)}
	allocs := testing.AllocsPerRun(100, func() {
		if err := c.Apply(base, 2, body, &out); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("Apply allocated %v times per run, want 0", allocs)
	}
}

func TestHash(t *testing.T) {
	c := mustCodec(t)
	w := world(1, ent(1, 9), ent(0x01020304, 2, -1, 0, 0, 0, 0, 99)) // field 5 is beyond kind 2: not hashed
	// Reference: FNV-1a over the bytes the package documentation lists.
	var b []byte
	b = append(b, 1, 0, 0, 0, 9)
	b = append(b, 4, 3, 2, 1, 2)
	b = append(b, 0xff, 0xff, 0xff, 0xff)
	b = append(b, make([]byte, 16)...)
	h := uint32(2166136261)
	for _, x := range b {
		h ^= uint32(x)
		h *= 16777619
	}
	if got := c.Hash(w); got != h {
		t.Errorf("Hash = %#x, want %#x", got, h)
	}
	if c.Hash(world(1)) != 2166136261 {
		t.Error("empty world must hash to the FNV offset basis")
	}
}

func TestAppendDeltaAllocs(t *testing.T) {
	c := mustCodec(t)
	base, cur := benchWorlds()
	buf := make([]byte, 0, 4096)
	allocs := testing.AllocsPerRun(100, func() { buf = c.AppendDelta(buf[:0], base, cur) })
	if allocs != 0 {
		t.Errorf("AppendDelta allocated %v times per run, want 0", allocs)
	}
}

func TestSchemaWelcomeRoundTrip(t *testing.T) {
	s := testSchema()
	s.Params = map[string]int32{"scale": 16, "world_w": 2000}
	kinds, input, params := SchemaToWelcome(s)
	got, err := SchemaFromWelcome(kinds, input, params)
	if err != nil {
		t.Fatal(err)
	}
	for i := range s.Kinds { // nil and empty field slices are the same schema
		if len(s.Kinds[i].Fields) == 0 {
			s.Kinds[i].Fields = []game.FieldSpec{}
		}
	}
	if !reflect.DeepEqual(got, s) {
		t.Fatalf("got %+v\nwant %+v", got, s)
	}
	kinds[0].Fields[0].RateField = 99
	if _, err := SchemaFromWelcome(kinds, input, params); err == nil {
		t.Error("accepted a rate field out of range")
	}
	kinds[0].Fields[0].RateField = 0
	kinds[0].Id = 256
	if _, err := SchemaFromWelcome(kinds, input, params); err == nil {
		t.Error("accepted kind id 256")
	}
}

// benchWorlds is an arena-like room: 16 players and 40 projectiles, a quarter of the players turning this tick.
func benchWorlds() (base, cur *World) {
	base, cur = &World{Tick: 100}, &World{Tick: 101}
	for p := uint32(1); p <= 16; p++ {
		e := ent(p, 1, int32(p)*1000, int32(p)*900, 53, -53, int32(p)*10, 100, int32(p%3))
		base.Entities = append(base.Entities, e)
		e.Fields[0] += e.Fields[2]
		e.Fields[1] += e.Fields[3]
		e.Fields[4] += 3
		if p%4 == 0 {
			e.Fields[2] = 0
		}
		cur.Entities = append(cur.Entities, e)
	}
	for k := uint32(0); k < 40; k++ {
		e := ent(65536+k, 2, int32(k)*700, int32(k)*300, 300, -120, int32(k%16)+1)
		base.Entities = append(base.Entities, e)
		if k == 0 {
			continue // expired
		}
		e.Fields[0] += e.Fields[2]
		e.Fields[1] += e.Fields[3]
		cur.Entities = append(cur.Entities, e)
	}
	cur.Entities = append(cur.Entities, ent(65576, 2, 5000, 5000, 320, 0, 3)) // spawned
	return base, cur
}

func BenchmarkAppendDelta(b *testing.B) {
	c := mustCodec(b)
	base, cur := benchWorlds()
	buf := make([]byte, 0, 4096)
	b.ReportAllocs()
	for b.Loop() {
		buf = c.AppendDelta(buf[:0], base, cur)
	}
	b.ReportMetric(float64(len(buf)), "bytes/delta")
}

func BenchmarkAppendFull(b *testing.B) {
	c := mustCodec(b)
	_, cur := benchWorlds()
	buf := make([]byte, 0, 4096)
	b.ReportAllocs()
	for b.Loop() {
		buf = c.AppendDelta(buf[:0], nil, cur)
	}
	b.ReportMetric(float64(len(buf)), "bytes/full")
}

func BenchmarkApply(b *testing.B) {
	c := mustCodec(b)
	base, cur := benchWorlds()
	body := c.AppendDelta(nil, base, cur)
	out := World{Entities: make([]game.Entity, 0, 64)}
	b.ReportAllocs()
	for b.Loop() {
		if err := c.Apply(base, cur.Tick, body, &out); err != nil {
			b.Fatal(err)
		}
	}
}

func TestReplica(t *testing.T) {
	c := mustCodec(t)
	base, cur := benchWorlds()
	rep := NewReplica(c)
	if err := rep.Apply(cur.Tick, base.Tick, c.AppendDelta(nil, base, cur)); !errors.Is(err, ErrBaseline) {
		t.Fatalf("delta without a baseline: %v", err)
	}
	if err := rep.Apply(base.Tick, 0, c.AppendDelta(nil, nil, base)); err != nil {
		t.Fatal(err)
	}
	delta := c.AppendDelta(nil, base, cur)
	if err := rep.Apply(cur.Tick, base.Tick, delta[:len(delta)-1]); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("truncated delta: %v", err)
	}
	if !slices.Equal(rep.World().Entities, base.Entities) || rep.World().Tick != base.Tick {
		t.Fatal("a failed Apply changed the world")
	}
	if err := rep.Apply(cur.Tick, base.Tick, delta); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rep.World().Entities, cur.Entities) || rep.Hash() != c.Hash(cur) {
		t.Fatal("replica differs from the world")
	}
	full := c.AppendDelta(nil, nil, cur)
	allocs := testing.AllocsPerRun(50, func() {
		if err := rep.Apply(cur.Tick, 0, full); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("Replica.Apply allocated %v times", allocs)
	}
}

// TestSchemaToWelcomeWrapTeleportFill: a field's wrap and teleport threshold, and the schema's input fill, reach the
// Welcome.
func TestSchemaToWelcomeWrapTeleportFill(t *testing.T) {
	s := &game.Schema{Kinds: []game.KindSpec{{ID: 1, Name: "p", Fields: []game.FieldSpec{
		{Name: "x", Teleport: 300}, {Name: "aim", Wrap: 4096}, {Name: "hp"}}}}}
	kinds, _, _ := SchemaToWelcome(s)
	f := kinds[0].GetFields()
	if f[0].GetTeleport() != 300 || f[0].GetWrap() != 0 || f[1].GetWrap() != 4096 || f[1].GetTeleport() != 0 ||
		f[2].GetWrap() != 0 || f[2].GetTeleport() != 0 {
		t.Fatalf("fields %v", f)
	}
	if got := InputFillToWelcome(s); got != proto.InputFill_INPUT_FILL_REPEAT {
		t.Errorf("fill %v, want repeat", got)
	}
	s.Fill = game.FillNeutral
	if got := InputFillToWelcome(s); got != proto.InputFill_INPUT_FILL_NEUTRAL {
		t.Errorf("fill %v, want neutral", got)
	}
}

func packedBench() (c *Codec, base, cur *Packed) {
	c, _ = New(testSchema())
	wb, wc := benchWorlds()
	base, cur = &Packed{}, &Packed{}
	c.PackWorld(base, wb)
	c.PackWorld(cur, wc)
	return c, base, cur
}

// TestPackedDoesNotAllocate: packing, encoding, decoding and hashing packed worlds reuse their storage.
func TestPackedDoesNotAllocate(t *testing.T) {
	c := mustCodec(t)
	wb, wc := benchWorlds()
	var base, cur, out Packed
	c.PackWorld(&base, wb)
	buf := c.AppendDeltaPacked(nil, &base, &cur)
	body := c.AppendDelta(nil, wb, wc)
	if err := c.ApplyPacked(&base, wc.Tick, body, &out); err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(100, func() {
		c.PackWorld(&cur, wc)
		buf = c.AppendDeltaPacked(buf[:0], &base, &cur)
		if err := c.ApplyPacked(&base, wc.Tick, body, &out); err != nil {
			t.Fatal(err)
		}
		if c.HashPacked(&out) != c.HashPacked(&cur) {
			t.Fatal("hash")
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per run, want 0", allocs)
	}
}

// TestPackedFootprint: an arena room's world takes its kinds' fields only, under a third of the []game.Entity.
func TestPackedFootprint(t *testing.T) {
	c := mustCodec(t)
	_, w := benchWorlds()
	var p Packed
	c.PackWorld(&p, w)
	full := len(w.Entities) * int(unsafe.Sizeof(game.Entity{}))
	want := len(w.Entities)*16 + 16*7*4 + (len(w.Entities)-16)*5*4
	if got := len(p.ents)*16 + len(p.vals)*4 + len(p.data); got != want || 3*got > full {
		t.Errorf("packed world of %d entities: %d bytes (want %d), []game.Entity: %d", len(w.Entities), got, want, full)
	}
	t.Logf("%d entities: packed %d bytes, []game.Entity %d bytes", len(w.Entities), want, full)
}

func BenchmarkAppendDeltaPacked(b *testing.B) {
	c, base, cur := packedBench()
	buf := make([]byte, 0, 4096)
	b.ReportAllocs()
	for b.Loop() {
		buf = c.AppendDeltaPacked(buf[:0], base, cur)
	}
	b.ReportMetric(float64(len(buf)), "bytes/delta")
}

func BenchmarkApplyPacked(b *testing.B) {
	c, base, cur := packedBench()
	body := c.AppendDeltaPacked(nil, base, cur)
	var out Packed
	b.ReportAllocs()
	for b.Loop() {
		if err := c.ApplyPacked(base, cur.Tick, body, &out); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkHashPacked(b *testing.B) {
	c, _, cur := packedBench()
	b.ReportAllocs()
	for b.Loop() {
		c.HashPacked(cur)
	}
}

func BenchmarkHash(b *testing.B) {
	c := mustCodec(b)
	_, cur := benchWorlds()
	b.ReportAllocs()
	for b.Loop() {
		c.Hash(cur)
	}
}
