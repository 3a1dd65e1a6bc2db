// Package journal records what a room applied to its game's Sim, tick by tick, so that the room can be replayed
// exactly (tickwire replay), checked tick by tick, and moved to another process (the room's Export and Import).
//
// The room feeds its Sim only through Entry.Apply: a join with the player's identity, a leave, a disconnect, a
// resume, every input applied (the fills of missed inputs included), every message handed to the Sim and every Step.
// It appends each entry to its journal after applying it, and ends every tick with the world's hash (Hasher). A
// replay makes a Sim with the recorded game.Config (its seed included) and applies the same entries through the same
// Entry.Apply: a deterministic Sim then produces the same world, which the hash of every tick checks (Replay, with a
// *DivergenceError naming the first tick that differs). A Sim with game.Checkpointer is checkpointed now and then; a
// replay can start at a checkpoint, which also holds the world history a lag-compensating Sim reads (History).
//
// # File format (version 1)
//
// Integers are unsigned LEB128 varints ("uv") unless noted; "zz" is a zigzag varint; strings and byte strings are a
// uv length then the bytes; a map is a uv count then key and value strings, sorted by key.
//
//	file       = "TWJ\x01" uv(len(header)) header entry*
//	header     = room mode uv(epoch) seed(8 bytes LE) uv(tick_rate) uv(max_players) uv(history_size) uv(segment) settings
//	entry      = kind(1 byte) body
//	1 begin    = uv(tick - previous tick)              the tick starts; the next entries are applied during it
//	2 step     = (empty)                               Sim.Step
//	3 hash     = 8 bytes LE                            the world's hash at the end of the tick
//	4 join     = uv(id) name user_id verified(1) claims outcome(1: 0 ok, 1 full, 2 rejected)
//	5 leave, 6 disconnected, 7 resumed = uv(id)
//	8 input    = uv(player) flags(1) uv(seq) zz(value)×n [zz(tick - view)] [view_frac(1)]
//	             flags: bit 0 missed (a fill), bit 1 view present, bit 2 view_frac present, bits 4-7 n (trailing
//	             zero values are left out)
//	9 message  = uv(from: 0 the backend) type uv(seq) payload
//	10 checkpoint = uv(len) uv(tick) has_sim(1) [sim state] uv(worlds) world*
//	             world = uv(tick) uv(entities) entity*, entity = uv(id - previous id) kind(1) n(1) zz(field delta)×n
//	             data; a field delta is against the same entity (id and kind) in the previous world of the checkpoint,
//	             else against 0
//
// Entries between a hash and the next begin (joins, leaves, resumes, disconnects) happen between ticks. A file whose
// header has segment > 0 continues the room's previous file; it starts with a checkpoint when the Sim has one.
//
// # Recording
//
// Dir writes the files of every room from one goroutine; each room has a Recorder that copies its journal bytes into
// chunk buffers and hands them over without blocking (a bounded queue). When the writer falls behind, the room keeps
// the bytes in its in-memory journal and offers them again; what it must discard (at a checkpoint) is a gap, counted
// (Dir.Dropped), and the file resumes at that checkpoint. Files are size-bounded and rotated (DirConfig).
//
// Concurrency: Dir is safe for concurrent use. A Recorder, an Encoder, a Decoder, a Replayer and a History belong to
// one goroutine (the room's, or the replay's).
package journal
