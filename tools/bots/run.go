package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tickwire/tickwire/proto/snapcodec"
	"github.com/tickwire/tickwire/tools/client"
)

// Config is one load run.
type Config struct {
	URL        string
	N          int           // bots
	Ramp       time.Duration // bots start evenly over this time
	Duration   time.Duration // how long all bots play after the ramp
	Settle     time.Duration // the measured window starts this long after the ramp (less than Duration)
	Behavior   string        // "wander" or "aggressive"
	InputRate  int           // 0: no inputs (pings only); otherwise one input per tick, and the behaviour's pace
	DropEvery  time.Duration // each bot's socket is killed at a random time about this often (0: never)
	Stall      int           // this many bots stop reading
	StallAfter time.Duration // a stalled bot stops reading this long after it joined
	StallFor   time.Duration // and reads again after this long (0: until the end of the run)
	Ping       time.Duration // each bot pings this often (0: never)
	Seed       uint64
	Mode       string
	Matchmaker string // base URL of a matchmaking service; empty: quick play by Mode
	Dialers    int    // concurrent connection attempts during the ramp
	// PerSource bots share one source address: bot i connects from client.SourceIP(SourceBase, i/PerSource), so
	// that a server's per-source limits see many sources. 0, or a server not on loopback: the system's address.
	PerSource  int
	SourceBase net.IP
	Drivers    int // goroutines sending inputs (each drives every Drivers-th bot)

	Progress      io.Writer // live progress lines; nil: none
	ProgressEvery time.Duration
	Logger        *slog.Logger
}

func (c *Config) validate() error {
	switch {
	case c.URL == "" && c.Matchmaker == "":
		return errors.New("bots: -url or -matchmaker is required")
	case c.N <= 0:
		return errors.New("bots: -n must be positive")
	case c.Behavior != "wander" && c.Behavior != "aggressive":
		return fmt.Errorf("bots: unknown behavior %q (wander, aggressive)", c.Behavior)
	case c.InputRate < 0 || c.InputRate > 90:
		return errors.New("bots: -input-rate must be 0..90")
	case c.Stall < 0 || c.Stall > c.N:
		return errors.New("bots: -stall must be 0..n")
	case c.Duration <= 0:
		return errors.New("bots: -duration must be positive")
	case c.Settle < 0 || c.Settle >= c.Duration:
		return errors.New("bots: -settle must be at least 0 and less than -duration")
	}
	if c.Mode == "" {
		c.Mode = "arena"
	}
	if c.PerSource < 0 {
		return errors.New("bots: -per-source must not be negative")
	}
	if c.SourceBase == nil {
		c.SourceBase = net.IPv4(127, 1, 0, 1)
	}
	if c.PerSource > 0 && !loopbackURL(c.URL, c.Matchmaker) {
		c.PerSource = 0
	}
	if c.Dialers <= 0 {
		c.Dialers = 32
	}
	if c.Drivers <= 0 {
		// One per processor: more only add timer wake-ups, and splitting a room's bots over several drivers sends
		// their inputs in several passes instead of one.
		c.Drivers = max(1, min(runtime.GOMAXPROCS(0), c.N/100))
	}
	if c.StallAfter <= 0 {
		c.StallAfter = time.Second
	}
	if c.ProgressEvery <= 0 {
		c.ProgressEvery = 2 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return nil
}

// loopbackURL reports whether the server (its WebSocket URL, or the matchmaker's when set) is on a loopback
// address, where any 127.0.0.0/8 source address reaches it.
func loopbackURL(ws, mm string) bool {
	raw := ws
	if mm != "" {
		raw = mm
	}
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	if u.Hostname() == "localhost" {
		return true
	}
	ip := net.ParseIP(u.Hostname())
	return ip != nil && ip.IsLoopback()
}

var (
	sourceMu      sync.Mutex
	sourceClients = map[string]*http.Client{}
)

// sourceHTTP is the HTTP client of the bots of one source address (one connection pool each). Its bots use HTTP only
// to matchmake, in a burst as they start: an idle connection is kept a few seconds, one per source (as one browser
// would), rather than holding a connection and its server-side goroutine and buffers open for the server's idle
// timeout after the bots play.
func sourceHTTP(ip net.IP) *http.Client {
	sourceMu.Lock()
	defer sourceMu.Unlock()
	hc, ok := sourceClients[ip.String()]
	if !ok {
		hc = &http.Client{Transport: &http.Transport{DialContext: client.DialerFrom(ip).DialContext,
			MaxIdleConnsPerHost: 1, IdleConnTimeout: 5 * time.Second}}
		sourceClients[ip.String()] = hc
	}
	return hc
}

// bot is one simulated player. The fields below c are owned by the bot's driver goroutine.
type bot struct {
	idx     int
	stalled bool // chosen to stop reading
	c       atomic.Pointer[client.Client]
	dialErr atomic.Pointer[error]

	beh      *behavior
	joinedAt time.Time
	nextDrop time.Time
	stalling bool
	stallEnd time.Time
	pos, tgt [2]int32
}

// Run plays a load run and reports it.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	stats := client.NewStats()      // bots that read normally
	stallStats := client.NewStats() // slow consumers: their latencies would only blur the figures
	bots := make([]*bot, cfg.N)
	stallEvery := 0
	if cfg.Stall > 0 {
		stallEvery = cfg.N / cfg.Stall
	}
	nStalled := 0
	for i := range bots {
		b := &bot{idx: i, beh: newBehavior(cfg.Behavior, cfg.Seed, i, max(cfg.InputRate, 1))}
		if stallEvery > 0 && i%stallEvery == 0 && nStalled < cfg.Stall {
			b.stalled = true
			nStalled++
		}
		bots[i] = b
	}

	start := time.Now()
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()

	// Ramp: bot i dials at start + i·ramp/n, at most cfg.Dialers at a time.
	var dialWG sync.WaitGroup
	dialWG.Add(1)
	go func() {
		defer dialWG.Done()
		sem := make(chan struct{}, cfg.Dialers)
		for i, b := range bots {
			at := start.Add(time.Duration(int64(cfg.Ramp) * int64(i) / int64(cfg.N)))
			select {
			case <-time.After(time.Until(at)):
			case <-runCtx.Done():
				return
			}
			select {
			case sem <- struct{}{}:
			case <-runCtx.Done():
				return
			}
			dialWG.Add(1)
			go func(b *bot) {
				defer dialWG.Done()
				defer func() { <-sem }()
				st := stats
				ccfg := client.Config{URL: cfg.URL, Mode: cfg.Mode, Name: fmt.Sprintf("bot%d", b.idx),
					ClientName: "tickwire-bots/1", Stats: st, PingInterval: cfg.Ping, Logger: cfg.Logger,
					DialTimeout: 10 * time.Second}
				if cfg.PerSource > 0 {
					ccfg.LocalAddr = client.SourceIP(cfg.SourceBase, b.idx/cfg.PerSource)
				}
				if cfg.Matchmaker != "" {
					mm := &client.HTTPMatchmaker{BaseURL: cfg.Matchmaker}
					if ccfg.LocalAddr != nil {
						mm.Client = sourceHTTP(ccfg.LocalAddr)
					}
					ccfg.URL, ccfg.Matchmaker = "", mm
				}
				if b.stalled {
					ccfg.Stats = stallStats
					ccfg.SocketReadBuffer = 4096
					// A cut-off slow consumer learns of it only by silence once it reads again: give it time to
					// notice and resume before its inputs count as lost.
					ccfg.DrainTimeout = 8 * time.Second
				}
				c, err := client.Dial(runCtx, ccfg)
				if err != nil {
					b.dialErr.Store(&err)
					cfg.Logger.Warn("bot failed to join", "bot", b.idx, "err", err)
					return
				}
				b.c.Store(c)
			}(b)
		}
	}()

	// Drivers: a few goroutines, each the scheduler of every Drivers-th bot: it sleeps until the earliest time one of
	// its bots' input clocks wants an input sent (Client.NextInputAt), sends it and reschedules that bot. No timer per
	// bot; bots in one room share the room's tick phase, so their inputs go out together.
	var driveWG sync.WaitGroup
	var driverLag, driveTime client.Histogram
	for g := 0; g < cfg.Drivers; g++ {
		driveWG.Add(1)
		go func(g int) {
			defer driveWG.Done()
			q := newSchedule(start, (len(bots)+cfg.Drivers-1)/cfg.Drivers)
			for i := g; i < len(bots); i += cfg.Drivers {
				q.push(bots[i], start)
			}
			t := time.NewTimer(time.Hour)
			defer t.Stop()
			for {
				_, first := q.peek()
				if d := time.Until(first); d > 0 {
					t.Reset(d)
					select {
					case <-runCtx.Done():
						return
					case <-t.C:
					}
				} else if runCtx.Err() != nil {
					return
				}
				now := time.Now()
				// How late this process runs its own schedule: when the bots are the bottleneck, it shows here.
				driverLag.Record(now.Sub(first))
				for q.due(now) {
					b := q.pop()
					// Never due again in this pass: a bot whose clock did not move on waits a millisecond.
					next := drive(b, now, &cfg)
					if !next.After(now) {
						next = now.Add(time.Millisecond)
					}
					q.push(b, next)
				}
				driveTime.Record(time.Since(now))
			}
		}(g)
	}

	// Progress and the measured window.
	rampEnd := start.Add(cfg.Ramp)
	windowStart := rampEnd.Add(cfg.Settle)
	end := rampEnd.Add(cfg.Duration)
	var atRampEnd windowMark
	markTaken := false
	all := mark(stats) // the whole run's figures start here
	var prevLat, prevInt client.HistogramSnapshot
	prevSnaps, prevAt := int64(0), start
	tick := time.NewTicker(cfg.ProgressEvery)
	defer tick.Stop()
	timer := time.NewTimer(time.Until(windowStart))
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case <-timer.C:
			if !markTaken {
				atRampEnd = mark(stats)
				markTaken = true
				timer.Reset(time.Until(end))
				continue
			}
			break loop
		case now := <-tick.C:
			if cfg.Progress == nil {
				continue
			}
			lat, iv := stats.AckLatency.Snapshot(), stats.SnapshotInterval.Snapshot()
			dl, di := lat.Sub(&prevLat), iv.Sub(&prevInt)
			snaps := stats.Snapshots.Load()
			connected := stats.Connected.Load() + stallStats.Connected.Load()
			failed := 0
			for _, b := range bots {
				if b.dialErr.Load() != nil {
					failed++
				} else if c := b.c.Load(); c != nil && c.Err() != nil && !(c.MatchResult() != nil && errors.Is(c.Err(), client.ErrRoomEnded)) {
					failed++ // (a match that ended with a result is a normal end)
				}
			}
			fmt.Fprintf(cfg.Progress, "[%6.1fs] connected %d/%d  resumed %d  failed %d  ack p50 %.1f p99 %.1f ms  snap p99 %.1f ms  %.1f snap/s/bot  decode_err %d  mismatch %d\n",
				now.Sub(start).Seconds(), connected, cfg.N, stats.Resumed.Load()+stallStats.Resumed.Load(), failed,
				dl.Quantile(0.5), dl.Quantile(0.99), di.Quantile(0.99),
				float64(snaps-prevSnaps)/now.Sub(prevAt).Seconds()/float64(max(stats.Connected.Load(), 1)),
				stats.DecodeErrors.Load()+stallStats.DecodeErrors.Load(), stats.WorldMismatches.Load()+stallStats.WorldMismatches.Load())
			prevLat, prevInt, prevSnaps, prevAt = lat, iv, snaps, now
		}
	}
	if !markTaken {
		atRampEnd = mark(stats)
	}
	atEnd := mark(stats)
	connectedAtEnd := 0
	for _, b := range bots {
		if c := b.c.Load(); c != nil && c.Alive() {
			connectedAtEnd++
		}
	}

	// Stop: no more inputs or dials; let stalled bots read again so that their inputs can be acknowledged; close
	// every bot (each waits for its inputs in flight) in parallel.
	cancel()
	driveWG.Wait()
	dialWG.Wait()
	var closeWG sync.WaitGroup
	endErrs := make([]error, len(bots))
	for i, b := range bots {
		c := b.c.Load()
		if c == nil {
			continue
		}
		c.Stall(false)
		closeWG.Add(1)
		go func(i int, c *client.Client) {
			defer closeWG.Done()
			endErrs[i] = c.Close()
		}(i, c)
	}
	closeWG.Wait()

	r := buildReport(&cfg, bots, endErrs, stats, stallStats, all, atRampEnd, atEnd, connectedAtEnd)
	lag, dt := driverLag.Snapshot(), driveTime.Snapshot()
	r.DriverLagMS, r.DriverPassMS = quantiles(&lag), quantiles(&dt)
	r.ElapsedS = time.Since(start).Seconds()
	return r, nil
}

// drive sends one bot's input for this tick, applies its chaos schedule and returns when to call it next.
func drive(b *bot, now time.Time, cfg *Config) (next time.Time) {
	c := b.c.Load()
	if c == nil {
		return now.Add(10 * time.Millisecond) // not joined yet
	}
	if b.joinedAt.IsZero() {
		b.joinedAt = now
		if cfg.DropEvery > 0 {
			b.nextDrop = now.Add(jitter(b, cfg.DropEvery))
		}
	}
	if b.stalled && !b.stalling && b.stallEnd.IsZero() && now.Sub(b.joinedAt) >= cfg.StallAfter {
		b.stalling = true
		b.stallEnd = now.Add(cfg.StallFor)
		c.Stall(true)
	}
	if b.stalling && cfg.StallFor > 0 && now.After(b.stallEnd) {
		b.stalling = false
		c.Stall(false)
	}
	if cfg.DropEvery > 0 && now.After(b.nextDrop) {
		b.nextDrop = now.Add(jitter(b, cfg.DropEvery))
		c.Drop()
		return now.Add(5 * time.Millisecond)
	}
	if cfg.InputRate == 0 {
		_ = c.Ping() // idle: pings keep the heartbeat
		return now.Add(time.Second)
	}
	if at := c.NextInputAt(); at.After(now) {
		return at // rescheduled meanwhile (a resume's resend, a re-sync)
	} else if at.IsZero() {
		return now.Add(5 * time.Millisecond) // resuming
	}
	have := false
	if b.beh.kind == "aggressive" {
		me := c.PlayerID()
		c.WithPacked(func(w *snapcodec.Packed) { have = nearest(w, me, &b.pos, &b.tgt) })
	}
	// Refused while resuming or with too many inputs pending: that tick's input is skipped (the room fills it).
	_, _ = c.SendInput(b.beh.next(&b.pos, &b.tgt, have))
	if at := c.NextInputAt(); !at.IsZero() {
		return at
	}
	return now.Add(5 * time.Millisecond)
}

// jitter returns a random duration in [d/2, 3d/2).
func jitter(b *bot, d time.Duration) time.Duration {
	return d/2 + time.Duration(b.beh.rng.Int64N(int64(d)))
}
