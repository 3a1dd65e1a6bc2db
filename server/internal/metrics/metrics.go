// Package metrics holds the server's Prometheus metrics in its own registry (never the global one, so that several
// servers in one process, as in tests, do not collide).
//
// Hot-path counters (bytes and frames written, snapshots dropped) are plain atomics exposed through CounterFunc, so
// that a write costs one uncontended atomic add and no allocation. Every method is safe to call from any goroutine.
package metrics

import (
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/tickwire/tickwire/server/internal/room"
)

// Drop reasons of snapshots and sessions on the outbound path.
const (
	// DropReplaced: a pending snapshot was replaced by a newer one before the writer took it (latest wins).
	DropReplaced = "replaced"
	// DropStaleBaseline: the writer took a delta whose baseline is not the last snapshot it wrote.
	DropStaleBaseline = "stale_baseline"
	// DropClosed: a snapshot offered to a session that is closing.
	DropClosed = "closed"
	// DropQueueFull: a reliable frame did not fit the session's bounded queue (the session is closed with 4000).
	DropQueueFull = "queue_full"
	// DropSkipLimit: too many snapshots in a row were replaced unsent (the session is closed with 4000).
	DropSkipLimit = "skip_limit"
	// DropWriteError: a write failed or timed out.
	DropWriteError = "write_error"
)

var dropReasons = []string{DropReplaced, DropStaleBaseline, DropClosed, DropQueueFull, DropSkipLimit, DropWriteError}

// Results of the players' game messages at the server's door (tickwire_messages_total{result}).
const (
	// MessageQueued: the message passed the limits and waits in its room's queue for the next tick.
	MessageQueued = "queued"
	// MessageTooBig: its payload was over the message size limit (the sender is closed with 1009).
	MessageTooBig = "too_big"
	// MessageBadType: its type was empty or too long (4500).
	MessageBadType = "bad_type"
	// MessageRateLimited: the sender went over its message rate (4508).
	MessageRateLimited = "rate_limited"
	// MessageQueueFull: the room's message queue was full (4002).
	MessageQueueFull = "queue_full"
	// MessageRoomEnded: the room had ended.
	MessageRoomEnded = "room_ended"
)

var messageResults = []string{MessageQueued, MessageTooBig, MessageBadType, MessageRateLimited, MessageQueueFull,
	MessageRoomEnded}

// Metrics is the server's set of metrics.
type Metrics struct {
	reg *prometheus.Registry

	// Gauges and counters updated off the per-frame path.
	Connections   prometheus.Gauge
	Sessions      prometheus.Gauge
	TickDuration  prometheus.Histogram
	TickOverruns  prometheus.Counter
	InputsApplied prometheus.Counter
	InputsMissed  prometheus.Counter
	InputLead     prometheus.Histogram
	InputWait     prometheus.Histogram
	inputsDropped *prometheus.CounterVec
	placementWait prometheus.Histogram // registered by RegisterMatchmaker
	resumes       *prometheus.CounterVec
	disconnects   *prometheus.CounterVec
	refusedHTTP   *prometheus.CounterVec
	refusedLimit  *prometheus.CounterVec
	// messages has one child per messageResults entry, made in New and read without a lock.
	messages map[string]prometheus.Counter

	// The inputs-dropped children the rooms report every tick, resolved once.
	droppedLate, droppedEarly, droppedDuplicate prometheus.Counter

	// Per-frame counters: atomics read by CounterFuncs.
	bytesOut, framesOut, snapshotsOut, framesIn, bytesIn atomic.Uint64
	encodedFull, encodedDelta                            atomic.Uint64
	drops                                                [6]atomic.Uint64

	// disconnects by code: the label values are few, cache the children.
	mu         sync.Mutex
	byCode     map[uint16]prometheus.Counter
	dropIndex  map[string]int
	inputByWhy map[room.DropReason]prometheus.Counter
}

// New makes the metrics and registers them, with the Go and process collectors, in a new registry.
func New() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry(), byCode: map[uint16]prometheus.Counter{},
		dropIndex: map[string]int{}, inputByWhy: map[room.DropReason]prometheus.Counter{}}
	for i, r := range dropReasons {
		m.dropIndex[r] = i
	}
	m.Connections = prometheus.NewGauge(prometheus.GaugeOpts{Name: "tickwire_connections",
		Help: "Open WebSocket connections (including those still in the handshake)."})
	m.Sessions = prometheus.NewGauge(prometheus.GaugeOpts{Name: "tickwire_sessions",
		Help: "Connections that completed the handshake and play in a room."})
	m.TickDuration = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "tickwire_tick_duration_seconds",
		Help:    "Time a room spends on one tick (inputs, step, snapshots, hand-off).",
		Buckets: []float64{25e-6, 50e-6, 100e-6, 250e-6, 500e-6, 1e-3, 2.5e-3, 5e-3, 10e-3, 25e-3, 50e-3}})
	m.TickOverruns = prometheus.NewCounter(prometheus.CounterOpts{Name: "tickwire_tick_overruns_total",
		Help: "Ticks that started later than the catch-up cap allows (the room fell behind)."})
	m.InputsApplied = prometheus.NewCounter(prometheus.CounterOpts{Name: "tickwire_inputs_applied_total",
		Help: "Inputs applied by rooms."})
	m.InputsMissed = prometheus.NewCounter(prometheus.CounterOpts{Name: "tickwire_inputs_missed_total",
		Help: "Ticks at which a connected player had no input (the game's fill was applied), once it had sent one."})
	m.InputLead = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "tickwire_input_lead_seconds",
		Help: "How long before its tick was due an input reached its room (negative: after; applied only if the " +
			"room had not run the tick yet).",
		Buckets: []float64{-0.05, -0.02, -0.01, -0.005, 0, 0.002, 0.005, 0.01, 0.02, 0.035, 0.05, 0.075, 0.1, 0.15, 0.25}})
	m.InputWait = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "tickwire_input_wait_seconds",
		Help:    "How long an applied input waited in its room, from arrival to the tick that applied it.",
		Buckets: []float64{0.001, 0.002, 0.005, 0.01, 0.02, 0.035, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1}})
	m.inputsDropped = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tickwire_inputs_dropped_total",
		Help: "Inputs not applied, by reason (late, early, duplicate, inbox_full, unknown_player, stale_sink, ended)."},
		[]string{"reason"})
	m.droppedLate = m.inputsDropped.WithLabelValues(string(room.DropLate))
	m.droppedEarly = m.inputsDropped.WithLabelValues(string(room.DropEarly))
	m.droppedDuplicate = m.inputsDropped.WithLabelValues(string(room.DropDuplicate))
	m.resumes = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tickwire_resumes_total",
		Help: "Resume attempts by result (ok, expired, invalid_token, superseded, failed)."}, []string{"result"})
	m.disconnects = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tickwire_disconnects_total",
		Help: "Connections closed, by close code (0: the peer vanished without a close frame)."}, []string{"code"})
	m.refusedHTTP = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tickwire_upgrades_refused_total",
		Help: "WebSocket upgrades refused before the upgrade, by reason."}, []string{"reason"})
	m.refusedLimit = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tickwire_limit_refusals_total",
		Help: "Requests, connections, tickets and rooms refused by a per-source or server-wide limit, by reason " +
			"(source_connections, source_upgrade_rate, source_http_conns, source_tickets, source_code_guesses, " +
			"source_auth_failures, handshakes, http_conns, long_polls, rooms, mode_rooms, room_rate, ticket_bytes)."},
		[]string{"reason"})
	messages := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tickwire_messages_total",
		Help: "Players' game messages by result: queued (for the room's game), too_big, bad_type, rate_limited, " +
			"queue_full, room_ended."}, []string{"result"})
	m.messages = make(map[string]prometheus.Counter, len(messageResults))
	for _, r := range messageResults {
		m.messages[r] = messages.WithLabelValues(r)
	}
	m.placementWait = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "tickwire_matchmaker_time_to_placement_seconds",
		Help:    "Time a placed ticket waited, from submission to the matchmaking batch that placed it.",
		Buckets: []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60}})
	counterFunc := func(name, help string, v *atomic.Uint64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help},
			func() float64 { return float64(v.Load()) })
	}
	m.reg.MustRegister(m.Connections, m.Sessions, m.TickDuration, m.TickOverruns,
		m.InputsApplied, m.InputsMissed, m.InputLead, m.InputWait, m.inputsDropped, m.resumes, m.disconnects, m.refusedHTTP,
		m.refusedLimit, messages,
		counterFunc("tickwire_bytes_out_total", "Bytes of WebSocket payload written to clients.", &m.bytesOut),
		counterFunc("tickwire_frames_out_total", "WebSocket frames written to clients.", &m.framesOut),
		counterFunc("tickwire_snapshots_out_total", "Snapshot frames written to clients.", &m.snapshotsOut),
		counterFunc("tickwire_frames_in_total", "Client frames received.", &m.framesIn),
		counterFunc("tickwire_snapshots_encoded_full_total", "Full snapshot payloads encoded by rooms.", &m.encodedFull),
		counterFunc("tickwire_snapshots_encoded_delta_total", "Delta snapshot payloads encoded by rooms.", &m.encodedDelta),
		counterFunc("tickwire_bytes_in_total", "Bytes of client frame payload received.", &m.bytesIn),
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	drops := prometheus.NewDesc("tickwire_outbound_drops_total",
		"Outbound snapshots or frames dropped (and slow sessions cut), by reason.", []string{"reason"}, nil)
	m.reg.MustRegister(&dropCollector{m: m, desc: drops})
	return m
}

// RegisterRoomGauges adds the room and player counts, read from the room directory at each scrape (so they cannot
// drift from the truth, however rooms end).
func (m *Metrics) RegisterRoomGauges(rooms, players func() float64) {
	m.reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "tickwire_rooms", Help: "Rooms running."}, rooms),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "tickwire_players",
			Help: "Players holding a slot in a room, connected or within their grace period."}, players))
}

// MatchmakerStats is what the matchmaker metrics read at each scrape.
type MatchmakerStats struct {
	QueuedByMode                       map[string]int // tickets waiting now, by mode
	Placed, Canceled, TimedOut, Failed uint64         // tickets that left the queue, since start
	RoomsCreated                       uint64         // rooms the matchmaker created, public and private
	// CodeMisses are the private-code tickets that failed, by reason (unknown, expired, full), since start.
	CodeMisses map[string]uint64
}

// RegisterMatchmaker adds the matchmaker's metrics: the counts are read by calling stats at each scrape (so the
// matchmaker keeps its own counters and nothing changes on its paths), the time to placement is what
// ObservePlacement records.
func (m *Metrics) RegisterMatchmaker(stats func() MatchmakerStats) {
	desc := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(name, help, labels, nil)
	}
	m.reg.MustRegister(m.placementWait, &matchmakerCollector{stats: stats,
		queued: desc("tickwire_matchmaker_tickets_queued", "Matchmaking tickets waiting for a room, by mode.", "mode"),
		placed: desc("tickwire_matchmaker_tickets_placed_total", "Matchmaking tickets placed into a room."),
		codeMisses: desc("tickwire_matchmaker_code_misses_total",
			"Private-code tickets that failed, by reason: unknown (no such live code), expired, full.", "reason"),
		canceled: desc("tickwire_matchmaker_tickets_canceled_total", "Matchmaking tickets canceled while queued."),
		timedOut: desc("tickwire_matchmaker_tickets_timed_out_total", "Matchmaking tickets that waited past the ticket timeout."),
		failed: desc("tickwire_matchmaker_tickets_failed_total",
			"Matchmaking tickets that could not be placed (unknown code, private room full, room creation failed)."),
		rooms: desc("tickwire_matchmaker_rooms_created_total", "Rooms the matchmaker created, public and private."),
	})
}

// ObservePlacement records how long a placed ticket waited (matchmaker.Config.OnPlaced).
func (m *Metrics) ObservePlacement(wait time.Duration) { m.placementWait.Observe(wait.Seconds()) }

// RegisterEventHub adds the service event hub's metrics, read at each scrape: subscribers now, subscribers dropped
// as slow consumers and events published.
func (m *Metrics) RegisterEventHub(subscribers, dropped, published func() float64) {
	m.reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "tickwire_service_event_subscribers",
			Help: "Service event streams subscribed now."}, subscribers),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "tickwire_service_event_subscribers_dropped_total",
			Help: "Service event subscribers dropped because they fell a whole queue behind (stream closed with 4000)."},
			dropped),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "tickwire_service_events_published_total",
			Help: "Events published to the service event hub."}, published))
}

// Registry is where the metrics live; register your own collectors here to have them on /metrics.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Wrote counts one frame of n payload bytes written; snapshot says whether it was a snapshot.
func (m *Metrics) Wrote(n int, snapshot bool) {
	m.bytesOut.Add(uint64(n))
	m.framesOut.Add(1)
	if snapshot {
		m.snapshotsOut.Add(1)
	}
}

// Read counts one client frame of n bytes.
func (m *Metrics) Read(n int) {
	m.bytesIn.Add(uint64(n))
	m.framesIn.Add(1)
}

// Drop counts one outbound drop by reason (one of the Drop constants).
func (m *Metrics) Drop(reason string) {
	if i, ok := m.dropIndex[reason]; ok {
		m.drops[i].Add(1)
	}
}

// DropCount returns the count of one drop reason (for tests and logs).
func (m *Metrics) DropCount(reason string) uint64 {
	if i, ok := m.dropIndex[reason]; ok {
		return m.drops[i].Load()
	}
	return 0
}

// Disconnect counts a closed connection by close code.
func (m *Metrics) Disconnect(code uint16) {
	m.mu.Lock()
	c, ok := m.byCode[code]
	if !ok {
		c = m.disconnects.WithLabelValues(strconv.Itoa(int(code)))
		m.byCode[code] = c
	}
	m.mu.Unlock()
	c.Inc()
}

// Resume counts a resume attempt by result.
func (m *Metrics) Resume(result string) { m.resumes.WithLabelValues(result).Inc() }

// LimitRefused counts a refusal by a limit (see package limits for the reasons).
func (m *Metrics) LimitRefused(reason string) { m.refusedLimit.WithLabelValues(reason).Inc() }

// LimitStats are the limits' gauges, read at each scrape.
type LimitStats struct {
	Handshaking    int // sockets upgraded that have not finished Hello/Join
	HTTPConns      int // HTTP connections open (WebSockets excluded)
	LongPolls      int // long-polls in flight
	Sources        int // sources in the per-source table
	SourcesHolding int // sources holding a connection or ticket
}

// RegisterLimits exports the limits' gauges.
func (m *Metrics) RegisterLimits(stats func() LimitStats) {
	g := func(name, help string, f func(LimitStats) int) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help},
			func() float64 { return float64(f(stats())) })
	}
	m.reg.MustRegister(
		g("tickwire_handshakes_open", "WebSockets upgraded that have not finished Hello and Join.",
			func(s LimitStats) int { return s.Handshaking }),
		g("tickwire_http_connections_open", "HTTP connections open (upgraded WebSockets not counted).",
			func(s LimitStats) int { return s.HTTPConns }),
		g("tickwire_long_polls_open", "Matchmaking long-polls in flight.", func(s LimitStats) int { return s.LongPolls }),
		g("tickwire_limit_sources", "Source addresses in the per-source limit table.",
			func(s LimitStats) int { return s.Sources }),
		g("tickwire_limit_sources_holding", "Source addresses holding a connection or a ticket.",
			func(s LimitStats) int { return s.SourcesHolding }))
}

// Message counts one player's game message by result (MessageQueued, MessageTooBig, ...); it does not allocate.
func (m *Metrics) Message(result string) {
	if c, ok := m.messages[result]; ok {
		c.Inc()
	}
}

// RefusedUpgrade counts an upgrade refused with an HTTP status (bad origin, draining).
func (m *Metrics) RefusedUpgrade(reason string) { m.refusedHTTP.WithLabelValues(reason).Inc() }

func (m *Metrics) inputDropped(reason room.DropReason) {
	m.mu.Lock()
	c, ok := m.inputByWhy[reason]
	if !ok {
		c = m.inputsDropped.WithLabelValues(string(reason))
		m.inputByWhy[reason] = c
	}
	m.mu.Unlock()
	c.Inc()
}

type dropCollector struct {
	m    *Metrics
	desc *prometheus.Desc
}

func (d *dropCollector) Describe(ch chan<- *prometheus.Desc) { ch <- d.desc }

func (d *dropCollector) Collect(ch chan<- prometheus.Metric) {
	for i, r := range dropReasons {
		ch <- prometheus.MustNewConstMetric(d.desc, prometheus.CounterValue, float64(d.m.drops[i].Load()), r)
	}
}

type matchmakerCollector struct {
	stats                                             func() MatchmakerStats
	queued, placed, canceled, timedOut, failed, rooms *prometheus.Desc
	codeMisses                                        *prometheus.Desc
}

func (c *matchmakerCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.queued, c.placed, c.canceled, c.timedOut, c.failed, c.rooms, c.codeMisses} {
		ch <- d
	}
}

// Collect reads the stats once, so that the numbers of one scrape agree with each other.
func (c *matchmakerCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.stats()
	for mode, n := range st.QueuedByMode {
		ch <- prometheus.MustNewConstMetric(c.queued, prometheus.GaugeValue, float64(n), mode)
	}
	ch <- prometheus.MustNewConstMetric(c.placed, prometheus.CounterValue, float64(st.Placed))
	ch <- prometheus.MustNewConstMetric(c.canceled, prometheus.CounterValue, float64(st.Canceled))
	ch <- prometheus.MustNewConstMetric(c.timedOut, prometheus.CounterValue, float64(st.TimedOut))
	ch <- prometheus.MustNewConstMetric(c.failed, prometheus.CounterValue, float64(st.Failed))
	ch <- prometheus.MustNewConstMetric(c.rooms, prometheus.CounterValue, float64(st.RoomsCreated))
	for reason, n := range st.CodeMisses {
		ch <- prometheus.MustNewConstMetric(c.codeMisses, prometheus.CounterValue, float64(n), reason)
	}
}

// RoomObserver adapts the metrics to room.Observer.
type RoomObserver struct{ M *Metrics }

var _ room.Observer = RoomObserver{}

// TickDone records one tick's duration.
func (o RoomObserver) TickDone(d time.Duration) { o.M.TickDuration.Observe(d.Seconds()) }

// Overrun counts ticks a room dropped from its schedule.
func (o RoomObserver) Overrun(skipped int) { o.M.TickOverruns.Add(float64(skipped)) }

// Inputs counts one tick's applied, missed, late, early and duplicate inputs.
func (o RoomObserver) Inputs(c room.InputCounts) {
	add := func(m prometheus.Counter, n int) {
		if n > 0 {
			m.Add(float64(n))
		}
	}
	add(o.M.InputsApplied, c.Applied)
	add(o.M.InputsMissed, c.Missed)
	add(o.M.droppedLate, c.Late)
	add(o.M.droppedEarly, c.Early)
	add(o.M.droppedDuplicate, c.Duplicate)
}

// InputLead records the lead of one input that reached a room.
func (o RoomObserver) InputLead(d time.Duration) { o.M.InputLead.Observe(d.Seconds()) }

// InputWait records how long one applied input waited in its room.
func (o RoomObserver) InputWait(d time.Duration) { o.M.InputWait.Observe(d.Seconds()) }

// InputDropped counts one dropped input by reason.
func (o RoomObserver) InputDropped(reason room.DropReason) { o.M.inputDropped(reason) }

// SnapshotEncoded counts one encoded snapshot payload.
func (o RoomObserver) SnapshotEncoded(full bool, bytes int) {
	if full {
		o.M.encodedFull.Add(1)
	} else {
		o.M.encodedDelta.Add(1)
	}
}

// FrameOffered is not recorded: frames written are (Wrote).
func (o RoomObserver) FrameOffered(bool, int) {}

// ReliableSent is not recorded: frames written are (Wrote).
func (o RoomObserver) ReliableSent(int) {}

// AuthCounters counts the server's identity decisions (player tokens at Join and at ticket submission).
type AuthCounters struct {
	accepted *prometheus.CounterVec // where, result: verified or anonymous
	refused  *prometheus.CounterVec // where, reason
}

// RegisterAuth registers tickwire_player_auth_total{where,result} and tickwire_player_auth_refused_total{where,reason},
// with a zero series for each where and reason given, so that dashboards see the refusals before the first one.
func (m *Metrics) RegisterAuth(wheres, reasons []string) *AuthCounters {
	a := &AuthCounters{
		accepted: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tickwire_player_auth_total",
			Help: "Players let in, by where they were checked (join, matchmaker) and result (verified, anonymous)."},
			[]string{"where", "result"}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tickwire_player_auth_refused_total",
			Help: "Players refused by the identity check, by where (join, matchmaker) and reason (missing, malformed, " +
				"bad_signature, wrong_key, unknown_kid, expired, not_yet_valid, bad_claims, refused, disabled)."},
			[]string{"where", "reason"}),
	}
	for _, w := range wheres {
		a.accepted.WithLabelValues(w, "verified")
		a.accepted.WithLabelValues(w, "anonymous")
		for _, r := range reasons {
			a.refused.WithLabelValues(w, r)
		}
	}
	m.reg.MustRegister(a.accepted, a.refused)
	return a
}

// Result counts one decision: refused is "" for a player let in.
func (a *AuthCounters) Result(where string, verified bool, refused string) {
	switch {
	case refused != "":
		a.refused.WithLabelValues(where, refused).Inc()
	case verified:
		a.accepted.WithLabelValues(where, "verified").Inc()
	default:
		a.accepted.WithLabelValues(where, "anonymous").Inc()
	}
}
