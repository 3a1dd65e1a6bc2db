package server

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tickwire/tickwire/server/internal/cluster"
	"github.com/tickwire/tickwire/server/internal/matchmaker"
	"github.com/tickwire/tickwire/server/internal/room"
	"github.com/tickwire/tickwire/server/internal/service"
)

// nodeHooks are what the rest of the server takes from the cluster node; all nil when not clustered.
type nodeHooks struct {
	Rooms   service.Rooms
	Tokens  matchmaker.Tokens
	Forward func(service.Event)
	Locate  func(ctx context.Context, joinToken string, resumeToken []byte) string
	MovedTo func(roomID string) string
	// Recovering, Stream and Peers are crash recovery's (package cluster): a resume nobody knows while a room may
	// be being rebuilt is answered 4004; rooms stream their journal; Welcome names the other nodes.
	Recovering func() bool
	Stream     func(roomID string) room.Streamer
	Peers      func() []string
}

// newNode makes the cluster node when Config.NATS is set (it connects in startNode).
func (s *Server) newNode(load *cluster.LoadObserver) (nodeHooks, error) {
	if s.cfg.NATS == "" {
		return nodeHooks{}, nil
	}
	lost := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "tickwire_cluster_recovery_lost_ticks",
		Help:    "Ticks lost by each room rebuilt here after its node died (run again with every input missing).",
		Buckets: []float64{1, 2, 4, 8, 16, 32, 64}})
	n, err := cluster.New(cluster.Config{URL: s.cfg.NATS, NodeID: s.cfg.NodeID, NodeAddr: s.cfg.NodeAddr,
		Logger: s.log, CheckpointInterval: s.cfg.CheckpointInterval, FlushInterval: s.cfg.StreamFlush,
		OnRecovered: func(r cluster.Recovery) { lost.Observe(float64(r.LostTicks)) }},
		cluster.Local{Dir: s.dir, Tokens: s.tokens, JoinTTL: s.cfg.JoinTokenTTL, Load: load})
	if err != nil {
		return nodeHooks{}, err
	}
	s.node = n
	rooms := n.Rooms()
	s.metrics.Registry().MustRegister(
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "tickwire_cluster_nats_msgs_in_total",
			Help: "NATS messages this node received."}, func() float64 { return float64(n.Stats().InMsgs) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "tickwire_cluster_nats_msgs_out_total",
			Help: "NATS messages this node sent."}, func() float64 { return float64(n.Stats().OutMsgs) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "tickwire_cluster_nodes",
			Help: "Live nodes of the cluster as this node sees them."}, func() float64 { return float64(len(n.Nodes())) }),
		lost,
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "tickwire_cluster_rooms_recovered_total",
			Help: "Rooms of dead nodes rebuilt here from their streamed journal."},
			func() float64 { return float64(len(n.Recoveries())) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "tickwire_cluster_recovery_failures_total",
			Help: "Rooms of dead nodes claimed for this node that it could not rebuild (their players lose them)."},
			func() float64 { return float64(n.RecoveryFailures()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "tickwire_cluster_stream_dropped_total",
			Help: "Journal chunks, seats and snapshots of this node's rooms dropped before JetStream (queue full or publish failed); each makes its room stream a new snapshot."},
			func() float64 { return float64(n.StreamStats().Dropped) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "tickwire_cluster_stream_published_total",
			Help: "Journal chunks, seats and snapshots of this node's rooms written to JetStream."},
			func() float64 { return float64(n.StreamStats().Published) }),
	)
	s.metrics.Registry().MustRegister(n.Collectors()...)
	return nodeHooks{Rooms: rooms, Tokens: rooms, Forward: n.Forward, Locate: n.Locate, MovedTo: n.MovedTo,
		Recovering: n.Recovering, Stream: n.Stream, Peers: n.Peers}, nil
}

// startNode connects the cluster node (when clustered): from here on the node announces itself and its rooms.
func (s *Server) startNode() error {
	if s.node == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return s.node.Start(ctx, s.stack.Service.Publish)
}

// runMatchmaker runs the matchmaker's batches: always on a single server, only while holding the cluster's
// matchmaking lease on a node.
func (s *Server) runMatchmaker(ctx context.Context) {
	if s.node == nil {
		s.stack.Run(ctx)
		return
	}
	s.node.RunMatchmaker(ctx, s.stack.Matchmaker, 0)
}

// migrate moves this draining node's rooms to the other nodes (live migration) and keeps the listener open until
// their players were told where (4003), at most the grace period.
func (s *Server) migrate() {
	if s.node == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	moved := s.node.Migrate(ctx) // a room no node takes by then runs on here and is ended by the drain
	cancel()
	if moved == 0 {
		return
	}
	ctx, cancel = context.WithTimeout(context.Background(), s.cfg.Grace)
	defer cancel()
	if err := s.node.WaitRedirects(ctx); err != nil {
		s.log.Warn("players of moved rooms still not redirected", "err", err)
	}
	s.log.Info("rooms moved to other nodes", "rooms", moved)
}

// ClusterNode is this server's cluster node (nil when not clustered), for this module's tests and tools.
func (s *Server) ClusterNode() *cluster.Node { return s.node }

// RoomMove is one room a cluster node moved to another node (live migration, or the service API's move).
type RoomMove struct {
	Room     string
	From, To string // node ids; To == From: no other node took the room and it runs here again; "": lost
	// Tick and Hash are the room's last tick and world hash at its export; ImportTick and ImportHash what the
	// importing node computed there by replaying the room's journal.
	Tick, ImportTick uint32
	Hash, ImportHash uint64
	Players          int // seats moved
	Reserved         int // seat reservations moved
	Attempts         int // imports tried
	// Pause is the time the room's players were without a room: from the start of its export to its first tick on
	// its new node.
	Pause time.Duration
	// Its parts: the export, the import request that succeeded, and within it the importing node's time from the
	// request's arrival to the room's first tick there.
	Export, Import, Replay time.Duration
	Bytes                  int    // what was sent to the importing node
	Err                    string // why the room was lost
}

// RoomMoves returns the rooms this node moved away, oldest first (the last 1024; none when not clustered).
func (s *Server) RoomMoves() []RoomMove {
	if s.node == nil {
		return nil
	}
	var out []RoomMove
	for _, m := range s.node.MoveRecords() {
		out = append(out, RoomMove{Room: m.Room, From: m.From, To: m.To, Tick: m.Tick, ImportTick: m.ImportTick,
			Hash: m.Hash, ImportHash: m.ImportHash, Players: m.Players, Reserved: m.Reserved, Attempts: m.Attempts,
			Pause: m.Pause, Export: m.Export, Import: m.Import, Replay: m.Replay, Bytes: m.Bytes, Err: m.Err})
	}
	return out
}
