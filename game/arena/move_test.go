package arena

import (
	"bytes"
	"encoding/json"
	"flag"
	"math"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/move_golden.json from Move")

func TestNewParams(t *testing.T) {
	tests := []struct {
		tickRate                                       int
		speed, diag, projSpeed, lifetime, fireInterval int32
	}{
		// 200 u/s · 16 / 30 = 106.67; / √2 = 75.42; 600 u/s · 16 / 30 = 320; 30 / 4 = 7.5 rounded up.
		{30, 107, 75, 320, 30, 8},
		{0, 107, 75, 320, 30, 8}, // default tick rate
		{60, 53, 38, 160, 60, 15},
		{20, 160, 113, 480, 20, 5},
		{4, 800, 566, 2400, 4, 1},
	}
	for _, tt := range tests {
		p := NewParams(tt.tickRate)
		got := [5]int32{p.Speed, p.Diag, p.ProjectileSpeed, p.ProjectileLifetime, p.FireInterval}
		want := [5]int32{tt.speed, tt.diag, tt.projSpeed, tt.lifetime, tt.fireInterval}
		if got != want {
			t.Errorf("NewParams(%d) [speed diag projectile_speed lifetime fire_interval] = %v, want %v", tt.tickRate, got, want)
		}
	}
	m := NewParams(30).Map()
	for key, want := range map[string]int32{"scale": 16, "world_w": 2000, "world_h": 2000, "hit_radius": 20, "max_hp": 100, "speed": 107} {
		if m[key] != want {
			t.Errorf("Params.Map()[%q] = %d, want %d", key, m[key], want)
		}
	}
}

func TestMove(t *testing.T) {
	p := NewParams(30)
	const max = 2000 * Scale
	tests := []struct {
		name           string
		x, y, dx, dy   int32
		nx, ny, vx, vy int32
	}{
		{"still", 1000, 1000, 0, 0, 1000, 1000, 0, 0},
		{"right", 1000, 1000, 1, 0, 1107, 1000, 107, 0},
		{"left", 1000, 1000, -1, 0, 893, 1000, -107, 0},
		{"down", 1000, 1000, 0, 1, 1000, 1107, 0, 107},
		{"up", 1000, 1000, 0, -1, 1000, 893, 0, -107},
		{"diagonal down right", 1000, 1000, 1, 1, 1075, 1075, 75, 75},
		{"diagonal up left", 1000, 1000, -1, -1, 925, 925, -75, -75},
		{"diagonal up right", 1000, 1000, 1, -1, 1075, 925, 75, -75},
		{"left wall partial", 50, 1000, -1, 0, 0, 1000, -50, 0},
		{"left wall stopped", 0, 1000, -1, 0, 0, 1000, 0, 0},
		{"right wall partial", max - 7, 1000, 1, 0, max, 1000, 7, 0},
		{"bottom wall stopped", 1000, max, 0, 1, 1000, max, 0, 0},
		{"top wall diagonal slides", 1000, 0, 1, -1, 1075, 0, 75, 0},
		{"corner diagonal stopped", max, max, 1, 1, max, max, 0, 0},
		{"corner diagonal away", 0, 0, 1, 1, 75, 75, 75, 75},
		{"out of range direction counts as sign", 1000, 1000, 5, -9, 1075, 925, 75, -75},
		{"outside the world is clamped", -500, max + 500, 0, 0, 0, max, 500, -500},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nx, ny, vx, vy := Move(tt.x, tt.y, tt.dx, tt.dy, p)
			got := [4]int32{nx, ny, vx, vy}
			want := [4]int32{tt.nx, tt.ny, tt.vx, tt.vy}
			if got != want {
				t.Errorf("Move(%d, %d, %d, %d) = %v, want %v", tt.x, tt.y, tt.dx, tt.dy, got, want)
			}
		})
	}
}

// moveGolden is the format of testdata/move_golden.json, which the web client's test reads to check its copy of Move:
// the Params Move takes (at 30 Hz) and cases of inputs with the result.
type moveGolden struct {
	Params map[string]int32 `json:"params"`
	Cases  []moveCase       `json:"cases"`
}

type moveCase struct {
	In   moveIn  `json:"in"`
	Want moveOut `json:"want"`
}

type moveIn struct {
	X  int32 `json:"x"`
	Y  int32 `json:"y"`
	DX int32 `json:"dx"`
	DY int32 `json:"dy"`
}

type moveOut struct {
	X  int32 `json:"x"`
	Y  int32 `json:"y"`
	VX int32 `json:"vx"`
	VY int32 `json:"vy"`
}

// goldenMoves computes the golden cases: every direction from the centre, from each wall, from just inside each wall
// (less than a step away) and from each corner.
func goldenMoves(p Params) moveGolden {
	w, h := p.WorldW*p.Scale, p.WorldH*p.Scale
	points := [][2]int32{
		{w / 2, h / 2}, {12345, 6789},
		{0, h / 2}, {w, h / 2}, {w / 2, 0}, {w / 2, h},
		{p.Diag - 1, h / 2}, {w - p.Speed + 1, h / 2}, {w / 2, p.Speed - 1}, {w / 2, h - p.Diag + 1},
		{0, 0}, {w, 0}, {0, h}, {w, h},
		{p.Diag / 2, h - p.Diag/2},
	}
	g := moveGolden{Params: p.Map()}
	for _, pt := range points {
		for dy := int32(-1); dy <= 1; dy++ {
			for dx := int32(-1); dx <= 1; dx++ {
				nx, ny, vx, vy := Move(pt[0], pt[1], dx, dy, p)
				g.Cases = append(g.Cases, moveCase{
					In:   moveIn{X: pt[0], Y: pt[1], DX: dx, DY: dy},
					Want: moveOut{X: nx, Y: ny, VX: vx, VY: vy},
				})
			}
		}
	}
	return g
}

// marshalGolden writes one case per line so that the file reads (and diffs) as a table.
func marshalGolden(g moveGolden) ([]byte, error) {
	params, err := json.Marshal(g.Params)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.WriteString("{\n\"params\": ")
	b.Write(params)
	b.WriteString(",\n\"cases\": [\n")
	for i, c := range g.Cases {
		line, err := json.Marshal(c)
		if err != nil {
			return nil, err
		}
		b.Write(line)
		if i < len(g.Cases)-1 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	b.WriteString("]}\n")
	return b.Bytes(), nil
}

// TestMoveGolden checks Move against testdata/move_golden.json; go test -run MoveGolden -update rewrites the file.
func TestMoveGolden(t *testing.T) {
	p := NewParams(30)
	path := filepath.Join("testdata", "move_golden.json")
	if *update {
		b, err := marshalGolden(goldenMoves(p))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run MoveGolden -update to create it)", err)
	}
	var g moveGolden
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&g); err != nil {
		t.Fatalf("decode %s: %v", path, err)
	}
	for k, v := range p.Map() {
		if g.Params[k] != v {
			t.Errorf("%s: params[%q] = %d, want %d", path, k, g.Params[k], v)
		}
	}
	if len(g.Params) != len(p.Map()) {
		t.Errorf("%s: %d params, want %d", path, len(g.Params), len(p.Map()))
	}
	if want := len(goldenMoves(p).Cases); len(g.Cases) != want {
		t.Errorf("%s: %d cases, want %d", path, len(g.Cases), want)
	}
	for _, c := range g.Cases {
		nx, ny, vx, vy := Move(c.In.X, c.In.Y, c.In.DX, c.In.DY, p)
		if got := (moveOut{X: nx, Y: ny, VX: vx, VY: vy}); got != c.Want {
			t.Errorf("Move(%+v) = %+v, golden %+v", c.In, got, c.Want)
		}
	}
}

func TestProjectileVelocity(t *testing.T) {
	tests := []struct {
		aim    uint16
		vx, vy int32
	}{
		{0, 320, 0},
		{16384, 0, 320}, // +y is down
		{32768, -320, 0},
		{49152, 0, -320},
		{8192, 226, 226}, // 320/√2 = 226.27
		{40960, -226, -226},
		{65535, 320, 0}, // -0.0055 rounds to 0
	}
	for _, tt := range tests {
		vx, vy := ProjectileVelocity(tt.aim, 320)
		if vx != tt.vx || vy != tt.vy {
			t.Errorf("ProjectileVelocity(%d, 320) = (%d, %d), want (%d, %d)", tt.aim, vx, vy, tt.vx, tt.vy)
		}
	}
	// Every entry must sit well away from a rounding boundary, so that a last-bit difference in another platform's
	// math.Sin (or a fused multiply-add) cannot change the table.
	for i := 0; i <= 16384; i++ {
		v := math.Sin(float64(i)*(2*math.Pi/65536)) * 65536
		if frac := math.Abs(v - math.Floor(v) - 0.5); frac < 1e-6 {
			t.Errorf("sin table entry %d = %v is %g from a rounding boundary", i, v, frac)
		}
	}
	// The table must agree with math within rounding, and sin² + cos² stay close to 1, for every angle.
	for a := 0; a < 65536; a++ {
		s, c := int64(Sin(uint16(a))), int64(Cos(uint16(a)))
		if n := s*s + c*c; n < (65536-2)*(65536-2) || n > (65536+2)*(65536+2) {
			t.Fatalf("aim %d: sin %d cos %d: norm² %d too far from 65536²", a, s, c, n)
		}
	}
}
