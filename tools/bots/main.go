// Command bots runs many headless Tickwire players in one process: a load generator and an end-to-end checker.
//
//	go run ./tools/bots -url ws://127.0.0.1:8080 -n 500 -ramp 5s -duration 30s
//
// Bots join by quick play, start evenly over -ramp, then play -duration more (the measured window: all of it, or what follows -settle) with the arena's
// standard workload (ARENA.md): one input per tick, direction changes about once a second, the aim rotates, fire on
// 20% of inputs, each bot with its own seeded generator. They decode every snapshot into a world, check it against
// the server's state hash, and measure input acknowledgement latency. Chaos: -drop-every kills each bot's socket at
// random about that often (the bot resumes with its token), -stall K makes K bots stop reading.
//
// With -game cards the bots play the card game (game/cards) instead: each joins a room of mode cards and plays
// -hands hands to their end with legal moves, checking that no frame it receives shows another player's hidden card.
//
// It prints a live progress line to stderr and, at the end, a summary (or one JSON object with -json). The exit
// status is 1 when a bot failed unexpectedly or an input was lost, 2 on bad flags.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"runtime/debug"
	"runtime/pprof"
	"syscall"
	"time"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	fs := flag.NewFlagSet("bots", flag.ContinueOnError)
	var cfg Config
	fs.StringVar(&cfg.URL, "url", "ws://127.0.0.1:8080", "server WebSocket URL (path /ws is added when missing)")
	fs.IntVar(&cfg.N, "n", 100, "number of bots")
	fs.DurationVar(&cfg.Ramp, "ramp", 5*time.Second, "bots start evenly over this time")
	fs.DurationVar(&cfg.Duration, "duration", 30*time.Second, "how long all bots play after the ramp")
	fs.DurationVar(&cfg.Settle, "settle", 0, "the measured window starts this long after the ramp, once the last bots' input clocks have converged")
	fs.StringVar(&cfg.Behavior, "behavior", "wander", "wander (the standard workload) or aggressive (chase and shoot the nearest player)")
	fs.IntVar(&cfg.InputRate, "input-rate", 30, "0: no inputs (pings keep the bots alive); otherwise one input per tick at the input clock, this value pacing the behaviour's turns")
	fs.DurationVar(&cfg.DropEvery, "drop-every", 0, "kill each bot's socket at a random time about this often; it resumes (0: never)")
	fs.IntVar(&cfg.Stall, "stall", 0, "this many bots stop reading (slow consumers)")
	fs.DurationVar(&cfg.StallAfter, "stall-after", time.Second, "a stalled bot stops reading this long after it joined")
	fs.DurationVar(&cfg.StallFor, "stall-for", 0, "a stalled bot reads again after this long (0: not before the end of the run)")
	fs.DurationVar(&cfg.Ping, "ping", 5*time.Second, "each bot pings this often to measure RTT (0: never)")
	fs.Uint64Var(&cfg.Seed, "seed", 1, "seed of the bots' random behaviour")
	fs.StringVar(&cfg.Mode, "mode", "arena", "game mode to play")
	fs.StringVar(&cfg.Matchmaker, "matchmaker", "", "join through this matchmaking service (http://host:port) instead of quick play")
	fs.IntVar(&cfg.PerSource, "per-source", 10, "bots per source address: bot i connects from the (i/per-source)-th address after -source-base, so that the server's per-source limits see many sources (0: all from the system's address; ignored unless the server is on loopback)")
	sourceBase := fs.String("source-base", "127.1.0.1", "first source address of -per-source (within 127.0.0.0/8)")
	fs.IntVar(&cfg.Drivers, "drivers", 0, "goroutines sending inputs (0: one per processor Go uses, at most n/100)")
	jsonOut := fs.Bool("json", false, "print one JSON object instead of the summary")
	progress := fs.Duration("progress", 2*time.Second, "progress line interval on stderr (0: none)")
	verbose := fs.Bool("v", false, "log client warnings to stderr")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the bots to this file")
	gameName := fs.String("game", "arena", "arena (the load workload above) or cards (play hands of the card game to their end)")
	hands := fs.Int("hands", 1, "-game cards: hands each bot plays")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if cfg.SourceBase = net.ParseIP(*sourceBase).To4(); cfg.SourceBase == nil || cfg.SourceBase[0] != 127 {
		fmt.Fprintln(os.Stderr, "bots: -source-base must be an address of 127.0.0.0/8")
		return 2
	}
	if *progress > 0 {
		cfg.Progress, cfg.ProgressEvery = os.Stderr, *progress
	}
	if *verbose {
		cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		defer func() { pprof.StopCPUProfile(); _ = f.Close() }()
	}
	if *gameName == "cards" {
		return runCardsMain(cfg, *hands, *jsonOut)
	} else if *gameName != "arena" {
		fmt.Fprintln(os.Stderr, "bots: -game must be arena or cards")
		return 2
	}
	if os.Getenv("GOGC") == "" {
		// Thousands of small, long-lived clients allocate little per second; collecting less often saves CPU.
		debug.SetGCPercent(400)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	r, err := Run(ctx, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	if *jsonOut {
		enc := json.NewEncoder(os.Stdout)
		_ = enc.Encode(r)
	} else {
		r.printHuman(os.Stdout)
	}
	if !r.OK() {
		return 1
	}
	return 0
}
