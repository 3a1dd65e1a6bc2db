#!/usr/bin/env bash
# cluster.sh: Tickwire as a cluster on one machine, and what clustering costs.
#
#   tools/cluster.sh [--ramp S] [--window S] [--out DIR] [N]          (default N: 1000 players)
#
# In one sitting:
#  1. Clustering off: one tickwire process (pinned to CPU 0) and N bots (tools/bots, the standard workload, through
#     matchmaking; pinned to CPU 1). Over --window seconds: the server's CPU time per player-second.
#  1b. Clustering on, one node: the same single process with -nats (the cluster layer alone), same workload.
#  2. Clustering on: a nats-server process (built from the nats-server module this repository requires, JetStream on,
#     store in a temporary directory) and three tickwire nodes on loopback, all pinned to CPU 0; N bots in three
#     groups, each submitting its tickets to a different node (the matchmaking node places them all, rooms go to the
#     nodes with the most headroom, each bot plays on its room's node). Over the same window: the three nodes' CPU per
#     player-second (sum), the NATS server's CPU, and each node's NATS messages per second (in + out, from its
#     tickwire_cluster_nats_msgs_*_total).
#  3. While the bots of 2 still play (--kill-window S more seconds), a node is killed (SIGKILL: no goodbye): the time
#     until both others stop counting it, then until its rooms are rebuilt on the survivors from their streamed
#     journals (crash recovery: tickwire_cluster_rooms_recovered_total), and how many bots resumed (their reports'
#     bots_resumed, against the players the dead node held). Then it is restarted, and the time until all three see
#     it again is measured.
# Prints one JSON object: the figures, the bots' reports (failures, inputs lost, resumes) and the on/off CPU ratio.
# Environment: PORT (default 19080; node i listens on PORT+2i, its admin listener on PORT+2i+1), NATS_PORT (19222).
set -euo pipefail
cd "$(dirname "$0")/.."
RAMP=10; WINDOW=10; SETTLE=2; KILLWIN=20; N=1000; OUT=
while [ $# -gt 0 ]; do
  case "$1" in
    --ramp) RAMP=$2; shift ;;
    --window) WINDOW=$2; shift ;;
    --kill-window) KILLWIN=$2; shift ;;
    --out) OUT=$2; shift ;;
    -h|--help) sed -n 2,25p "$0"; exit 0 ;;
    *) N=$1 ;;
  esac
  shift
done
PORT=${PORT:-19080}
NATS_PORT=${NATS_PORT:-19222}
TMP=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  if [ -n "$OUT" ]; then mkdir -p "$OUT" && cp "$TMP"/*.json "$TMP"/*.log "$TMP"/*.err "$TMP"/m-* "$OUT"/ 2>/dev/null || true; fi
  rm -rf "$TMP"
}
trap cleanup EXIT

echo "building tickwire, bots, nats-server" >&2
go build -o "$TMP/tickwire" ./server/cmd/tickwire
go build -o "$TMP/bots" ./tools/bots
go build -o "$TMP/nats-server" github.com/nats-io/nats-server/v2
TCK=$(getconf CLK_TCK)
cpu() { awk '{print $14+$15}' "/proc/$1/stat"; }
ready() { for _ in $(seq 200); do curl -sf "http://127.0.0.1:$1/readyz" >/dev/null && return 0; sleep 0.1; done; echo "port $1 not ready" >&2; return 1; }
metric() { # metric FILE NAME: the value of an unlabelled series (0 when absent)
  awk -v n="$2" '$1==n {print $2; f=1} END {if (!f) print 0}' "$1"
}
nodes_seen() { curl -sf "http://127.0.0.1:$1/metrics" | awk '$1=="tickwire_cluster_nodes" {print $2}'; }
# node I [extra flags]: starts tickwire node I (clustered) pinned to CPU 0
node() {
  local i=$1 p=$((PORT + 2 * $1))
  taskset -c 0 "$TMP/tickwire" -addr "127.0.0.1:$p" -admin-addr "127.0.0.1:$((p + 1))" -log-level warn \
    -nats "nats://127.0.0.1:$NATS_PORT" -node-id "n$i" -node-addr "127.0.0.1:$p" -trusted-proxies 127.0.0.1 \
    >>"$TMP/node$i.log" 2>&1 &
  NP[$i]=$!; PIDS+=("$!")
}
# bots TAG N PORT: N bots through the matchmaker on PORT, pinned to CPU 1
bots() {
  taskset -c 1 "$TMP/bots" -url "ws://127.0.0.1:$3" -matchmaker "http://127.0.0.1:$3" -n "$2" -ramp "${RAMP}s" \
    -settle "${SETTLE}s" -duration "$((SETTLE + WINDOW + 1 + ${EXTRA:-0}))s" -json -progress 0 >"$TMP/bots-$1.json" 2>"$TMP/bots-$1.err" &
  BOTPID=$!; PIDS+=("$!")
}

taskset -c 0 "$TMP/nats-server" -a 127.0.0.1 -p "$NATS_PORT" -js -sd "$TMP/js" >"$TMP/nats.log" 2>&1 &
NATSP=$!; PIDS+=("$NATSP")
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$NATS_PORT") 2>/dev/null && break; sleep 0.1; done

# 1. Clustering off.
echo "== off: one server, $N bots" >&2
taskset -c 0 "$TMP/tickwire" -addr "127.0.0.1:$PORT" -admin-addr "127.0.0.1:$((PORT + 1))" -log-level warn >"$TMP/single.log" 2>&1 &
SP=$!; PIDS+=("$SP")
ready "$PORT"
bots off "$N" "$PORT"; B=$BOTPID
sleep $((RAMP + SETTLE))
s0=$(cpu "$SP")
sleep "$WINDOW"
s1=$(cpu "$SP")
wait "$B" || true
kill "$SP"; wait "$SP" 2>/dev/null || true
OFF_CPU=$(( s1 - s0 ))

# 1b. Clustering on, one node: the same process with the cluster layer (heartbeats, directory, lease, events).
echo "== on, one node: $N bots" >&2
declare -a NP
node 9
ready $((PORT + 18))
bots one "$N" $((PORT + 18))
sleep $((RAMP + SETTLE))
o0=$(cpu "${NP[9]}"); curl -sf "http://127.0.0.1:$((PORT + 19))/metrics" >"$TMP/m-0-one"
sleep "$WINDOW"
o1=$(cpu "${NP[9]}"); curl -sf "http://127.0.0.1:$((PORT + 19))/metrics" >"$TMP/m-1-one"
wait "$BOTPID" || true
kill "${NP[9]}"; wait "${NP[9]}" 2>/dev/null || true
ONE_CPU=$(( o1 - o0 ))
ONE_MSGS=$(echo "scale=1; ($(metric "$TMP/m-1-one" tickwire_cluster_nats_msgs_in_total) + $(metric "$TMP/m-1-one" tickwire_cluster_nats_msgs_out_total) - $(metric "$TMP/m-0-one" tickwire_cluster_nats_msgs_in_total) - $(metric "$TMP/m-0-one" tickwire_cluster_nats_msgs_out_total)) / $WINDOW" | bc | sed 's/^\./0./')

# 2. Clustering on, three nodes.
echo "== on: three nodes, $N bots" >&2
for i in 0 1 2; do node "$i"; done
for i in 0 1 2; do ready $((PORT + 2 * i)); done
for _ in $(seq 100); do [ "$(nodes_seen $((PORT + 1)))" = 3 ] && break; sleep 0.1; done
BPS=()
for i in 0 1 2; do
  n=$(( N / 3 + (i < N % 3 ? 1 : 0) ))
  EXTRA=$KILLWIN bots "on$i" "$n" $((PORT + 2 * i)); BPS+=("$BOTPID")
done
sleep $((RAMP + SETTLE))
c0=(); for i in 0 1 2; do c0+=("$(cpu "${NP[$i]}")"); curl -sf "http://127.0.0.1:$((PORT + 2 * i + 1))/metrics" >"$TMP/m-0-$i"; done
n0=$(cpu "$NATSP")
sleep "$WINDOW"
c1=(); for i in 0 1 2; do c1+=("$(cpu "${NP[$i]}")"); curl -sf "http://127.0.0.1:$((PORT + 2 * i + 1))/metrics" >"$TMP/m-1-$i"; done
n1=$(cpu "$NATSP")
ON_CPU=0; NODES_JSON=""
for i in 0 1 2; do
  d=$(( c1[i] - c0[i] )); ON_CPU=$(( ON_CPU + d ))
  in0=$(metric "$TMP/m-0-$i" tickwire_cluster_nats_msgs_in_total); in1=$(metric "$TMP/m-1-$i" tickwire_cluster_nats_msgs_in_total)
  out0=$(metric "$TMP/m-0-$i" tickwire_cluster_nats_msgs_out_total); out1=$(metric "$TMP/m-1-$i" tickwire_cluster_nats_msgs_out_total)
  pl=$(metric "$TMP/m-0-$i" tickwire_players)
  NODES_JSON+=$(printf '%s{"node":"n%d","players":%s,"cpu_s":%s,"nats_msgs_in_per_s":%s,"nats_msgs_out_per_s":%s}' \
    "${NODES_JSON:+,}" "$i" "$pl" "$(echo "scale=3; $d / $TCK" | bc | sed 's/^\./0./')" \
    "$(echo "scale=1; ($in1 - $in0) / $WINDOW" | bc | sed 's/^\./0./')" \
    "$(echo "scale=1; ($out1 - $out0) / $WINDOW" | bc | sed 's/^\./0./')")
done

# 3. Kill node 2 (no goodbye) while the bots play, watch its rooms come back on the others, then restart it.
echo "== kill -9 node n2 (bots playing), then restart it" >&2
curl -sf "http://127.0.0.1:$((PORT + 5))/metrics" >"$TMP/m-kill-2"
KILLED_ROOMS=$(metric "$TMP/m-kill-2" tickwire_rooms); KILLED_PLAYERS=$(metric "$TMP/m-kill-2" tickwire_players)
recovered() {
  local sum=0 v
  for p in $((PORT + 1)) $((PORT + 3)); do
    v=$(curl -sf "http://127.0.0.1:$p/metrics" | awk '$1=="tickwire_cluster_rooms_recovered_total" {print $2}')
    sum=$(echo "$sum + ${v:-0}" | bc)
  done
  echo "${sum%.*}"
}
R0=$(recovered)
kill -9 "${NP[2]}"; wait "${NP[2]}" 2>/dev/null || true
t0=$(date +%s%N)
for _ in $(seq 200); do [ "$(nodes_seen $((PORT + 1)))" = 2 ] && [ "$(nodes_seen $((PORT + 3)))" = 2 ] && break; sleep 0.05; done
GONE_MS=$(( ($(date +%s%N) - t0) / 1000000 ))
RECOVER_MS=null
for _ in $(seq 600); do
  if [ $(( $(recovered) - R0 )) -ge "${KILLED_ROOMS%.*}" ]; then RECOVER_MS=$(( ($(date +%s%N) - t0) / 1000000 )); break; fi
  sleep 0.05
done
ROOMS_RECOVERED=$(( $(recovered) - R0 ))
for b in "${BPS[@]}"; do wait "$b" || true; done
t0=$(date +%s%N)
node 2
ready $((PORT + 4))
for _ in $(seq 200); do [ "$(nodes_seen $((PORT + 1)))" = 3 ] && [ "$(nodes_seen $((PORT + 5)))" = 3 ] && break; sleep 0.05; done
BACK_MS=$(( ($(date +%s%N) - t0) / 1000000 ))
ROOMS_AFTER=$(curl -sf "http://127.0.0.1:$PORT/v1/rooms" | jq '.rooms | length' 2>/dev/null || echo null)
# A few bots through the restarted node's matchmaker play again.
RAMP=1 WINDOW=2 bots restart 16 $((PORT + 4)); RB=$BOTPID
wait "$RB" || true

python3 - "$N" "$WINDOW" "$TCK" "$OFF_CPU" "$ON_CPU" "$((n1 - n0))" "[$NODES_JSON]" "$GONE_MS" "$BACK_MS" "$ROOMS_AFTER" "$TMP" "$ONE_CPU" "$ONE_MSGS" \
  "${KILLED_ROOMS%.*}" "${KILLED_PLAYERS%.*}" "$ROOMS_RECOVERED" "$RECOVER_MS" <<'PY'
import json, sys, os
n, window, tck = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
off, on, nats = int(sys.argv[4]) / tck, int(sys.argv[5]) / tck, int(sys.argv[6]) / tck
tmp = sys.argv[11]
def rep(tag):
    try:
        r = json.load(open(os.path.join(tmp, f"bots-{tag}.json")))
        return {k: r.get(k) for k in ("bots", "failed", "connected", "inputs_sent", "inputs_lost", "inputs_late",
                                      "bots_resumed", "resume_failed", "failures_by_reason") if k in r}
    except Exception as e:
        return {"error": str(e)}
ps = n * window
print(json.dumps({
    "players": n, "window_s": window,
    "on_one_node": {"server_cpu_s": round(int(sys.argv[12]) / tck, 3),
                    "cpu_us_per_player_s": round(int(sys.argv[12]) / tck / ps * 1e6, 1),
                    "nats_msgs_per_s": float(sys.argv[13]), "bots": rep("one")},
    "cpu_ratio_one_node_on_off": round(int(sys.argv[12]) / tck / off, 3) if off else None,
    "off": {"server_cpu_s": round(off, 3), "cpu_us_per_player_s": round(off / ps * 1e6, 1), "bots": rep("off")},
    "on": {"nodes_cpu_s": round(on, 3), "cpu_us_per_player_s": round(on / ps * 1e6, 1),
           "nats_server_cpu_s": round(nats, 3), "nodes": json.loads(sys.argv[7]),
           "bots": [rep(f"on{i}") for i in range(3)]},
    "cpu_ratio_three_nodes_on_off": round(on / off, 3) if off else None,
    "kill": {"node": "n2", "others_forgot_it_ms": int(sys.argv[8]), "restart_seen_by_all_ms": int(sys.argv[9]),
             "rooms_on_it": int(sys.argv[14]), "players_on_it": int(sys.argv[15]),
             "rooms_recovered": int(sys.argv[16]), "rooms_recovered_ms": json.loads(sys.argv[17]),
             "bots_resumed": sum((rep(f"on{i}").get("bots_resumed") or 0) for i in range(3)),
             "resume_failed": sum((rep(f"on{i}").get("resume_failed") or 0) for i in range(3)),
             "rooms_listed_after": json.loads(sys.argv[10]) if sys.argv[10] != "null" else None,
             "bots_after_restart": rep("restart")},
}, indent=2))
PY
