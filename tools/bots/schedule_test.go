package main

import (
	"math/rand/v2"
	"testing"
	"time"
)

// A schedule pops bots in the order of their due times, whatever the order they were pushed in.
func TestSchedulePopsInTimeOrder(t *testing.T) {
	base := time.Now()
	q := newSchedule(base, 0)
	rng := rand.New(rand.NewPCG(1, 2))
	bots := make([]*bot, 200)
	for i := range bots {
		bots[i] = &bot{idx: i}
		q.push(bots[i], base.Add(time.Duration(rng.IntN(1000))*time.Microsecond))
	}
	last := time.Duration(-1)
	for n := 0; q.len() > 0; n++ {
		b, at := q.peek()
		if got := at.Sub(base); got < last {
			t.Fatalf("pop %d: due at %v after one due at %v", n, got, last)
		} else {
			last = got
		}
		if !q.due(at) || q.due(at.Add(-time.Nanosecond)) {
			t.Fatalf("pop %d: due(%v) is wrong", n, at.Sub(base))
		}
		if q.pop() != b {
			t.Fatalf("pop %d: pop is not peek", n)
		}
	}
}

// driverBench is a driver's schedule of n bots, due one tick apart in a thousand phases, as a load run's rooms are.
func driverBench(n int) (schedule, time.Time) {
	base := time.Now()
	q := newSchedule(base, n)
	for i := range n {
		b := &bot{idx: i, beh: newBehavior("wander", 1, i, 30)}
		q.push(b, base.Add(time.Duration(i%1000)*33*time.Microsecond))
	}
	return q, base
}

// driveOne is a driver's own work for one bot's input (the client's is BenchmarkInputPath in tools/client): take
// the earliest bot from the schedule, make its input, put it back one tick later.
func driveOne(q *schedule) {
	b, at := q.peek()
	q.pop()
	_ = b.beh.next(&b.pos, &b.tgt, false)
	q.push(b, at.Add(time.Second/30))
}

// BenchmarkDriverInput: the bots' own per-input work among 1,024 bots (schedule and behaviour).
func BenchmarkDriverInput(b *testing.B) {
	q, _ := driverBench(1024)
	b.ReportAllocs()
	for b.Loop() {
		driveOne(&q)
	}
}

func TestDriverInputDoesNotAllocate(t *testing.T) {
	q, _ := driverBench(1024)
	if allocs := testing.AllocsPerRun(1000, func() { driveOne(&q) }); allocs != 0 {
		t.Errorf("%v allocs per input", allocs)
	}
}
