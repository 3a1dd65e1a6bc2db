package room

import (
	"cmp"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/game/arena"
	"github.com/tickwire/tickwire/proto/snapcodec"
)

// The simulated network of TestLagCompensation: 150 ms round trip, no jitter. Snapshots reach the client oneWay after
// the tick that made them; an input reaches the room oneWay after it was sent, lcLead(s) before its tick s is due.
// The lead wanders between 2 and 30 ms, as a client's input clock drifts and is corrected, so the moments the client
// draws at when it sends inputs take every fraction of a tick.
const (
	lcOneWay = 75 * time.Millisecond
	// lcMargin is how far behind the newest snapshot, beyond one snapshot interval, the client draws (ticks).
	lcMargin = 0.1
	// Shots are fired only at a target this far away (world units), so that they fly 12 to 25 ticks.
	lcMinRange, lcMaxRange = 250, 500
	lcSetup                = 300  // ticks for both players to get into position
	lcShooting             = 5400 // ticks of shooting (3 minutes)
)

func lcLead(s int) time.Duration { return time.Duration(2+s*7%29) * time.Millisecond }

// lcRun is the outcome of one TestLagCompensation game.
type lcRun struct {
	shots, hits int
	fracs       int // distinct View fractions of the shots
	info        Info
}

// TestLagCompensation plays a shooter against a moving target in a real arena room on the test clock, through a
// simulated 150 ms round trip: the shooter's client draws the world as the SDK does (render time = newest snapshot
// tick minus one snapshot interval minus a small margin, fractional, interpolated between the two snapshots around
// it), aims at where it draws the target, leading it along its drawn motion, and sends each input with View = its
// render time. The target strafes round the shooter in straight lines and turns about once a second. A shot is fired
// only when, in the shooter's own drawing, it is a hit: the target is 250 to 500 units away and walks straight, clear
// of the walls, for the whole flight (the shooter knows the target's course), and the shot would not hit a target
// that is already dead (its hp as drawn, less the shots still on their way). With lag compensation the room must
// agree with the shooter's drawing: at least 95% of the shots hit. Without it, the room tests where the target is
// when the projectile arrives, about 200 ms of walking further on, and most shots miss.
func TestLagCompensation(t *testing.T) {
	on := lagCompRun(t, true)
	off := lagCompRun(t, false)
	t.Logf("lag compensation on: %d/%d hits (%.1f%%); off: %d/%d hits (%.1f%%)",
		on.hits, on.shots, 100*float64(on.hits)/float64(on.shots), off.hits, off.shots, 100*float64(off.hits)/float64(off.shots))
	for _, r := range []lcRun{on, off} {
		if r.shots < 100 || r.fracs < 20 {
			t.Fatalf("only %d shots fired, with %d distinct View fractions", r.shots, r.fracs)
		}
		// Every input arrived in time for its tick: each shot was fired by its own input, with its own View.
		if i := r.info; i.InputsMissed != 0 || i.InputsLate != 0 || i.InputsEarly != 0 || i.InputsDropped != 0 || i.InputsApplied == 0 {
			t.Fatalf("inputs applied %d, missed %d, late %d, early %d, dropped %d; want all applied",
				i.InputsApplied, i.InputsMissed, i.InputsLate, i.InputsEarly, i.InputsDropped)
		}
	}
	if on.hits*100 < on.shots*95 {
		t.Errorf("lag compensation on: %d of %d shots hit, want at least 95%%", on.hits, on.shots)
	}
	if off.hits*2 >= off.shots {
		t.Errorf("lag compensation off: %d of %d shots hit, want most to miss", off.hits, off.shots)
	}
}

// lagCompRun plays one game of TestLagCompensation.
func lagCompRun(t *testing.T, lagComp bool) lcRun {
	t.Helper()
	setting := "0"
	if lagComp {
		setting = "1"
	}
	h := startRoom(t, Config{Mode: arena.Mode}, newArena(t, 11, map[string]string{"lag_compensation": setting}))
	p := arena.NewParams(h.r.cfg.TickRate)
	shooterSink, shooter := h.join("shooter")
	targetSink, target := h.join("target")
	dt := time.Second / time.Duration(h.r.cfg.TickRate)
	due := func(k int) time.Time { // as the room schedules ticks
		return h.t0.Add(time.Duration(int64(k) * int64(time.Second) / int64(h.r.cfg.TickRate)))
	}
	center := p.WorldW * p.Scale / 2

	// The worlds the shooter's client decoded, by tick. A snapshot is visible to it oneWay after its tick was due.
	worlds := map[int]snapcodec.World{}
	find := func(w snapcodec.World, id game.PlayerID) (game.Entity, bool) {
		for _, e := range w.Entities {
			if e.ID == uint32(id) {
				return e, true
			}
		}
		return game.Entity{}, false
	}

	// The target's course, one direction per tick, decided a second or two ahead in segments of 20 to 40 ticks: it
	// heads for a ring around the shooter, then strafes round it, turning one way or the other.
	rng := rand.New(rand.NewPCG(5, 6))
	type dir struct{ dx, dy int32 }
	course := []dir{{}} // course[k] is the target's input for tick k
	extendCourse := func(s int, x, y int32) {
		for k := s; k < len(course); k++ { // where the course takes it from the end of tick s-1
			x, y, _, _ = arena.Move(x, y, course[k].dx, course[k].dy, p)
		}
		for len(course) < s+60 {
			dist := math.Hypot(float64(x-center), float64(y-center)) / float64(p.Scale)
			toward := dir{sign(center - x), sign(center - y)}
			d := dir{-toward.dy, toward.dx} // strafe round the shooter, one way or the other
			if rng.IntN(2) == 0 {
				d = dir{toward.dy, -toward.dx}
			}
			switch {
			case dist > lcMaxRange-50:
				d = toward
			case dist < lcMinRange+50:
				d = dir{-toward.dx, -toward.dy}
			}
			if d == (dir{}) {
				d = dir{1, 0}
			}
			for range 20 + rng.IntN(21) {
				course = append(course, d)
				x, y, _, _ = arena.Move(x, y, d.dx, d.dy, p)
			}
		}
	}

	// Shots the room has been sent: the tick they fire at and the tick the shooter expects them to arrive.
	type shot struct{ fired, arrives int }
	var shots []shot
	lastFire := -1000
	fracs := map[uint8]bool{}

	// shooterInput is what the shooter's client sends at its input tick s, when it is drawing at render time R.
	shooterInput := func(s int, self game.Entity, in *game.Input) {
		sendAt := due(s).Add(-lcOneWay - lcLead(s))
		est := float64(sendAt.Add(-lcOneWay).Sub(h.t0)) / float64(dt) // the newest tick it can see, fractional
		r := est - 1 - lcMargin
		n := int(math.Floor(r))
		frac := uint8((r - float64(n)) * 256)
		if due(n + 1).Add(lcOneWay).After(sendAt) {
			t.Fatalf("tick %d: drawing at %.2f needs snapshot %d, not arrived yet", s, r, n+1)
		}
		in.View, in.ViewFrac = game.Tick(n), frac
		if s <= lcSetup || s > lcSetup+lcShooting || s < lastFire+int(p.FireInterval) {
			return
		}
		a, okA := find(worlds[n], target)
		b, okB := find(worlds[n+1], target)
		if !okA || !okB {
			return
		}
		vx, vy := arena.Velocity(course[n+1].dx, course[n+1].dy, p)
		if b.Fields[arena.PlayerX]-a.Fields[arena.PlayerX] != vx || b.Fields[arena.PlayerY]-a.Fields[arena.PlayerY] != vy {
			return // a respawn or a wall: not walking straight
		}
		// Where it draws the target, and where it will draw it j ticks on while the projectile flies: the
		// projectile is at self + u·(j+1) after the Step of tick s+j, when the drawing shows render time R+j.
		f := float64(frac) / 256
		px := float64(a.Fields[arena.PlayerX]) + float64(vx)*f
		py := float64(a.Fields[arena.PlayerY]) + float64(vy)*f
		dx, dy := px-float64(self.Fields[arena.PlayerX]), py-float64(self.Fields[arena.PlayerY])
		dist := math.Hypot(dx, dy) / float64(p.Scale)
		if dist < lcMinRange || dist > lcMaxRange {
			return
		}
		u := float64(p.ProjectileSpeed)
		fvx, fvy := float64(vx), float64(vy)
		qa, qb, qc := fvx*fvx+fvy*fvy-u*u, 2*(dx*fvx+dy*fvy-u*u), dx*dx+dy*dy-u*u
		j := (-qb - math.Sqrt(qb*qb-4*qa*qc)) / (2 * qa)
		if j <= 0 || j+1 >= float64(p.ProjectileLifetime) {
			return
		}
		last := n + 2 + int(math.Ceil(j))
		for k := n + 1; k <= last; k++ {
			if course[k] != course[n+1] {
				return // the target turns during the flight
			}
		}
		edge := float64(50 * p.Scale)
		ex, ey := px+fvx*(j+2), py+fvy*(j+2)
		if ex < edge || ey < edge || ex > float64(p.WorldW*p.Scale)-edge || ey > float64(p.WorldH*p.Scale)-edge {
			return // it would reach a wall
		}
		pending := 0
		for _, sh := range shots {
			if sh.arrives >= n {
				pending++
			}
		}
		if a.Fields[arena.PlayerHP]-int32(pending)*p.Damage <= 0 {
			return // already dead once the shots on their way land
		}
		aim := math.Atan2(dy+fvy*j, dx+fvx*j)
		in.Values[arena.InputAim] = int32(math.Round(aim/(2*math.Pi)*65536)) & 0xffff
		in.Values[arena.InputFire] = 1
		lastFire = s
		shots = append(shots, shot{fired: s, arrives: s + int(math.Ceil(j)) + 1})
		fracs[frac] = true
	}

	var seq uint32
	total := lcSetup + lcShooting + 60
	for s := 1; s <= total; s++ {
		// Both clients predict their own players exactly: they know where they are at the end of tick s-1.
		now := shooterSink.clientWorld()
		self, _ := find(now, shooter)
		tgt, _ := find(targetSink.clientWorld(), target)
		extendCourse(s, tgt.Fields[arena.PlayerX], tgt.Fields[arena.PlayerY])

		seq++
		var in game.Input
		in.Seq, in.Tick = seq, game.Tick(s)
		if s <= lcSetup { // walk to the middle and stay there
			in.Values[arena.InputDX] = stepToward(center, self.Fields[arena.PlayerX], p.Speed)
			in.Values[arena.InputDY] = stepToward(center, self.Fields[arena.PlayerY], p.Speed)
		}
		shooterInput(s, self, &in)
		ack := uint32(max(0, int(math.Floor(float64(due(s).Add(-2*lcOneWay-lcLead(s)).Sub(h.t0))/float64(dt)))))
		lcSend(h, shooter, shooterSink, in, ack)

		var tin game.Input
		tin.Seq, tin.Tick = seq, game.Tick(s)
		tin.Values[arena.InputDX], tin.Values[arena.InputDY] = course[s].dx, course[s].dy
		lcSend(h, target, targetSink, tin, ack)

		h.ticks(1)
		worlds[s] = shooterSink.clientWorld()
		if worlds[s].Tick != uint32(s) {
			t.Fatalf("tick %d: the shooter holds tick %d", s, worlds[s].Tick)
		}
		delete(worlds, s-100)
	}
	shooterSink.check(t)
	targetSink.check(t)

	res := lcRun{shots: len(shots), fracs: len(fracs), info: h.r.Info()}
	shooterSink.mu.Lock()
	for _, f := range shooterSink.reliable {
		if e := f.GetEvent(); e != nil && e.GetType() == arena.EventHit && len(e.GetArgs()) > 0 && e.GetArgs()[0] == int32(shooter) {
			res.hits++
		}
	}
	shooterSink.mu.Unlock()
	return res
}

// lcSend delivers a client's input to the room; ack is the newest snapshot tick the client holds.
func lcSend(h *harness, id game.PlayerID, sink *fakeSink, in game.Input, ack uint32) {
	h.r.Input(id, sink, in, ack)
}

// sign is -1, 0 or 1.
func sign(v int32) int32 { return int32(cmp.Compare(v, 0)) }

func abs32(v int32) int32 {
	if v < 0 {
		return -v
	}
	return v
}

// stepToward is the input direction on one axis that brings a player at x towards goal, 0 once within one step.
func stepToward(goal, x, step int32) int32 {
	if abs32(goal-x) < step {
		return 0
	}
	return sign(goal - x)
}
