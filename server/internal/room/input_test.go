package room

import (
	"errors"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/tickwire/tickwire/game"
)

// real returns the inputs the Sim was given that were not fills.
func real(sim *lineSim) []appliedInput {
	var out []appliedInput
	for _, a := range sim.applied {
		if !a.missed {
			out = append(out, a)
		}
	}
	return out
}

// checkOnePerTick fails unless every connected player got exactly one ApplyInput per tick it was connected, and
// each player's real inputs have strictly increasing seqs.
func checkOnePerTick(t *testing.T, sim *lineSim) {
	t.Helper()
	type key struct {
		tick game.Tick
		p    game.PlayerID
	}
	seen := map[key]bool{}
	lastSeq := map[game.PlayerID]uint32{}
	for _, a := range sim.applied {
		k := key{a.tick, a.player}
		if seen[k] {
			t.Fatalf("player %d got two inputs at tick %d", a.player, a.tick)
		}
		seen[k] = true
		if a.missed {
			if a.seq != 0 {
				t.Fatalf("a fill with seq %d", a.seq)
			}
			continue
		}
		if a.seq <= lastSeq[a.player] {
			t.Fatalf("player %d: seq %d applied after %d", a.player, a.seq, lastSeq[a.player])
		}
		lastSeq[a.player] = a.seq
	}
}

func TestInputAppliedAtItsTick(t *testing.T) {
	sim := newLineSim()
	obs := newCountObserver()
	h := startRoom(t, Config{Observer: obs}, sim)
	a, pa := h.join("a")
	h.ticks(1) // no input yet: not a missed one
	// Inputs for ticks 2, 3 and 5, sent ahead; tick 4 has none.
	h.input(pa, a, game.Input{Seq: 1, Tick: 2, Values: [8]int32{1}})
	h.input(pa, a, game.Input{Seq: 2, Tick: 3, Values: [8]int32{2}})
	h.input(pa, a, game.Input{Seq: 3, Tick: 5, Values: [8]int32{3}})
	h.ticks(5)
	want := []appliedInput{
		{tick: 1, player: pa, missed: true},
		{tick: 2, player: pa, seq: 1, dx: 1},
		{tick: 3, player: pa, seq: 2, dx: 2},
		{tick: 4, player: pa, dx: 2, missed: true}, // FillRepeat: the last values again
		{tick: 5, player: pa, seq: 3, dx: 3},
		{tick: 6, player: pa, dx: 3, missed: true},
	}
	if !slices.Equal(sim.applied, want) {
		t.Fatalf("applied\n%+v\nwant\n%+v", sim.applied, want)
	}
	// Missed counts start with the first input: tick 1 does not count, ticks 4 and 6 do.
	if c := obs.counts(); c.Applied != 3 || c.Missed != 2 || c.Late+c.Early+c.Duplicate != 0 {
		t.Errorf("counts %+v", c)
	}
	if got := a.lastSnap().lastSeq; got != 3 {
		t.Errorf("last_input_seq %d, want 3", got)
	}
	info := h.r.Info()
	if info.InputsApplied != 3 || info.InputsMissed != 2 {
		t.Errorf("info %+v", info)
	}
	a.check(t)
}

func TestInputLateEarlyDuplicate(t *testing.T) {
	sim := newLineSim()
	obs := newCountObserver()
	h := startRoom(t, Config{Observer: obs, InputWindow: 10}, sim)
	a, pa := h.join("a")
	h.ticks(5) // the room is at tick 5
	type step struct {
		seq, tick uint32
		want      string
	}
	steps := []step{
		{1, 5, "late"},       // tick 5 is simulated
		{2, 1, "late"},       // long gone
		{3, 16, "early"},     // 11 ahead, window 10
		{4, 15, "ok"},        // exactly the window
		{4, 15, "duplicate"}, // the same again
		{3, 20, "duplicate"}, // a lower seq
		{5, 15, "duplicate"}, // the same tick with a new seq
		{6, 14, "duplicate"}, // a lower tick
		{7, 6, "duplicate"},  // the next tick, but below the last accepted one
		{8, 17, "early"},
		{9, 16, "early"},
		{10, 15, "duplicate"},
	}
	var want InputCounts
	for _, s := range steps {
		h.input(pa, a, game.Input{Seq: s.seq, Tick: game.Tick(s.tick)})
		switch s.want {
		case "late":
			want.Late++
		case "early":
			want.Early++
		case "duplicate":
			want.Duplicate++
		}
	}
	h.ticks(10) // to tick 15
	want.Applied = 1
	want.Missed = 9 // ticks 6..14: the player sent inputs, none for these ticks
	if c := obs.counts(); c != want {
		t.Fatalf("counts %+v, want %+v", c, want)
	}
	if r := real(sim); len(r) != 1 || r[0].seq != 4 || r[0].tick != 15 {
		t.Fatalf("real inputs %+v", r)
	}
	info := h.r.Info()
	if info.InputsLate != 2 || info.InputsEarly != 3 || info.InputsDuplicate != 6 || info.InputsDropped != 11 {
		t.Errorf("info %+v", info)
	}
	checkOnePerTick(t, sim)
}

func TestInputFill(t *testing.T) {
	for _, tc := range []struct {
		name       string
		fill       game.InputFill
		min, max   int32
		want       []int32 // dx at ticks 1..5; a real input of 4 at tick 2
		wantMissed []bool
	}{
		{"repeat", game.FillRepeat, -5, 5, []int32{0, 4, 4, 4, 4}, nil},
		{"repeat neutral above zero", game.FillRepeat, 2, 9, []int32{2, 4, 4, 4, 4}, nil},
		{"neutral", game.FillNeutral, -5, 5, []int32{0, 4, 0, 0, 0}, nil},
		{"neutral clamped", game.FillNeutral, 2, 9, []int32{2, 4, 2, 2, 2}, nil},
		{"neutral clamped below zero", game.FillNeutral, -9, -3, []int32{-3, -3, -3, -3, -3}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sim := newLineSim()
			sim.fill, sim.dxMin, sim.dxMax = tc.fill, tc.min, tc.max
			h := startRoom(t, Config{}, sim)
			a, pa := h.join("a")
			if w := a.welcomes()[0]; int32(w.GetInputFill()) != int32(tc.fill) {
				t.Errorf("welcome input_fill %v", w.GetInputFill())
			}
			h.input(pa, a, game.Input{Seq: 1, Tick: 2, Values: [8]int32{4}})
			h.ticks(5)
			var got []int32
			for i, ap := range sim.applied {
				got = append(got, ap.dx)
				if ap.missed != (i != 1) {
					t.Errorf("tick %d missed=%v", ap.tick, ap.missed)
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("dx %v, want %v", got, tc.want)
			}
		})
	}
}

func TestInputFillResetByDisconnect(t *testing.T) {
	sim := newLineSim()
	h := startRoom(t, Config{}, sim)
	a, pa := h.join("a")
	h.input(pa, a, game.Input{Seq: 1, Tick: 1, Values: [8]int32{3}})
	h.input(pa, a, game.Input{Seq: 2, Tick: 5, Values: [8]int32{4}}) // buffered, then void
	h.ticks(2)
	h.r.Disconnected(pa, a)
	h.ticks(1)
	b := newFakeSink(t)
	res, err := h.r.Resume(t.Context(), pa, b, nil)
	if err != nil || res.LastInputSeq != 1 {
		t.Fatalf("resume %+v %v", res, err)
	}
	h.ticks(3) // ticks 4..6: fills, neutral (the disconnect reset what is repeated); tick 5's input is gone
	if len(sim.applied) != 5 {
		t.Fatalf("applied %+v: tick 3 (disconnected) should have none", sim.applied)
	}
	for _, ap := range sim.applied[2:] {
		if !ap.missed || ap.dx != 0 {
			t.Fatalf("after resume applied %+v", sim.applied[2:])
		}
	}
	// The client resends seq 2, re-addressed: applied once. A second copy is a duplicate.
	h.input(pa, b, game.Input{Seq: 2, Tick: 8, Values: [8]int32{4}})
	h.input(pa, b, game.Input{Seq: 2, Tick: 9, Values: [8]int32{4}})
	h.input(pa, b, game.Input{Seq: 1, Tick: 10, Values: [8]int32{4}}) // applied long ago
	h.ticks(4)
	if r := real(sim); len(r) != 2 || r[1].seq != 2 || r[1].tick != 8 {
		t.Fatalf("real inputs %+v", r)
	}
	if info := h.r.Info(); info.InputsDuplicate != 2 {
		t.Errorf("duplicates %d, want 2", info.InputsDuplicate)
	}
	checkOnePerTick(t, sim)
}

func TestViewClamp(t *testing.T) {
	r, err := New(Config{ID: "v", TickRate: 30, MaxRewind: 200 * time.Millisecond, Clock: newFakeClock()}, newLineSim())
	if err != nil {
		t.Fatal(err)
	}
	// 200 ms at 30 Hz: 6 ticks of rewind.
	for _, tc := range []struct {
		view      game.Tick
		frac      uint8
		t, ack    uint32
		wantView  game.Tick
		wantFrac  uint8
		rationale string
	}{
		{0, 100, 50, 49, 0, 0, "unknown stays unknown"},
		{45, 100, 50, 49, 45, 100, "within bounds"},
		{44, 100, 50, 49, 44, 100, "exactly MaxRewind"},
		{43, 100, 50, 49, 44, 0, "older than MaxRewind"},
		{2, 7, 50, 49, 44, 0, "much older"},
		{49, 100, 50, 49, 49, 0, "the acked tick plus a fraction is newer than the ack"},
		{48, 255, 50, 49, 48, 255, "just below the ack"},
		{60, 100, 50, 49, 49, 0, "the future"},
		{48, 100, 50, 46, 46, 0, "newer than acked"},
		{48, 100, 50, 80, 48, 100, "an ack from the future does not widen the bound"},
		{49, 100, 50, 80, 49, 0, "not newer than t-1"},
		{48, 100, 50, 0, 0, 0, "nothing acked: unknown"},
		{48, 100, 50, 30, 44, 0, "acked before the rewind window: the window wins"},
		{3, 9, 4, 2, 2, 0, "early ticks: no lower bound below tick 1"},
	} {
		v, f := r.clampView(tc.view, tc.frac, tc.t, tc.ack)
		if v != tc.wantView || f != tc.wantFrac {
			t.Errorf("%s: clampView(%d+%d/256, t=%d, ack=%d) = %d+%d, want %d+%d", tc.rationale, tc.view, tc.frac, tc.t,
				tc.ack, v, f, tc.wantView, tc.wantFrac)
		}
	}
}

func TestViewClampApplied(t *testing.T) {
	sim := newLineSim()
	h := startRoom(t, Config{MaxRewind: 200 * time.Millisecond}, sim) // 6 ticks
	a, pa := h.join("a")
	h.ticks(20)
	// The inputs carry ack 18; the first says the client drew 19+0.5: clamped to 18.
	h.r.Input(pa, a, game.Input{Seq: 1, Tick: 21, View: 19, ViewFrac: 128}, 18)
	h.r.Input(pa, a, game.Input{Seq: 2, Tick: 22, View: 17, ViewFrac: 64}, 18)
	h.r.Input(pa, a, game.Input{Seq: 3, Tick: 23, View: 5, ViewFrac: 64}, 18)
	h.ticks(5)
	got := sim.applied[20:]
	want := []appliedInput{
		{tick: 21, player: pa, seq: 1, view: 18},
		{tick: 22, player: pa, seq: 2, view: 17, frac: 64},
		{tick: 23, player: pa, seq: 3, view: 17},       // 23-6
		{tick: 24, player: pa, missed: true, view: 18}, // the last real View, bounded by the window at 24
		{tick: 25, player: pa, missed: true, view: 19}, // likewise at 25
	}
	if !slices.Equal(got, want) {
		t.Fatalf("applied\n%+v\nwant\n%+v", got, want)
	}
	if w := a.welcomes()[0]; w.GetMaxRewindMs() != 0 || w.GetInputWindow() != 30 || w.GetProtocolVersion() != 2 {
		t.Errorf("welcome: max_rewind_ms %d (lineSim does not rewind), input_window %d, version %d",
			w.GetMaxRewindMs(), w.GetInputWindow(), w.GetProtocolVersion())
	}
}

func TestInputLeadReport(t *testing.T) {
	// A room driven without its goroutine, its schedule starting now on a fake clock.
	clk := newFakeClock()
	obs := newCountObserver()
	r, err := New(Config{ID: "lead", Clock: clk, Observer: obs}, newLineSim()) // 30 snapshots/s: every 3rd reports
	if err != nil {
		t.Fatal(err)
	}
	r.start = clk.Now()
	a := newFakeSink(t)
	pa := directJoin(t, r, a, "a")
	reports := func() []gotSnap {
		var out []gotSnap
		for _, s := range a.snaps {
			if s.hasLead {
				out = append(out, s)
			}
		}
		return out
	}
	// Tick n is due at start + n·dt: inputs for ticks 2 and 3 sent at the start lead by 2dt and 3dt.
	directInput(r, pa, a, game.Input{Seq: 1, Tick: 2})
	directInput(r, pa, a, game.Input{Seq: 2, Tick: 3})
	for range 3 {
		r.step()
	}
	want2dt := int32(r.due(2).Sub(r.start).Microseconds())
	if rep := reports(); len(rep) != 1 || rep[0].tick != 3 || rep[0].lead != want2dt {
		t.Fatalf("lead reports %+v, want one at tick 3 of %d us", rep, want2dt)
	}
	// No input since: no report at tick 6. Then one arriving 5 ms after tick 8 was due, before the room ran it:
	// lead -5 ms, and still applied.
	for range 4 {
		r.step()
	}
	clk.Advance(r.due(8).Sub(clk.Now()) + 5*time.Millisecond)
	directInput(r, pa, a, game.Input{Seq: 3, Tick: 8})
	r.step()
	r.step()
	if rep := reports(); len(rep) != 2 || rep[1].tick != 9 || rep[1].lead != -5000 {
		t.Fatalf("lead reports %+v, want a second at tick 9 of -5000 us", rep)
	}
	if c := obs.counts(); c.Applied != 3 || c.Late != 0 {
		t.Errorf("counts %+v", c)
	}
	obs.mu.Lock()
	defer obs.mu.Unlock()
	if len(obs.leads) != 3 || len(obs.waits) != 3 || obs.leads[2] != -5*time.Millisecond {
		t.Errorf("leads %v waits %v", obs.leads, obs.waits)
	}
	a.check(t)
}

// TestFloodAppliesOnePerTick: whatever a client sends (many inputs per tick, all to one tick, random ticks), the
// room applies at most one per tick, in seq order.
func TestFloodAppliesOnePerTick(t *testing.T) {
	for _, mode := range []string{"consecutive", "same tick", "random"} {
		t.Run(mode, func(t *testing.T) {
			sim := newLineSim()
			h := startRoom(t, Config{TickRate: 30}, sim)
			a, pa := h.join("a")
			rng := rand.New(rand.NewPCG(7, 7))
			seq := uint32(0)
			for range 60 { // 2 s
				now := h.r.Info().Tick
				for range 4 { // 120 inputs per second
					seq++
					var tk uint32
					switch mode {
					case "consecutive":
						tk = seq
					case "same tick":
						tk = now + 1
					case "random":
						tk = uint32(max(0, int(now)+rng.IntN(50)-10))
					}
					h.input(pa, a, game.Input{Seq: seq, Tick: game.Tick(tk), Values: [8]int32{5}})
				}
				h.ticks(1)
			}
			checkOnePerTick(t, sim)
			if n := len(sim.applied); n != 60 {
				t.Errorf("%d inputs applied in 60 ticks", n)
			}
		})
	}
}

// TestInputJitter: a client sends one input per tick whose network delay varies uniformly over 20 ms, aiming at a
// lead above the jitter; the room applies a real input at (nearly) every tick.
func TestInputJitter(t *testing.T) {
	sim := newLineSim()
	h := startRoom(t, Config{TickRate: 60}, sim)
	a, pa := h.join("a")
	h.ticks(10)
	rng := rand.New(rand.NewPCG(1, 2))
	const (
		ticks  = 1200
		jitter = 20 * time.Millisecond
		margin = 3 * time.Millisecond
	)
	// The client sends the input for tick k at due(k) - jitter - margin; its delay varies over [0, jitter), and the
	// connection (TCP) delivers in order: an input never overtakes the previous one. Deliver on the fake clock,
	// running the ticks that fall due in between.
	first := uint32(12)
	var last time.Duration
	for k := first; k < first+ticks; k++ {
		sent := h.dueAfter(k) - jitter - margin
		at := max(last, sent+time.Duration(rng.Int64N(int64(jitter))))
		last = at
		for h.dueAfter(uint32(h.n+1)) <= at {
			h.ticks(1)
		}
		h.clk.Advance(h.t0.Add(at).Sub(h.clk.Now()))
		h.input(pa, a, game.Input{Seq: k, Tick: game.Tick(k), Values: [8]int32{1}})
	}
	h.ticks(2)
	checkOnePerTick(t, sim)
	realTicks := 0
	for _, ap := range sim.applied {
		if ap.tick >= game.Tick(first) && ap.tick < game.Tick(first+ticks) && !ap.missed {
			realTicks++
		}
	}
	if realTicks < ticks*99/100 {
		t.Errorf("a real input at %d of %d ticks (%+v)", realTicks, ticks, h.r.Info())
	}
	t.Logf("real input at %d of %d ticks; %+v", realTicks, ticks, h.r.Info())
}

func TestInputValidation(t *testing.T) {
	sim := newLineSim()
	obs := newCountObserver()
	h := startRoom(t, Config{Observer: obs}, sim)
	a, pa := h.join("a")
	b, _ := h.join("b")
	// Out of range values are clamped to the schema; values beyond its fields are zeroed.
	h.input(pa, a, game.Input{Seq: 1, Tick: 1, Values: [8]int32{1 << 30, 7, 7, 7, 7, 7, 7, 7}})
	h.input(pa, a, game.Input{Seq: 2, Tick: 2, Values: [8]int32{-1 << 31}})
	// From another player's connection, an unknown player, and a nil sink: dropped.
	h.input(pa, b, game.Input{Seq: 3, Tick: 3})
	h.input(99, a, game.Input{Seq: 3, Tick: 3})
	h.input(pa, nil, game.Input{Seq: 3, Tick: 3})
	h.r.Ack(pa, a, 1<<31) // an ack from the future is ignored
	h.ticks(3)
	if r := real(sim); len(r) != 2 || r[0].dx != 5 || r[1].dx != -5 {
		t.Fatalf("applied %+v", r)
	}
	if obs.drops(DropStaleSink) != 2 || obs.drops(DropUnknownPlayer) != 1 {
		t.Errorf("drops %v", obs.dropped)
	}
	a.check(t)
}

func TestInputConfig(t *testing.T) {
	for _, c := range []Config{
		{InputWindow: -1},
		{InputWindow: 5000},
		{MaxRewind: -time.Second},
		{MaxRewind: 3 * time.Second, HistorySize: 64},
	} {
		c.ID = "x"
		if _, err := New(c, newLineSim()); !errors.Is(err, ErrBadConfig) {
			t.Errorf("%+v: %v", c, err)
		}
	}
	r, err := New(Config{ID: "x", TickRate: 5}, newLineSim())
	if err != nil {
		t.Fatal(err)
	}
	if r.cfg.InputWindow != 8 || r.leadEvery != 1 {
		t.Errorf("5 Hz: window %d, lead every %d snapshots", r.cfg.InputWindow, r.leadEvery)
	}
	r, err = New(Config{ID: "x", TickRate: 60, SnapshotEvery: 2, MaxRewind: 3 * time.Second}, newLineSim())
	if err != nil {
		t.Fatal(err)
	}
	if r.cfg.InputWindow != 60 || r.leadEvery != 3 || len(r.hist) < 180 {
		t.Errorf("60 Hz: window %d, lead every %d, history %d", r.cfg.InputWindow, r.leadEvery, len(r.hist))
	}
}

func TestInboxBound(t *testing.T) {
	obs := newCountObserver()
	r, err := New(Config{ID: "x", InboxSize: 8, Observer: obs, Clock: newFakeClock()}, newLineSim())
	if err != nil {
		t.Fatal(err)
	}
	// Not running: nothing drains the inbox, and pushes must still return at once.
	done := make(chan int)
	go func() {
		ok := 0
		for seq := uint32(1); seq <= 100; seq++ {
			if r.Input(1, nil, game.Input{Seq: seq, Tick: game.Tick(seq)}, 0) {
				ok++
			}
		}
		done <- ok
	}()
	select {
	case ok := <-done:
		if ok != 8 || obs.drops(DropInboxFull) != 92 || r.Info().InputsDropped != 92 {
			t.Fatalf("accepted %d, inbox_full %d, Info %d", ok, obs.drops(DropInboxFull), r.Info().InputsDropped)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Input blocked on a full inbox")
	}
}
