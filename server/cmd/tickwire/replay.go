package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/game/arena"
	"github.com/tickwire/tickwire/game/cards"
	"github.com/tickwire/tickwire/server/internal/journal"
)

// replayGames are the games a journal can be replayed with, by mode.
var replayGames = map[string]game.Factory{arena.Mode: arena.Factory, arena.LargeMode: arena.Factory,
	cards.Mode: cards.Factory}

// replay is `tickwire replay FILE...`: it re-runs a room's journal (one file, or a room's files in order) with the
// registered game and checks the world hash of every tick. A divergence names the first tick that differs and fails.
func replay(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("tickwire replay", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.Usage = func() {
		fmt.Fprintf(out, "Usage: tickwire replay FILE...\n\n"+
			"Re-runs a room's journal (written with -record; a room's later files follow its first, in order) with the\n"+
			"registered game and checks the world hash of every tick. Fails, naming the first tick, when the replay\n"+
			"does not reproduce the recording.\n")
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return errors.New("replay: no journal file")
	}
	var files [][]byte
	for _, name := range fs.Args() {
		b, err := os.ReadFile(name)
		if err != nil {
			return err
		}
		files = append(files, b)
	}
	d, err := journal.NewDecoder(files[0])
	if err != nil {
		return fmt.Errorf("%s: %w", fs.Arg(0), err)
	}
	factory, ok := replayGames[d.Header.Mode]
	if !ok {
		return fmt.Errorf("replay: no game registered for mode %q", d.Header.Mode)
	}
	res, err := journal.Replay(files, factory)
	h := &res.Header
	fmt.Fprintf(out, "room %s (mode %s, epoch %x, seed %d): ticks %d..%d, %d checked", h.Room, h.Mode, h.Epoch,
		h.Game.Seed, res.From+1, res.To, res.Ticks)
	if res.Gaps > 0 {
		fmt.Fprintf(out, ", %d gaps restarted from checkpoints", res.Gaps)
	}
	fmt.Fprintln(out)
	if err != nil {
		return err
	}
	fmt.Fprintln(out, "ok: every tick's world hash matches")
	return nil
}
