package cluster

import (
	"crypto/rand"
	"encoding/hex"
	"time"
)

// NodeInfo is a node's heartbeat (the value of its key in bucket tickwire_nodes).
type NodeInfo struct {
	ID      string `json:"id"`
	Addr    string `json:"addr"`    // players' WebSocket URL
	HTTP    string `json:"http"`    // HTTP base URL (matchmaking is forwarded there)
	Players int    `json:"players"` // players holding a slot in the node's rooms
	Rooms   int    `json:"rooms"`
	// TickCost is the CPU the node's rooms spent ticking over the last heartbeat period, in cores (1 = one core busy).
	TickCost float64 `json:"tick_cost"`
	// Headroom is Config.Cores − TickCost: what more the node can take, in cores.
	Headroom float64   `json:"headroom"`
	At       time.Time `json:"at"`
	Draining bool      `json:"draining,omitempty"`
}

// RoomEntry is one room in the cluster's room directory (bucket tickwire_rooms, key = room id).
type RoomEntry struct {
	Node     string    `json:"node"`
	Addr     string    `json:"addr"` // the node's WebSocket URL
	Mode     string    `json:"mode"`
	Players  int       `json:"players"`
	Capacity int       `json:"capacity"`
	Open     int       `json:"open"` // seats neither held nor reserved
	State    string    `json:"state"`
	Private  bool      `json:"private,omitempty"`
	Created  time.Time `json:"created"`
	// From and FromBeat are set on a room claimed for recovery (State "recovering"): the dead node, and its last
	// heartbeat's time (recovery.go).
	From     string    `json:"from,omitempty"`
	FromBeat time.Time `json:"from_beat,omitempty"`
}

// Buckets and subjects.
const (
	bucketNodes  = "tickwire_nodes"
	bucketRooms  = "tickwire_rooms"
	bucketLeader = "tickwire_leader"
	leaseKey     = "matchmaker"
	subjectNode  = "tickwire.node."   // + node id: requests to one node
	subjectWhere = "tickwire.where"   // token lookups, every node answers
	subjectEvent = "tickwire.events." // + node id: a node's room events
)

func randomID() string {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("cluster: crypto/rand failed: " + err.Error())
	}
	return "n" + hex.EncodeToString(b[:])
}
