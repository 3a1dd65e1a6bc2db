package client

import (
	"math/bits"
	"sync/atomic"
	"time"
)

// Stats are counters and latency histograms that any number of clients update at once (every field is atomic). A
// load tool gives all its clients one Stats; a single client gets its own when Config.Stats is nil.
type Stats struct {
	Connected    atomic.Int64 // clients currently joined (between Welcome and the end of that connection)
	Resumed      atomic.Int64 // successful resumes
	ResumeFailed atomic.Int64 // connections that dropped and could not resume within the grace period

	InputsSent   atomic.Int64 // inputs given a sequence number and written (resends not counted)
	InputsResent atomic.Int64 // inputs written again after a resume
	InputsAcked  atomic.Int64 // inputs the server reported applied (last_input_seq >= seq)
	InputsLost   atomic.Int64 // inputs sent but neither acknowledged nor known late by the time the client ended
	// InputsLate counts inputs that reached the room after it had run their tick: a snapshot of that tick or later
	// reported a lower last_input_seq. The room dropped them (never applied); they are not lost.
	InputsLate atomic.Int64
	// InputsAckedBlind counts the acknowledged inputs that no snapshot of their own tick reported on (snapshots
	// skipped, or the connection dropped first): each was applied, unless the room dropped it late and then applied
	// a later one. The inputs applied are between InputsAcked - InputsAckedBlind and InputsAcked.
	InputsAckedBlind atomic.Int64
	// InputsAfterEnd counts inputs still in flight when the match ended (MatchResult, then 4509): the room stopped
	// applying inputs, so they are neither applied nor lost.
	InputsAfterEnd atomic.Int64
	MatchesEnded   atomic.Int64 // clients whose match ended with a MatchResult
	AckRegress     atomic.Int64 // last_input_seq went backwards (the server forgot an applied input)
	AckBeyondSent  atomic.Int64 // last_input_seq above the highest sequence sent

	// Ticks by how many of the client's inputs the room applied, seen from consecutive snapshots of one connection
	// (between the first and the last tick it addressed an input to): one (the protocol's promise), none (the room
	// applied its fill: the input was late, skipped or not sent), or more than one (impossible by the protocol: the
	// ticks of such an interval are counted here).
	TicksWithInput atomic.Int64
	TicksMissed    atomic.Int64
	TicksMulti     atomic.Int64
	ClockResyncs   atomic.Int64 // input clock one-step corrections
	TicksSkipped   atomic.Int64 // ticks the input clock skipped: SendInput came too late for them (missed)

	Snapshots       atomic.Int64 // snapshots decoded into the world
	FullSnapshots   atomic.Int64 // of which full (baseline 0)
	DecodeErrors    atomic.Int64 // snapshots that could not be applied (wrong baseline, corrupt body, undecodable frame)
	HashChecks      atomic.Int64 // snapshots whose state_hash was compared
	WorldMismatches atomic.Int64 // of which the rebuilt world's hash differed
	EntitiesEntered atomic.Int64 // entities that appeared in the world (ViewHandler.OnEnter)
	EntitiesExited  atomic.Int64 // entities that left it (ViewHandler.OnExit)
	Events          atomic.Int64
	EventsTargeted  atomic.Int64 // of which sent to this player alone or to a set of players (Event.targeted)
	MessagesSent    atomic.Int64 // game messages written (SendMessage)
	BytesIn         atomic.Int64 // WebSocket bytes received, frame headers included
	BytesOut        atomic.Int64 // WebSocket payload bytes sent plus client frame headers (6 to 14 bytes each)

	AckLatency       Histogram       // input sent (or resent) to the first snapshot that reports it applied
	SnapshotInterval Histogram       // time between consecutive snapshots on one connection
	RTT              Histogram       // Ping to Pong
	InputLead        SignedHistogram // ServerFrame.input_lead_us as reported (negative: after the tick was due)

	closes [5000]atomic.Int64 // connection ends by close code (CodeConnectionLost for none)
}

// NewStats returns zeroed stats.
func NewStats() *Stats { return new(Stats) }

func (s *Stats) countClose(code uint16) {
	if int(code) < len(s.closes) {
		s.closes[code].Add(1)
	}
}

// Disconnects returns how many connections ended with each close code.
func (s *Stats) Disconnects() map[uint16]int64 {
	m := map[uint16]int64{}
	for i := range s.closes {
		if n := s.closes[i].Load(); n != 0 {
			m[uint16(i)] = n
		}
	}
	return m
}

// Histogram is a lock-free log-linear histogram of durations with microsecond resolution and about 3% precision
// (32 sub-buckets per power of two). Safe for concurrent use.
type Histogram struct {
	counts [histBuckets]atomic.Uint64
	max    atomic.Int64 // microseconds
}

const histBuckets = 64 + 40*32

func histIndex(us uint64) int {
	if us < 64 {
		return int(us)
	}
	shift := bits.Len64(us) - 6
	i := 64 + (shift-1)*32 + int(us>>uint(shift)) - 32
	if i >= histBuckets {
		return histBuckets - 1
	}
	return i
}

// histValue is the middle of bucket i, in microseconds.
func histValue(i int) float64 {
	if i < 64 {
		return float64(i)
	}
	shift := (i-64)/32 + 1
	m := uint64((i-64)%32 + 32)
	lo := m << uint(shift)
	hi := (m + 1) << uint(shift)
	return float64(lo+hi-1) / 2
}

// Record adds one sample; negative durations count as zero.
func (h *Histogram) Record(d time.Duration) {
	us := d.Microseconds()
	if us < 0 {
		us = 0
	}
	h.counts[histIndex(uint64(us))].Add(1)
	for {
		m := h.max.Load()
		if us <= m || h.max.CompareAndSwap(m, us) {
			return
		}
	}
}

// Snapshot copies the current counts.
func (h *Histogram) Snapshot() HistogramSnapshot {
	var s HistogramSnapshot
	for i := range h.counts {
		c := h.counts[i].Load()
		s.Counts[i] = c
		s.N += c
	}
	s.MaxUS = h.max.Load()
	return s
}

// HistogramSnapshot is a copy of a Histogram's counts; the difference of two gives the samples of an interval.
type HistogramSnapshot struct {
	Counts [histBuckets]uint64
	N      uint64
	MaxUS  int64 // the largest sample ever recorded (not only the interval's)
}

// Sub returns the samples recorded between prev and s.
func (s *HistogramSnapshot) Sub(prev *HistogramSnapshot) HistogramSnapshot {
	var d HistogramSnapshot
	for i := range s.Counts {
		d.Counts[i] = s.Counts[i] - prev.Counts[i]
		d.N += d.Counts[i]
	}
	d.MaxUS = s.MaxUS
	return d
}

// Quantile returns the q-quantile (0..1) in milliseconds, 0 with no samples.
func (s *HistogramSnapshot) Quantile(q float64) float64 {
	if s.N == 0 {
		return 0
	}
	rank := uint64(q*float64(s.N-1)) + 1
	var seen uint64
	for i, c := range s.Counts {
		seen += c
		if seen >= rank {
			return histValue(i) / 1000
		}
	}
	return float64(s.MaxUS) / 1000
}

// MaxMS returns the largest sample in milliseconds.
func (s *HistogramSnapshot) MaxMS() float64 { return float64(s.MaxUS) / 1000 }

// SignedHistogram is a Histogram of durations that may be negative. Safe for concurrent use.
type SignedHistogram struct {
	neg, pos Histogram
}

// Record adds one sample.
func (h *SignedHistogram) Record(d time.Duration) {
	if d < 0 {
		h.neg.Record(-d)
		return
	}
	h.pos.Record(d)
}

// Snapshot copies the current counts.
func (h *SignedHistogram) Snapshot() SignedHistogramSnapshot {
	return SignedHistogramSnapshot{Neg: h.neg.Snapshot(), Pos: h.pos.Snapshot()}
}

// SignedHistogramSnapshot is a copy of a SignedHistogram's counts.
type SignedHistogramSnapshot struct {
	Neg, Pos HistogramSnapshot
}

// Sub returns the samples recorded between prev and s.
func (s *SignedHistogramSnapshot) Sub(prev *SignedHistogramSnapshot) SignedHistogramSnapshot {
	return SignedHistogramSnapshot{Neg: s.Neg.Sub(&prev.Neg), Pos: s.Pos.Sub(&prev.Pos)}
}

// N is the number of samples.
func (s SignedHistogramSnapshot) N() uint64 { return s.Neg.N + s.Pos.N }

// Quantile returns the q-quantile (0..1) in milliseconds, 0 with no samples.
func (s *SignedHistogramSnapshot) Quantile(q float64) float64 {
	n := s.N()
	if n == 0 {
		return 0
	}
	rank := uint64(q*float64(n-1)) + 1
	if rank <= s.Neg.N {
		// The rank-th smallest is the (Neg.N-rank+1)-th largest negative sample.
		seen := uint64(0)
		for i := len(s.Neg.Counts) - 1; i >= 0; i-- {
			seen += s.Neg.Counts[i]
			if seen >= rank {
				return -histValue(i) / 1000
			}
		}
	}
	rank -= s.Neg.N
	seen := uint64(0)
	for i, c := range s.Pos.Counts {
		seen += c
		if seen >= rank {
			return histValue(i) / 1000
		}
	}
	return s.Pos.MaxMS()
}
