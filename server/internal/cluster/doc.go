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
//
// Every exported method of Node and of its adapters is safe to call from several goroutines.
package cluster
