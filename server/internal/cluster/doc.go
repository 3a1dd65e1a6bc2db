// Package cluster makes a tickwire process one node of many coordinated through NATS (JetStream KV and
// request/reply). Clustering is off unless the server is given a NATS URL; a single process needs none of this.
//
// # What lives where
//
//   - Bucket tickwire_nodes (KV, entries expire after Config.Expiry): key = node id, value = NodeInfo, put every
//     Config.Heartbeat: the node's public address, players, rooms, measured tick cost and headroom. A node that stops
//     heartbeating disappears from every peer's view within Config.Expiry (peers also forget it after that long
//     without a heartbeat, whatever the bucket does).
//   - Bucket tickwire_rooms (KV): key = room id, value = RoomEntry (node, address, mode, players, open seats). Each
//     node writes its own rooms (at creation, then what changed, once per heartbeat) and deletes the ones that ended.
//     Every node watches the bucket: the room list, the matchmaker and the service API see every room of the cluster.
//   - Bucket tickwire_leader (KV, entries expire after Config.Expiry): key "matchmaker" = the node id holding the
//     matchmaking lease. It is taken with Create (only when absent) and renewed with a revision-checked Update, so at
//     most one node holds it; only that node runs matchmaking batches. Tickets submitted to any node are forwarded
//     (HTTP) to the holder, so each ticket lives in exactly one matchmaker and gets exactly one decision.
//   - Subject tickwire.node.<id>: requests to one node (create a room, reserve seats, issue join tokens, end a room,
//     push an event, signal its game). Rooms.Create picks the live node with the most headroom.
//   - Subject tickwire.where: "who issued this join or resume token?", answered by the node that holds it; a node
//     presented a token it does not know answers the client with close code 4003 (CLOSE_MOVED) and that node's
//     address, and the SDKs reconnect there with the same token.
//   - Subject tickwire.events.<id>: the room events of a node, fed into every other node's event hub, so that a
//     service event stream on any node sees the events of every room.
//   - Bucket tickwire_checkpoints (KV, one value per room) and stream TICKWIRE_JOURNAL (subjects
//     tickwire.journal.<room id>): each room's crash-recovery stream (stream.go, recovery.go, below).
//
// # Crash recovery
//
// A node that dies without a goodbye (SIGKILL, a lost machine) takes no room down with it for long. Every room
// streams its journal (package journal: every call into the Sim, tick by tick, with the world hash) through its
// node's one publisher goroutine, never blocking its tick: the room hands its bytes to a room.Streamer that copies
// them into one of a few chunk buffers and queues a chunk every Config.FlushInterval (100 ms) of ticks on a bounded
// queue (Config.StreamQueue); a full queue drops the chunk, counts it (tickwire_cluster_stream_dropped_total) and
// makes the room take a snapshot at its next tick. Every Config.CheckpointInterval (2 s) the room checkpoints its Sim
// and hands over a snapshot: room.Export's format, taken without stopping the room (the journal since the
// checkpoint, the seats with their identities, resume tokens and last applied input seq, the next player id, the
// tick and world hash). A seat's new resume token goes on the stream as it is given out.
//
// Snapshots go to a KV bucket (one value per room, history 1: the latest replaces the previous one, and a reader gets
// it in one Get), entries to a stream (an append-only log read in order from one point): each snapshot carries a
// random generation, every chunk its generation and its number within it, and once a snapshot is stored the room's
// subject is purged (the chunks of earlier generations are no use; the new generation's are queued after the
// snapshot, so none is purged). A KV for the entries would keep only the last chunk; a stream for the snapshots would
// need a per-room "last message" lookup and a purge anyway: the pair keeps each part where it is read best. The
// stored data per room is bounded by one snapshot and one checkpoint interval of entries.
//
// When a node's heartbeat expires (Config.Expiry), the matchmaking lease holder claims each of its rooms that has a
// snapshot for the live node with the most headroom: a revision-checked Update of the room's entry (node = the chosen
// one, state "recovering"), so that however many nodes notice, a room is claimed once. The chosen node sees the claim
// in its watch, reads the snapshot and the chunks of its generation in order up to the first gap, and imports the
// room (room.Import replays the journal, checking the world hash of every tick); the seats are those of the snapshot
// plus the joins, minus the leaves, that followed it, with the highest input seq applied and the latest token. It
// binds the resume tokens (every player is in its grace period) and publishes the room as its own. A node dying
// mid-rebuild has its claimed rooms claimed again when it expires in turn. A room without a snapshot (its node died
// within its first tick, or it is not streamed) is deleted from the directory, as before.
//
// Players find the room again through Welcome.nodes (the other nodes' addresses at the time of their Welcome): a
// client that cannot reach its node resumes through another, which answers 4004 (CLOSE_RECOVERING, retry shortly)
// while a recovery may be under way and the token is nobody's yet (Node.Recovering), then 4003 with the room's new
// address once the rebuilding node holds the token. Both SDKs do this by themselves within the grace period.
//
// What a node's death loses: the ticks after the last chunk that reached JetStream. In the normal case that is at
// most the batch being gathered (Config.FlushInterval of ticks) and one being published; when the stream had fallen
// behind (drops, a slow NATS), everything since the last good snapshot, at most Config.CheckpointInterval plus the
// time the stream was behind. The rebuilt room runs the lost ticks again at once (Recovery.LostTicks: twice the flush
// interval, more when the dead node's last heartbeat came later than its last chunk), with every input missing, so
// that its timeline stays where its players had seen it; the inputs they sent for those ticks are resent: a client
// keeps its unacknowledged inputs and, on resume, resends those above the rebuilt room's last_input_seq, which the
// journal replay knows exactly: none is applied twice. Inputs the dead room had applied and acknowledged in the lost
// ticks are gone (the client no longer holds them). The game is told through game.Recoverer, the backend through the
// room event "recovered", operators through tickwire_cluster_rooms_recovered_total and the histogram
// tickwire_cluster_recovery_lost_ticks. Also lost: reservations and unused join tokens of the dead node, and its
// rooms' matches, when their Sim has no game.Checkpointer and the journal outgrew room.Config.JournalTail.
//
// A node cut off from NATS for longer than Config.Expiry while its rooms keep running looks dead to the others: its
// rooms are rebuilt elsewhere, and the players who can still reach it stay with the old copy until it ends (there
// is no fencing of the cut-off copy).
//   - Live migration (migrate.go): a draining node (Leave, then Migrate) or the service API's move
//     (POST /v1/service/rooms/{id}/move) exports a room at a tick boundary and asks another node to import it
//     (request "import"), with its seat reservations, unused join tokens, private flag and creation time; a refusing
//     or silent node is passed over for the next by headroom, and a room nobody takes runs on where it was. Its
//     players resume on the room's node after a 4003 redirect. tickwire_cluster_migration_pause_seconds measures,
//     per room, the export's start to the room's first tick on its new node.
//
// Every exported method of Node and of its adapters is safe to call from several goroutines.
package cluster
