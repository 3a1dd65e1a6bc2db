package main

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"time"

	"github.com/tickwire/tickwire/tools/client"
)

// windowMark is the counters at one instant, to rate what happened between two marks.
type windowMark struct {
	at        time.Time
	bytesIn   int64
	snapshots int64
	connected int64
	lat, iv   client.HistogramSnapshot
	rtt       client.HistogramSnapshot
	lead      client.SignedHistogramSnapshot
}

func mark(s *client.Stats) windowMark {
	return windowMark{at: time.Now(), bytesIn: s.BytesIn.Load(), snapshots: s.Snapshots.Load(),
		connected: s.Connected.Load(), lat: s.AckLatency.Snapshot(), iv: s.SnapshotInterval.Snapshot(),
		rtt: s.RTT.Snapshot(), lead: s.InputLead.Snapshot()}
}

// Quantiles in milliseconds.
type Quantiles struct {
	P50 float64 `json:"p50"`
	P95 float64 `json:"p95"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
	N   uint64  `json:"samples"`
}

// Report is the outcome of a run; its JSON form is what -json prints.
type Report struct {
	Bots         int   `json:"bots"`
	Connected    int   `json:"connected"` // bots still in play at the end of the window (joined, or resuming)
	Failed       int   `json:"failed"`
	Stalled      int   `json:"stalled"`
	Resumed      int64 `json:"resumed"`
	BotsResumed  int   `json:"bots_resumed"` // bots that resumed at least once
	ResumeFailed int64 `json:"resume_failed"`

	InputsSent   int64 `json:"inputs_sent"`
	InputsResent int64 `json:"inputs_resent"`
	InputsAcked  int64 `json:"inputs_acked"`
	InputsLost   int64 `json:"inputs_lost"`
	// InputsLate reached the room after their tick had run: dropped, never applied, not lost.
	InputsLate int64 `json:"inputs_late"`
	// InputsAckedBlind were acknowledged without a snapshot of their own tick (see client.Stats).
	InputsAckedBlind int64 `json:"inputs_acked_blind"`
	// InputsAfterEnd were in flight when a match ended: never applied, but not lost either.
	InputsAfterEnd int64 `json:"inputs_after_end"`
	MatchesEnded   int64 `json:"matches_ended"` // bots whose match ended with a result (a normal end)
	AckRegress     int64 `json:"ack_regressions"`
	AckBeyondSent  int64 `json:"ack_beyond_sent"`

	// AppliedPerTick: how many of a bot's inputs the room applied per tick, over the ticks between a bot's first and
	// last input of each connection, summed over bots (one is the protocol's promise; none: the fill was applied).
	AppliedPerTick AppliedPerTick `json:"applied_per_tick"`
	ClockResyncs   int64          `json:"clock_resyncs"`
	// InputLeadMS is the input lead as the room reported it (ServerFrame.input_lead_us): how long before its tick was
	// due the least early input of each report arrived; negative: after (applied only if the tick had not run yet).
	InputLeadMS SignedQuantiles `json:"input_lead_ms"`

	// Latencies over the measured window (after the ramp and -settle).
	AckLatencyMS       Quantiles `json:"ack_latency_ms"`
	SnapshotIntervalMS Quantiles `json:"snapshot_interval_ms"`
	RTTMS              Quantiles `json:"rtt_ms"`
	// The same over the whole run, the ramp and the input clocks' convergence included.
	AckLatencyAllMS Quantiles       `json:"ack_latency_all_ms"`
	InputLeadAllMS  SignedQuantiles `json:"input_lead_all_ms"`
	// How late the input drivers woke up (the bots' own scheduling delay) and how long one pass over their bots
	// took: when these approach the input period, the load generator itself is the bottleneck.
	DriverLagMS  Quantiles `json:"driver_lag_ms"`
	DriverPassMS Quantiles `json:"driver_pass_ms"`

	BytesInPerBotPerS   float64 `json:"bytes_in_per_bot_per_s"`
	SnapshotsPerBotPerS float64 `json:"snapshots_per_bot_per_s"`
	WindowS             float64 `json:"window_s"`
	ElapsedS            float64 `json:"elapsed_s"`

	Snapshots          int64            `json:"snapshots"`
	DecodeErrors       int64            `json:"decode_errors"`
	HashChecks         int64            `json:"hash_checks"`
	WorldMismatches    int64            `json:"world_mismatches"`
	DisconnectsByCode  map[string]int64 `json:"disconnects_by_code"`
	FailuresByReason   map[string]int   `json:"failures_by_reason,omitempty"`
	LostByBot          map[string]int64 `json:"lost_by_bot,omitempty"` // bot index (s: stalled) → inputs lost
	StalledDisconnects int64            `json:"stalled_disconnects"`
}

// AppliedPerTick counts ticks by inputs applied.
type AppliedPerTick struct {
	One     int64   `json:"one"`
	None    int64   `json:"none"`
	Several int64   `json:"several"`
	OneFrac float64 `json:"one_fraction"`
}

// SignedQuantiles are quantiles of values that may be negative, in milliseconds.
type SignedQuantiles struct {
	P1  float64 `json:"p1"`
	P50 float64 `json:"p50"`
	P99 float64 `json:"p99"`
	N   uint64  `json:"samples"`
}

// OK reports whether the run passes: no bot failed unexpectedly and no input was lost.
func (r *Report) OK() bool { return r.Failed == 0 && r.InputsLost == 0 }

func signedQuantiles(h *client.SignedHistogramSnapshot) SignedQuantiles {
	return SignedQuantiles{P1: h.Quantile(0.01), P50: h.Quantile(0.5), P99: h.Quantile(0.99), N: h.N()}
}

func quantiles(h *client.HistogramSnapshot) Quantiles {
	return Quantiles{P50: h.Quantile(0.5), P95: h.Quantile(0.95), P99: h.Quantile(0.99), Max: h.MaxMS(), N: h.N}
}

func buildReport(cfg *Config, bots []*bot, endErrs []error, s, ss *client.Stats, all, a, b windowMark, connected int) *Report {
	r := &Report{Bots: cfg.N, Connected: connected, FailuresByReason: map[string]int{}, DisconnectsByCode: map[string]int64{}}
	for i, bt := range bots {
		if bt.stalled {
			r.Stalled++
		}
		if c := bt.c.Load(); c != nil {
			if c.Resumes() > 0 {
				r.BotsResumed++
			}
			if sent, acked := c.Inputs(); sent != acked {
				if r.LostByBot == nil {
					r.LostByBot = map[string]int64{}
				}
				key := strconv.Itoa(bt.idx)
				if bt.stalled {
					key += "s"
				}
				r.LostByBot[key] = int64(sent - acked)
			}
		}
		var err error
		if p := bt.dialErr.Load(); p != nil {
			err = *p
		} else if bt.c.Load() == nil {
			err = errors.New("never connected")
		} else {
			err = endErrs[i]
		}
		if err == nil {
			continue
		}
		var de *client.DisconnectError
		if bt.stalled && errors.As(err, &de) && de.Code == uint16(4000) {
			continue // the expected end of a slow consumer
		}
		if c := bt.c.Load(); c != nil && c.MatchResult() != nil && errors.Is(err, client.ErrRoomEnded) {
			continue // the match ended with a result: a normal end
		}
		r.Failed++
		r.FailuresByReason[failureReason(err)]++
	}
	for _, st := range []*client.Stats{s, ss} {
		r.Resumed += st.Resumed.Load()
		r.ResumeFailed += st.ResumeFailed.Load()
		r.InputsSent += st.InputsSent.Load()
		r.InputsResent += st.InputsResent.Load()
		r.InputsAcked += st.InputsAcked.Load()
		r.InputsLost += st.InputsLost.Load()
		r.InputsLate += st.InputsLate.Load()
		r.InputsAckedBlind += st.InputsAckedBlind.Load()
		r.AppliedPerTick.One += st.TicksWithInput.Load()
		r.AppliedPerTick.None += st.TicksMissed.Load()
		r.AppliedPerTick.Several += st.TicksMulti.Load()
		r.ClockResyncs += st.ClockResyncs.Load()
		r.InputsAfterEnd += st.InputsAfterEnd.Load()
		r.MatchesEnded += st.MatchesEnded.Load()
		r.AckRegress += st.AckRegress.Load()
		r.AckBeyondSent += st.AckBeyondSent.Load()
		r.Snapshots += st.Snapshots.Load()
		r.DecodeErrors += st.DecodeErrors.Load()
		r.HashChecks += st.HashChecks.Load()
		r.WorldMismatches += st.WorldMismatches.Load()
		for code, n := range st.Disconnects() {
			r.DisconnectsByCode[strconv.Itoa(int(code))] += n
		}
	}
	for _, n := range ss.Disconnects() {
		r.StalledDisconnects += n
	}
	lat, iv, rtt := b.lat.Sub(&a.lat), b.iv.Sub(&a.iv), b.rtt.Sub(&a.rtt)
	r.AckLatencyMS = quantiles(&lat)
	r.SnapshotIntervalMS = quantiles(&iv)
	r.RTTMS = quantiles(&rtt)
	latAll := b.lat.Sub(&all.lat)
	r.AckLatencyAllMS = quantiles(&latAll)
	leadAll := b.lead.Sub(&all.lead)
	r.InputLeadAllMS = signedQuantiles(&leadAll)
	if n := r.AppliedPerTick.One + r.AppliedPerTick.None + r.AppliedPerTick.Several; n > 0 {
		r.AppliedPerTick.OneFrac = float64(r.AppliedPerTick.One) / float64(n)
	}
	lead := b.lead.Sub(&a.lead)
	r.InputLeadMS = signedQuantiles(&lead)
	win := b.at.Sub(a.at).Seconds()
	r.WindowS = win
	// Rates over the measured window (after the ramp), per bot that reads normally.
	normal := float64(cfg.N - r.Stalled)
	if win > 0 && normal > 0 {
		r.BytesInPerBotPerS = float64(b.bytesIn-a.bytesIn) / win / normal
		r.SnapshotsPerBotPerS = float64(b.snapshots-a.snapshots) / win / normal
	}
	return r
}

func failureReason(err error) string {
	var de *client.DisconnectError
	switch {
	case errors.Is(err, client.ErrResumeFailed):
		return "resume_failed"
	case errors.As(err, &de):
		return strconv.Itoa(int(de.Code))
	default:
		return "connect"
	}
}

// printHuman writes the summary for people.
func (r *Report) printHuman(w io.Writer) {
	fmt.Fprintf(w, "bots %d: connected %d at the end, failed %d, stalled %d; resumed %d, resume failed %d\n",
		r.Bots, r.Connected, r.Failed, r.Stalled, r.Resumed, r.ResumeFailed)
	fmt.Fprintf(w, "inputs: sent %d, acknowledged %d (blind %d), late %d, lost %d, resent after resume %d (regressions %d, beyond sent %d)\n",
		r.InputsSent, r.InputsAcked, r.InputsAckedBlind, r.InputsLate, r.InputsLost, r.InputsResent, r.AckRegress, r.AckBeyondSent)
	fmt.Fprintf(w, "ticks by inputs applied: one %d (%.2f%%), none %d, several %d; clock re-syncs %d\n",
		r.AppliedPerTick.One, 100*r.AppliedPerTick.OneFrac, r.AppliedPerTick.None, r.AppliedPerTick.Several, r.ClockResyncs)
	fmt.Fprintf(w, "input lead ms as reported: p1 %.2f  p50 %.2f  p99 %.2f  (%d reports)\n",
		r.InputLeadMS.P1, r.InputLeadMS.P50, r.InputLeadMS.P99, r.InputLeadMS.N)
	fmt.Fprintf(w, "ack latency ms: p50 %.1f  p95 %.1f  p99 %.1f  max %.1f  (%d samples)\n",
		r.AckLatencyMS.P50, r.AckLatencyMS.P95, r.AckLatencyMS.P99, r.AckLatencyMS.Max, r.AckLatencyMS.N)
	fmt.Fprintf(w, "whole run (ramp and clock convergence included): ack ms p50 %.1f  p99 %.1f; input lead ms p50 %.2f  p99 %.2f\n",
		r.AckLatencyAllMS.P50, r.AckLatencyAllMS.P99, r.InputLeadAllMS.P50, r.InputLeadAllMS.P99)
	fmt.Fprintf(w, "snapshot interval ms: p50 %.1f  p99 %.1f;  rtt ms: p50 %.2f  p99 %.2f\n",
		r.SnapshotIntervalMS.P50, r.SnapshotIntervalMS.P99, r.RTTMS.P50, r.RTTMS.P99)
	fmt.Fprintf(w, "input drivers: wake-up lag ms p50 %.2f p99 %.2f, pass ms p50 %.2f p99 %.2f\n",
		r.DriverLagMS.P50, r.DriverLagMS.P99, r.DriverPassMS.P50, r.DriverPassMS.P99)
	fmt.Fprintf(w, "per bot over the %.1fs window: %.0f bytes/s in, %.1f snapshots/s\n",
		r.WindowS, r.BytesInPerBotPerS, r.SnapshotsPerBotPerS)
	fmt.Fprintf(w, "snapshots %d, decode errors %d, hash checks %d, world mismatches %d\n",
		r.Snapshots, r.DecodeErrors, r.HashChecks, r.WorldMismatches)
	codes := make([]string, 0, len(r.DisconnectsByCode))
	for c := range r.DisconnectsByCode {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	fmt.Fprint(w, "disconnects by code:")
	if len(codes) == 0 {
		fmt.Fprint(w, " none")
	}
	for _, c := range codes {
		fmt.Fprintf(w, " %s×%d", c, r.DisconnectsByCode[c])
	}
	fmt.Fprintln(w)
	if len(r.FailuresByReason) > 0 {
		fmt.Fprintf(w, "failures by reason: %v\n", r.FailuresByReason)
	}
	if r.OK() {
		fmt.Fprintln(w, "result: OK")
	} else {
		fmt.Fprintln(w, "result: FAILED")
	}
}
