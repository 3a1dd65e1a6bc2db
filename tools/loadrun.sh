#!/usr/bin/env bash
# loadrun.sh: Tickwire's documented load run (make load).
#
#   tools/loadrun.sh [--floor] [--large | --mode M] [--compare] [--ramp S] [--window S] [--out DIR] [N ...]
#                                                                                    (default N: 500 1000 2000)
#
# For each N: builds and starts the tickwire server pinned to CPU 0 and N bots (tools/bots, ARENA.md's standard
# workload: each bot joins through the server's matchmaking API, rooms fill to 16) pinned to CPU 1; after the bots'
# ramp and two settle seconds it measures, over --window seconds, the server's CPU time (user + system from
# /proc/<pid>/stat), the bots' CPU time (how much of a core N bots need), and the server's /metrics, scraped from its
# admin listener (ADMIN_PORT) (tick duration p99
# from the histogram's buckets, tick overruns, bytes written; inputs applied, missed, late and early, and the input
# wait p50/p99 from tickwire_input_wait_seconds: how long applied inputs waited in their room). Latency, bytes per
# player and the bots' input figures (ticks with exactly one input applied, late inputs, the leads the room reported)
# come from the bots' JSON report over the same window (-settle: after the ramp and the settle seconds; the row
# also gives the whole run's ack p99, clock convergence included); bytes are counted by the bots as received,
# WebSocket headers included.
# With --floor it also runs ../shared/floor/measure.sh N (a bare gws server writing 200-byte frames at 30 Hz: the
# least a WebSocket game server can spend) in the same sitting and prints the ratio. --out keeps the raw results
# (bots' JSON reports, metrics, rows). Environment: PORT (default 18080), ADMIN_PORT (default PORT+1, the admin
# listener: /metrics), MATCHMAKING=0 (quick play instead),
# FLOOR_SCRIPT, BOTS_FLAGS (extra flags for the bots), SERVER_ENV (environment for the server, e.g. GOMAXPROCS=2:
# pinned to one CPU, Go otherwise runs the server with GOMAXPROCS=1), PROFILE_DIR (write the server's CPU profile over
# the window and its heap profile at the end of it there; add -cpuprofile to BOTS_FLAGS for the bots'). The last
# table gives the server's resident set and Go heap in use per player, and the bots' resident set per bot, at the
# end of the window.
# --mode M has the bots play game mode M (default arena); --large is --mode arena-large: the arena in a 4,000-unit world
# with 200-player rooms and interest management (views shared by cell). --compare also runs the standard workload
# (mode arena, 16-player rooms) at each N right after, in the same sitting, and a last table gives the mode's server
# CPU and bytes per player-second as ratios of the standard's. Each row records the load average at its start.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
FLOOR=0; RAMP=10; WINDOW=10; SETTLE=2; NS=(); OUT=; MODE=arena; COMPARE=0
while [ $# -gt 0 ]; do
  case "$1" in
    --floor) FLOOR=1 ;;
    --mode) MODE=$2; shift ;;
    --large) MODE=arena-large ;;
    --compare) COMPARE=1 ;;
    --ramp) RAMP=$2; shift ;;
    --window) WINDOW=$2; shift ;;
    --out) OUT=$2; shift ;;
    -h|--help) sed -n 2,30p "$0"; exit 0 ;;
    *) NS+=("$1") ;;
  esac
  shift
done
[ ${#NS[@]} -gt 0 ] || NS=(500 1000 2000)
PORT=${PORT:-18080}
ADMIN_PORT=${ADMIN_PORT:-$((PORT + 1))}
FLOOR_SCRIPT=${FLOOR_SCRIPT:-$ROOT/../shared/floor/measure.sh}
TMP=$(mktemp -d)
SP=; BP=
cleanup() {
  for p in $BP $SP; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  if [ -n "$OUT" ]; then mkdir -p "$OUT" && cp "$TMP"/*.json "$TMP"/*.err "$TMP"/*.log "$TMP"/m[01]-* "$TMP"/rows "$OUT"/ 2>/dev/null || true; fi
  rm -rf "$TMP"
}
trap cleanup EXIT

go build -o "$TMP/tickwire" ./server/cmd/tickwire
go build -o "$TMP/bots" ./tools/bots
TCK=$(getconf CLK_TCK)
cpu() { awk '{print $14+$15}' "/proc/$1/stat"; }

RUNS=()
for N in "${NS[@]}"; do
  RUNS+=("$MODE:$N")
  [ "$COMPARE" = 0 ] || [ "$MODE" = arena ] || RUNS+=("arena:$N")
done
for RUN in "${RUNS[@]}"; do
  M=${RUN%%:*}; N=${RUN#*:}
  T=$N; [ "$M" = arena ] || T=$M-$N # file tag
  LOAD=$(cut -d' ' -f1 /proc/loadavg)
  echo "== $N bots, mode $M: ramp ${RAMP}s, window ${WINDOW}s (load average $LOAD)" >&2
  # shellcheck disable=SC2086
  env ${SERVER_ENV:-} taskset -c 0 "$TMP/tickwire" -addr "127.0.0.1:$PORT" -admin-addr "127.0.0.1:$ADMIN_PORT" -log-level warn >"$TMP/server-$T.log" 2>&1 & SP=$!
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done
  # shellcheck disable=SC2086
  JOIN=(-url "ws://127.0.0.1:$PORT")
  [ "${MATCHMAKING:-1}" = 0 ] || JOIN+=(-matchmaker "http://127.0.0.1:$PORT")
  taskset -c 1 "$TMP/bots" "${JOIN[@]}" -mode "$M" -n "$N" -ramp "${RAMP}s" -settle "${SETTLE}s" -duration "$((SETTLE + WINDOW + 4))s" \
    -json -progress 0 ${BOTS_FLAGS:-} >"$TMP/bots-$T.json" 2>"$TMP/bots-$T.err" & BP=$!
  sleep $((RAMP + SETTLE))
  s0=$(cpu "$SP"); b0=$(cpu "$BP"); curl -sf "http://127.0.0.1:$ADMIN_PORT/metrics" >"$TMP/m0-$T"
  PP=
  if [ -n "${PROFILE_DIR:-}" ]; then
    mkdir -p "$PROFILE_DIR"
    curl -sf "http://127.0.0.1:$ADMIN_PORT/debug/pprof/profile?seconds=$WINDOW" >"$PROFILE_DIR/server-cpu-$T.pb.gz" & PP=$!
  fi
  sleep "$WINDOW"
  s1=$(cpu "$SP"); b1=$(cpu "$BP" 2>/dev/null || echo "$b0")
  # The bots may have ended already on a loaded machine: 0 stands for a resident set that could not be read.
  rss=$(awk '/^VmRSS/{print $2*1024}' "/proc/$SP/status" 2>/dev/null || true); rss=${rss:-0}
  brss=$(awk '/^VmRSS/{print $2*1024}' "/proc/$BP/status" 2>/dev/null || true); brss=${brss:-0}
  curl -sf "http://127.0.0.1:$ADMIN_PORT/metrics" >"$TMP/m1-$T"
  [ -z "$PP" ] || wait "$PP" || true # the window's CPU profile, read after the window's figures
  if [ -n "${PROFILE_DIR:-}" ]; then
    mkdir -p "$PROFILE_DIR"
    curl -sf "http://127.0.0.1:$ADMIN_PORT/debug/pprof/heap" >"$PROFILE_DIR/server-heap-$T.pb.gz" || true
  fi
  rc=0; wait "$BP" || rc=$?; BP=
  kill "$SP"; wait "$SP" 2>/dev/null || true; SP=
  floor='null'
  if [ "$FLOOR" = 1 ]; then
    # measure.sh exits with its server's status (killed: 143) after printing its JSON line: keep the line.
    floor=$("$FLOOR_SCRIPT" "$N" "$WINDOW" 2>"$TMP/floor-$T.err" | grep '^{' | tail -1 || true)
    [ -n "$floor" ] || { echo "floor measurement failed: $(tail -3 "$TMP/floor-$T.err")" >&2; floor='null'; }
  fi
  python3 - "$N" "$WINDOW" "$TCK" "$s0" "$s1" "$b0" "$b1" "$rc" "$TMP/m0-$T" "$TMP/m1-$T" "$TMP/bots-$T.json" "$floor" "$rss" "$brss" "$M" "$LOAD" >>"$TMP/rows" <<'PY'
import json, sys
n, win, tck = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
mode, load = sys.argv[15], float(sys.argv[16])
s0, s1, b0, b1, rc = (float(x) for x in sys.argv[4:9])
def metrics(path):
    m = {}
    for line in open(path):
        if line.startswith('#') or not line.strip():
            continue
        name, _, val = line.rpartition(' ')
        m[name] = float(val)
    return m
m0, m1 = metrics(sys.argv[9]), metrics(sys.argv[10])
d = lambda k: m1.get(k, 0) - m0.get(k, 0)
def quantile(name, q):
    """The q-quantile of histogram name over the window, linear within its bucket (None without samples)."""
    buckets = sorted((float(k.split('le="')[1].split('"')[0]), d(k)) for k in m1
                     if k.startswith(name + '_bucket'))
    total = d(name + '_count')
    if total <= 0:
        return None
    prev_le, prev_c = 0.0, 0.0
    for le, c in buckets:
        if c >= q * total:
            if le == float('inf'):
                return prev_le
            return prev_le + (le - prev_le) * ((q * total - prev_c) / max(c - prev_c, 1e-9))
        prev_le, prev_c = le, c
    return None
ms = lambda v: None if v is None else v * 1e3
total = d('tickwire_tick_duration_seconds_count')
p99 = quantile('tickwire_tick_duration_seconds', 0.99)
bots = json.load(open(sys.argv[11]))
floor = json.loads(sys.argv[12])
server_cpu = (s1 - s0) / tck / win
row = dict(players=n, mode=mode, load_avg=load, server_us_per_player_s=server_cpu / n * 1e6, server_cores=server_cpu,
           bots_cores=(b1 - b0) / tck / win, bytes_per_player_s=bots['bytes_in_per_bot_per_s'],
           server_payload_bytes_per_player_s=d('tickwire_bytes_out_total') / win / n,
           ack_p50_ms=bots['ack_latency_ms']['p50'], ack_p99_ms=bots['ack_latency_ms']['p99'],
           ack_p99_whole_run_ms=bots.get('ack_latency_all_ms', {}).get('p99'),
           tick_p99_ms=None if p99 is None else p99 * 1e3, ticks=total, overruns=d('tickwire_tick_overruns_total'),
           bots_lag_p99_ms=bots.get('driver_lag_ms', {}).get('p99'), rtt_p50_ms=bots['rtt_ms']['p50'],
           bots_connected=bots['connected'], bots_failed=bots['failed'], inputs_lost=bots['inputs_lost'],
           world_mismatches=bots['world_mismatches'], bots_exit=int(rc),
           floor_us_per_player_s=floor and floor['us_per_player_second'],
           # v2 inputs: the server's own counts and its input wait (arrival to the tick that applied it), and the
           # bots' view: ticks with exactly one of their inputs applied, late inputs, the leads the room reported.
           input_wait_p50_ms=ms(quantile('tickwire_input_wait_seconds', 0.5)),
           input_wait_p99_ms=ms(quantile('tickwire_input_wait_seconds', 0.99)),
           server_inputs_applied=d('tickwire_inputs_applied_total'), server_inputs_missed=d('tickwire_inputs_missed_total'),
           server_inputs_late=d('tickwire_inputs_dropped_total{reason="late"}'),
           server_inputs_early=d('tickwire_inputs_dropped_total{reason="early"}'),
           bots_one_input_per_tick=bots.get('applied_per_tick', {}).get('one_fraction'),
           bots_inputs_late=bots.get('inputs_late'),
           input_lead_p50_ms=bots.get('input_lead_ms', {}).get('p50'),
           input_lead_p99_ms=bots.get('input_lead_ms', {}).get('p99'))
# Memory at the end of the window: the server's resident set (VmRSS) and Go heap in use, per player; the bots' RSS.
row['server_rss_kb_per_player'] = float(sys.argv[13]) / n / 1024
row['server_heap_inuse_kb_per_player'] = m1.get('go_memstats_heap_inuse_bytes', 0) / n / 1024
row['bots_rss_kb_per_bot'] = float(sys.argv[14]) / n / 1024
row['ratio'] = row['floor_us_per_player_s'] and row['server_us_per_player_s'] / row['floor_us_per_player_s']
print(json.dumps(row))
PY
  tail -1 "$TMP/rows" >&2
done

python3 - "$TMP/rows" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
f = lambda v, fmt: '-' if v is None else fmt % v
print('| players | server CPU µs/player-s | floor µs | ratio | bytes/player-s | ack p50 ms | ack p99 ms | tick p99 ms | overruns | bots cores | bots timer lag p99 ms | bots ok |')
print('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|')
inputs_table = []
for r in rows:
    ok = r['bots_failed'] == 0 and r['inputs_lost'] == 0 and r['world_mismatches'] == 0 and r['bots_connected'] == r['players']
    print('| %s | %.0f | %s | %s | %.0f | %.1f | %.1f | %s | %d | %.2f | %s | %s |' % (
        r['players'] if r.get('mode', 'arena') == 'arena' else '%d (%s)' % (r['players'], r['mode']), r['server_us_per_player_s'], f(r['floor_us_per_player_s'], '%.0f'), f(r['ratio'], '%.2f'),
        r['bytes_per_player_s'], r['ack_p50_ms'], r['ack_p99_ms'], f(r['tick_p99_ms'], '%.2f'), r['overruns'],
        r['bots_cores'], f(r.get('bots_lag_p99_ms'), '%.1f'), 'yes' if ok else 'NO (%d connected, %d failed, %d lost, %d mismatches)' % (
            r['bots_connected'], r['bots_failed'], r['inputs_lost'], r['world_mismatches'])))
    inputs_table.append('| %d | %s | %s | %d | %d | %d | %d | %s | %s | %s | %s |' % (
        r['players'], f(r.get('input_wait_p50_ms'), '%.1f'), f(r.get('input_wait_p99_ms'), '%.1f'),
        r.get('server_inputs_applied', 0), r.get('server_inputs_missed', 0), r.get('server_inputs_late', 0),
        r.get('server_inputs_early', 0), f(r.get('bots_one_input_per_tick') and 100 * r['bots_one_input_per_tick'], '%.2f%%'),
        f(r.get('bots_inputs_late'), '%d'), f(r.get('input_lead_p50_ms'), '%.1f'), f(r.get('input_lead_p99_ms'), '%.1f')))
print()
print('| players | input wait p50 ms | input wait p99 ms | applied | missed | late | early | bots: ticks with one input | bots: late | lead p50 ms | lead p99 ms |')
print('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|')
print('\n'.join(inputs_table))
print()
print('| players | server RSS KB/player | server heap in use KB/player | bots RSS KB/bot |')
print('|---:|---:|---:|---:|')
for r in rows:
    print('| %d | %.1f | %.1f | %.1f |' % (r['players'], r.get('server_rss_kb_per_player', 0),
        r.get('server_heap_inuse_kb_per_player', 0), r.get('bots_rss_kb_per_bot', 0)))
if any(r.get('mode', 'arena') != 'arena' for r in rows):
    # Each mode's run against the standard workload's at the same player count, run right after it (--compare).
    std = {r['players']: r for r in rows if r.get('mode', 'arena') == 'arena'}
    print()
    print('| mode | players | load avg | server CPU µs/player-s | standard µs | CPU ratio | bytes/player-s | standard bytes | bots cores | ack p99 ms | tick p99 ms | overruns |')
    print('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|')
    for r in rows:
        if r.get('mode', 'arena') == 'arena':
            continue
        s = std.get(r['players'])
        print('| %s | %d | %.1f | %.0f | %s | %s | %.0f | %s | %.2f | %.1f | %s | %d |' % (
            r['mode'], r['players'], r['load_avg'], r['server_us_per_player_s'],
            f(s and s['server_us_per_player_s'], '%.0f'), f(s and r['server_us_per_player_s'] / s['server_us_per_player_s'], '%.2f'),
            r['bytes_per_player_s'], f(s and s['bytes_per_player_s'], '%.0f'), r['bots_cores'], r['ack_p99_ms'],
            f(r['tick_p99_ms'], '%.2f'), r['overruns']))
PY
