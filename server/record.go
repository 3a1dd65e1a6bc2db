package server

import (
	"context"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tickwire/tickwire/server/internal/journal"
	"github.com/tickwire/tickwire/server/internal/room"
)

// Recording (Config.Record): every room's journal goes to files, written by one goroutine that rooms never wait
// for. The metrics tickwire_journal_bytes_written_total, tickwire_journal_gaps_total (journal bytes discarded because
// the writer fell behind) and tickwire_journal_errors_total (failed file operations) follow it.

func (s *Server) openRecord() error {
	if s.cfg.Record == "" {
		return nil
	}
	d, err := journal.OpenDir(journal.DirConfig{Path: s.cfg.Record, MaxFileBytes: int64(s.cfg.RecordFileMB) << 20,
		KeepFiles: s.cfg.RecordKeep, Logger: s.log})
	if err != nil {
		return fmt.Errorf("server: -record: %w", err)
	}
	s.journal = d
	reg := s.metrics.Registry()
	reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "tickwire_journal_bytes_written_total",
		Help: "Bytes of room journals written to files (-record)."}, func() float64 { return float64(d.Written()) }))
	reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "tickwire_journal_gaps_total",
		Help: "Gaps in room journals: bytes discarded because the journal writer fell behind."},
		func() float64 { return float64(d.Dropped()) }))
	reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "tickwire_journal_errors_total",
		Help: "Failed journal file operations (logged)."}, func() float64 { return float64(d.Errors()) }))
	return nil
}

// closeRecord flushes and closes the journal files once the rooms have stopped.
func (s *Server) closeRecord() {
	if s.journal != nil {
		s.journal.Close()
	}
}

// ExportRoom stops room id and returns what ImportRoom needs to continue it on another server (room.Export): its
// players are closed with 1001 (reconnectable) and resume there with their tokens. It fails with
// directory.ErrNotFound-like errors for an unknown room, room.ErrNotExportable, or ctx's error.
func (s *Server) ExportRoom(ctx context.Context, id string) (*room.Export, error) {
	r, ok := s.dir.Get(id)
	if !ok {
		return nil, fmt.Errorf("server: export: no room %q", id)
	}
	return r.Export(ctx)
}

// ImportRoom continues an exported room on this server, under its own id: its players' resume tokens are bound to
// it here, so each player resumes with the token it holds and resends the inputs above its last applied seq.
func (s *Server) ImportRoom(ex *room.Export) error {
	r, err := s.dir.Import(ex)
	if err != nil {
		return fmt.Errorf("server: import: %w", err)
	}
	for _, p := range ex.Players {
		if len(p.ResumeToken) > 0 {
			s.tokens.BindResume(p.ResumeToken, r.ID(), p.ID)
			s.tokens.Disconnected(p.ResumeToken) // held by no connection here yet: its lifetime runs
		}
	}
	return nil
}
