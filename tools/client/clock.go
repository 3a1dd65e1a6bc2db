package client

import (
	"math"
	"time"
)

// InputClock decides which tick each input is addressed to, so that inputs reach the room a little before their tick
// is due: early enough to be applied despite the network's jitter, late enough to add no more latency than that.
//
// It keeps an estimate of the room's tick as a function of local time, shifted ahead by the one-way delay and the
// target lead: its position p(now) is the tick whose due instant, seen from the room, is target lead after the
// moment an input sent now would arrive. The input for tick n is due to be sent when p reaches n.
//
// The estimate starts from Welcome.tick plus half the handshake's round trip, is refined by Pongs (until the room has
// reported a lead) and then steered by the leads the room reports (ServerFrame.input_lead_us, the least lead of the
// inputs since the previous report): the clock runs up to MaxDilation faster or slower to bring the reported lead to
// the target, which is a safety margin plus a jitter margin measured from the spread of the recent reports. When the
// error is too large for dilation (more than ResyncThreshold, or inputs late by more than a tick several reports in a
// row) it re-syncs in one step. Ticks addressed never repeat and never go down: a clock that jumps back simply sends
// nothing until it reaches the next tick; one that jumps forward skips ticks (the room applies its fill for them).
//
// An InputClock is not safe for concurrent use; the Client guards its own with its lock.
type InputClock struct {
	// Static after construction (or Reset).
	interval time.Duration

	// The estimate: p(t) = anchorPos + (t - anchorAt) / interval × (1 + dilation).
	anchorAt  time.Time
	anchorPos float64
	dilation  float64
	synced    bool // the room has reported a lead since the last (re)start

	lastTick uint32 // the last tick an input was addressed to (0: none)

	rtt      time.Duration
	settleAt time.Time // reports before this describe inputs sent before the last re-sync: ignored

	// The jitter of the reported leads. drift is how far the clock has moved relative to the room since it was
	// made, by dilation and jumps (a lead moves with it); leads less the drift at their report leave the network's
	// (and the machines') jitter around a constant, so the window measures jitter, not the clock's convergence.
	drift   time.Duration
	resid   [leadWindow]float64 // microseconds
	nResid  int
	next    int
	lateRun int           // consecutive reports with an input more than a tick late
	margin  time.Duration // the jitter margin, recomputed with each report

	// Counters, read by the Client into Stats.
	resyncs int
	skipped int // ticks Take skipped because the input was sent too late for them
}

// Tuning of the input clock.
const (
	// MaxDilation bounds how much faster or slower than the room the clock runs while correcting its lead.
	MaxDilation = 0.05
	// SafetyMargin is the least lead the clock aims for beyond the measured jitter.
	SafetyMargin = 3 * time.Millisecond
	// ResyncThreshold: a lead error larger than this is corrected in one step, not by dilation.
	ResyncThreshold = 250 * time.Millisecond
	// leadWindow is how many reports (about 100 ms apart) the jitter margin is measured over.
	leadWindow = 32
	// jitterSigmas is the jitter margin in standard deviations of the reported leads.
	jitterSigmas = 2.5
	// maxJitterMargin caps the jitter margin (a few outliers must not push every input far ahead).
	maxJitterMargin = 150 * time.Millisecond
	// lateRunResync re-syncs after this many consecutive reports of an input more than a tick late.
	lateRunResync = 3
	// correctionHorizon is how long the clock takes to correct a lead error (at most MaxDilation).
	correctionHorizon = 500 * time.Millisecond
)

// NewInputClock returns a clock for a room ticking every interval. Call Start before use.
func NewInputClock(interval time.Duration) *InputClock {
	return &InputClock{interval: interval}
}

// Interval is the room's tick interval.
func (k *InputClock) Interval() time.Duration { return k.interval }

// Start (re)starts the estimate: at local time now the room's current tick is roomTick, observed about rtt/2 ago
// (a Welcome: rtt is the handshake's round trip). The last tick addressed and the measured jitter are kept.
func (k *InputClock) Start(now time.Time, roomTick uint32, rtt time.Duration) {
	k.rtt = rtt
	k.dilation = 0
	k.synced = false
	k.lateRun = 0
	k.nResid, k.next = 0, 0 // a new estimate: the old residuals have another offset
	k.setPos(now, k.estimate(roomTick, rtt))
	k.settleAt = now
}

// estimate is the position for a room observed at roomTick half a round trip ago: the room is then up to a tick
// past roomTick; an input sent now arrives after another half round trip, and should be target lead early. Until the
// room reports leads the clock errs a tick early (an early input waits in the room's buffer; a late one is dropped).
func (k *InputClock) estimate(roomTick uint32, rtt time.Duration) float64 {
	return float64(roomTick) + 1 + unsyncedExtra + (rtt.Seconds()+k.Target().Seconds())/k.interval.Seconds()
}

// unsyncedExtra is how many ticks early the clock aims before the room has reported a lead.
const unsyncedExtra = 1.0

// setPos re-anchors the clock at now to pos; the change from where it was counts as drift.
func (k *InputClock) setPos(now time.Time, pos float64) {
	if !k.anchorAt.IsZero() {
		k.drift += time.Duration((pos - float64(now.Sub(k.anchorAt))/float64(k.interval) - k.anchorPos) * float64(k.interval))
	}
	k.anchorAt, k.anchorPos = now, pos
}

// Pos is the clock's position at now, in ticks.
func (k *InputClock) Pos(now time.Time) float64 {
	return k.anchorPos + now.Sub(k.anchorAt).Seconds()/k.interval.Seconds()*(1+k.dilation)
}

// Dilation is the clock's current speed relative to the room's, minus one (within ±MaxDilation).
func (k *InputClock) Dilation() float64 { return k.dilation }

// LastTick is the last tick an input was addressed to.
func (k *InputClock) LastTick() uint32 { return k.lastTick }

// Resyncs counts the clock's one-step corrections since it was made.
func (k *InputClock) Resyncs() int { return k.resyncs }

// Skipped counts the ticks Take skipped since the clock was made: inputs sent too late to reach them.
func (k *InputClock) Skipped() int { return k.skipped }

// Target is the lead the clock aims for: SafetyMargin plus the jitter margin.
func (k *InputClock) Target() time.Duration { return SafetyMargin + k.margin }

// JitterMargin is the lead kept for jitter: jitterSigmas standard deviations of the recent reported leads (less the
// clock's own drift), or their mean less their least when that is more (a heavy tail); 0 before 4 reports.
func (k *InputClock) JitterMargin() time.Duration { return k.margin }

func (k *InputClock) jitterMargin() time.Duration {
	if k.nResid < 4 {
		return 0
	}
	var sum, sq float64
	least := math.Inf(1)
	for _, r := range k.resid[:k.nResid] {
		sum += r
		least = min(least, r)
	}
	mean := sum / float64(k.nResid)
	for _, r := range k.resid[:k.nResid] {
		sq += (r - mean) * (r - mean)
	}
	sd := math.Sqrt(sq / float64(k.nResid-1))
	m := max(jitterSigmas*sd, mean-least)
	return min(time.Duration(m)*time.Microsecond, maxJitterMargin)
}

// NextAt is when the input for the next tick (LastTick+1) is due to be sent.
func (k *InputClock) NextAt() time.Time {
	ahead := float64(k.lastTick+1) - k.anchorPos
	return k.anchorAt.Add(time.Duration(ahead / (1 + k.dilation) * float64(k.interval)))
}

// Take returns the tick for an input sent at now and records it as the last one. ok is false when now is more than
// a tick before NextAt (the clock is ahead: after a resend burst or a re-sync back); nothing is recorded then. An
// input sent late is addressed to the next tick it can still be expected to reach in time, skipping the ones it is
// too late for, and never to a tick below least (the tick after the newest snapshot: the room has run
// that one).
func (k *InputClock) Take(now time.Time, least uint32) (tick uint32, ok bool) {
	p := k.Pos(now)
	n := max(k.lastTick+1, least)
	if p < float64(k.lastTick+1)-1 {
		return 0, false
	}
	// The lead an input for tick n sent now is expected to have: (n - p) ticks plus the target. Skip the ticks for
	// which it would be negative.
	slack := float64(k.Target()) / float64(k.interval)
	if late := math.Ceil(p - slack - 1e-9); late > float64(n) {
		k.skipped += int(uint32(late) - n)
		n = uint32(late)
	}
	k.lastTick = n
	return n, true
}

// TakeNext records and returns the tick after the last one, whatever the time (resent inputs go to consecutive
// ticks from Take's).
func (k *InputClock) TakeNext() uint32 {
	k.lastTick++
	return k.lastTick
}

// OnPong refines the estimate from a Pong before the room has reported any lead: the room was at serverTick about
// rtt/2 before now.
func (k *InputClock) OnPong(now time.Time, serverTick uint32, rtt time.Duration) {
	k.rtt = rtt
	if k.synced || serverTick == 0 {
		return
	}
	k.setPos(now, k.estimate(serverTick, rtt))
}

// OnLead takes one reported lead (ServerFrame.input_lead_us) received at now and adjusts the clock.
func (k *InputClock) OnLead(now time.Time, lead time.Duration) {
	if now.Before(k.settleAt) {
		return
	}
	k.synced = true
	p := k.Pos(now)
	k.setPos(now, p) // brings drift up to now
	k.resid[k.next] = float64((lead - k.drift).Microseconds())
	k.next = (k.next + 1) % leadWindow
	k.nResid = min(k.nResid+1, leadWindow)
	k.margin = k.jitterMargin()
	if lead < -k.interval {
		k.lateRun++
	} else {
		k.lateRun = 0
	}
	// err > 0: inputs arrive earlier than needed, the clock is ahead by err.
	err := lead - k.Target()
	if err > ResyncThreshold || err < -ResyncThreshold || k.lateRun >= lateRunResync {
		k.resyncs++
		k.lateRun = 0
		k.dilation = 0
		k.setPos(now, p-err.Seconds()/k.interval.Seconds())
		// The next reports describe inputs sent before this jump: let them pass.
		k.settleAt = now.Add(k.rtt + 2*reportInterval)
		return
	}
	d := -err.Seconds() / correctionHorizon.Seconds()
	k.dilation = max(-MaxDilation, min(MaxDilation, d))
}

// reportInterval is about how often the room reports leads.
const reportInterval = 100 * time.Millisecond
