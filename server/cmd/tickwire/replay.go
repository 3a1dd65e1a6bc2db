package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	clientweb "github.com/tickwire/tickwire/client-web"

	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/game/arena"
	"github.com/tickwire/tickwire/game/cards"
	"github.com/tickwire/tickwire/server/internal/journal"
	"github.com/tickwire/tickwire/server/internal/playback"
)

// replayGames are the games a journal can be replayed with, by mode.
var replayGames = map[string]game.Factory{arena.Mode: arena.Factory, arena.LargeMode: arena.Factory,
	cards.Mode: cards.Factory}

// replay is `tickwire replay FILE...`: it re-runs a room's journal (one file, or a room's files in order) with the
// registered game and checks the world hash of every tick. A divergence names the first tick that differs and fails.
func replay(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("tickwire replay", flag.ContinueOnError)
	fs.SetOutput(out)
	serve := fs.String("serve", "", "serve the replay viewer at http://ADDR/replay/ for the recordings in the directory "+
		"(or the file's directory) given, instead of checking")
	fs.Usage = func() {
		fmt.Fprintf(out, "Usage: tickwire replay FILE...\n       tickwire replay -serve ADDR DIR|FILE\n\n"+
			"Re-runs a room's journal (written with -record; a room's later files follow its first, in order) with the\n"+
			"registered game and checks the world hash of every tick. Fails, naming the first tick, when the replay\n"+
			"does not reproduce the recording. With -serve, serves the browser replay viewer for a record directory.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return errors.New("replay: no journal file")
	}
	if *serve != "" {
		if fs.NArg() != 1 {
			return errors.New("replay -serve: one directory (or one of its files)")
		}
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		ln, err := net.Listen("tcp", *serve)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "replay viewer at http://%s/replay/\n", ln.Addr())
		return serveReplays(ctx, ln, fs.Arg(0))
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

// serveReplays serves the browser demo (its replay viewer at /replay/) and the recordings of dir (or of the directory
// of the file dir names) on ln until ctx ends. It is for offline viewing on a workstation: no key is asked.
func serveReplays(ctx context.Context, ln net.Listener, dir string) error {
	if st, err := os.Stat(dir); err != nil {
		return err
	} else if !st.IsDir() {
		dir = filepath.Dir(dir)
	}
	ph, err := playback.New(playback.Config{Dir: dir, Games: replayGames, Logger: slog.Default()})
	if err != nil {
		return err
	}
	defer ph.Close()
	mux := http.NewServeMux()
	mux.Handle("GET /v1/replays", ph)
	mux.Handle("GET /v1/replays/", ph)
	mux.Handle("GET /", http.FileServerFS(clientweb.Dist()))
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = hs.Shutdown(sctx)
	}()
	if err := hs.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
