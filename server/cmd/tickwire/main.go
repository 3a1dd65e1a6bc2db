// Command tickwire runs the Tickwire game server with the arena game and the browser demo at /, and the card game
// (game/cards) with its page at /cards/.
//
// `tickwire replay FILE...` re-runs a room's journal written with -record DIR and checks every tick's world hash;
// `tickwire replay -serve ADDR DIR` serves the replay viewer (/replay/) for the recordings in DIR. With -record, the
// server itself serves the recordings to the replay viewer too (package playback: /v1/replays).
//
// Every setting is a flag and an environment variable (flags win); run `tickwire -h` for the list. The public port
// (-addr) serves the game, the demo, matchmaking and the room list; the admin listener (-admin-addr, loopback by
// default) serves /metrics, Go's profiler at /debug/pprof/ and the service API. SIGTERM or SIGINT drains the server:
// see -drain-timeout and -shutdown-timeout.
package main

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	clientweb "github.com/tickwire/tickwire/client-web"
	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/game/arena"
	"github.com/tickwire/tickwire/game/cards"
	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/server/internal/playback"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "tickwire:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) > 0 && args[0] == "replay" {
		return replay(args[1:], os.Stdout)
	}
	cfg := server.DefaultConfig()
	if err := cfg.ApplyEnv(os.LookupEnv); err != nil {
		return err
	}
	fs := flag.NewFlagSet("tickwire", flag.ContinueOnError)
	cfg.Flags(fs)
	opts := server.GameOptions{MaxPlayers: arena.DefaultMaxPlayers, Settings: map[string]string{}}
	fs.IntVar(&opts.MaxPlayers, "arena-max-players", opts.MaxPlayers, "players per arena room")
	fs.IntVar(&opts.TickRate, "arena-tick-rate", 30, "arena simulation ticks per second")
	fs.IntVar(&opts.SnapshotEvery, "arena-snapshot-every", 1, "a snapshot every this many ticks (3 at 30 Hz: 10 snapshots per second)")
	timeLimit := fs.Int("arena-time-limit", 0, "arena match length in seconds (0: none)")
	scoreLimit := fs.Int("arena-score-limit", 0, "arena score that wins the match (0: none)")
	lagComp := fs.Bool("arena-lag-compensation", true, "arena hit tests rewind to what the shooter was drawing (up to -max-rewind)")
	large := server.GameOptions{MaxPlayers: arena.LargeMaxPlayers, Settings: arena.LargeSettings()}
	largeOn := fs.Bool("arena-large", true, "also serve the mode "+arena.LargeMode+": the arena in a large world with interest management")
	fs.IntVar(&large.MaxPlayers, "arena-large-max-players", large.MaxPlayers, "players per "+arena.LargeMode+" room")
	largeWorld := fs.Int("arena-large-world", arena.LargeWorld, arena.LargeMode+" world side, in world units")
	largeRadius := fs.Int("arena-large-interest-radius", arena.LargeInterestRadius, arena.LargeMode+": a player sees everything within this many world units")
	largeCell := fs.Int("arena-large-interest-cell", arena.LargeInterestCell, arena.LargeMode+": players in one square cell of this side share a view (0: one view per player)")
	cardOpts := server.GameOptions{MaxPlayers: cards.DefaultSeats, TickRate: cards.DefaultTickRate,
		Settings: map[string]string{}}
	fs.IntVar(&cardOpts.MaxPlayers, "cards-seats", cardOpts.MaxPlayers, "players per card game room (2-4)")
	turnS := fs.Int("cards-turn-s", cards.DefaultTurnS, "seconds a card player has to move before it draws automatically (0: no limit)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: tickwire [flags]\n\n"+
			"Runs the Tickwire game server with the arena game (demo at /) and the card game (page at /cards/).\n"+
			"Every flag can also be set by the environment variable named after it; flags win.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	logger, err := server.NewLogger(os.Stderr, cfg.LogFormat, cfg.LogLevel)
	if err != nil {
		return err
	}
	cfg.Static = clientweb.Dist()
	srv, err := server.New(cfg, logger)
	if err != nil {
		return err
	}
	opts.Settings["time_limit_s"] = fmt.Sprint(*timeLimit)
	opts.Settings["score_limit"] = fmt.Sprint(*scoreLimit)
	opts.Settings["lag_compensation"] = "0"
	if *lagComp {
		opts.Settings["lag_compensation"] = "1"
	}
	if err := register(srv, arena.Mode, arena.Factory, opts); err != nil {
		return err
	}
	if *largeOn { // the standard room options, the large mode's size and interest settings
		large.TickRate, large.SnapshotEvery = opts.TickRate, opts.SnapshotEvery
		for k, v := range opts.Settings {
			large.Settings[k] = v
		}
		large.Settings["world_size"] = fmt.Sprint(*largeWorld)
		large.Settings["interest_radius"] = fmt.Sprint(*largeRadius)
		large.Settings["interest_cell"] = fmt.Sprint(*largeCell)
		if err := register(srv, arena.LargeMode, arena.Factory, large); err != nil {
			return err
		}
	}
	cardOpts.Settings["seats"] = fmt.Sprint(cardOpts.MaxPlayers)
	cardOpts.Settings["turn_s"] = fmt.Sprint(*turnS)
	if err := register(srv, cards.Mode, cards.Factory, cardOpts); err != nil {
		return err
	}
	if cfg.Record != "" { // the recordings, for the replay viewer at /replay/ (docs/replay.md)
		ph, err := playback.New(playback.Config{Dir: cfg.Record, Games: replayGames, APIKey: cfg.ServiceAPIKey,
			Registry: srv.Registry(), Logger: logger})
		if err != nil {
			return err
		}
		defer ph.Close()
		srv.Handle("GET /v1/replays", ph)
		srv.Handle("GET /v1/replays/", ph)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if cfg.AuthKeys != "" { // SIGHUP re-reads the player token keys (rotation without a restart)
		hup := make(chan os.Signal, 1)
		signal.Notify(hup, syscall.SIGHUP)
		defer signal.Stop(hup)
		go func() {
			for {
				select {
				case <-hup:
					if err := srv.ReloadAuthKeys(); err != nil {
						logger.Error("reloading the player token keys failed; the previous keys stay", "err", err)
					}
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	return srv.Run(ctx)
}

// register makes one Sim of a built-in game with the settings its flags gave, so that a flag out of range (say
// -cards-seats 7) stops the server at startup with the game's own error instead of failing its first room, then
// registers the mode.
func register(srv *server.Server, mode string, f game.Factory, o server.GameOptions) error {
	if _, err := f(game.Config{Seed: 1, TickRate: cmp.Or(o.TickRate, 30), MaxPlayers: cmp.Or(o.MaxPlayers, 16),
		Settings: o.Settings}); err != nil {
		return fmt.Errorf("mode %s: %w", mode, err)
	}
	return srv.RegisterGame(mode, f, o)
}
