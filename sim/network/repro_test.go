package network

import (
	"math"
	"testing"
	"time"

	"github.com/fleetsim/fleetsim/sim/units"
	"gonum.org/v1/gonum/stat"
)

// richProfile exercises every random stage.
var richProfile = Profile{
	Up: Direction{Rate: 2 * units.Mbps, Queue: 32 * units.KiB, Delay: units.Duration(30 * time.Millisecond),
		Jitter: units.Duration(8 * time.Millisecond), Distribution: Normal, Correlation: 0.25,
		GilbertElliott: &GilbertElliott{P: 0.02, R: 0.3}, Duplicate: 0.01, Corrupt: 0.01, Reorder: 0.05},
	Down:    Direction{Delay: units.Duration(30 * time.Millisecond), Loss: 0.01},
	Outages: Outages{MTBF: units.Duration(20 * time.Second), MTTR: units.Duration(2 * time.Second)},
}

type decision struct {
	copies int
	drop   string
	at     [2]time.Time
	bit    int
}

func decisions(t *testing.T, p Profile, device string, n int) []decision {
	l, fk := newTestLink(t, p, device)
	var out [2]Packet
	ds := make([]decision, n)
	at := fk.Now()
	for i := range ds {
		at = at.Add(5 * time.Millisecond)
		k, first := l.up.datagram(at, 1000, &out)
		ds[i] = decision{copies: k, drop: first.Drop, bit: first.CorruptBit}
		for j := 0; j < k; j++ {
			ds[i].at[j] = out[j].At
		}
	}
	return ds
}

func TestSameSeedSameDecisions(t *testing.T) {
	a := decisions(t, richProfile, "cam-0001", 20000)
	b := decisions(t, richProfile, "cam-0001", 20000)
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("decision %d differs: %+v vs %+v", i, a[i], b[i])
		}
	}
	outages := 0
	for _, d := range a {
		if d.drop == DropOutage {
			outages++
		}
	}
	if outages == 0 {
		t.Fatal("the profile's flaps never took the link down: the test covers less than it claims")
	}
}

func TestDevicesIndependent(t *testing.T) {
	p := Profile{Up: Direction{Loss: 0.1, Delay: units.Duration(20 * time.Millisecond), Jitter: units.Duration(5 * time.Millisecond)}}
	const n = 50000
	a := decisions(t, p, "cam-0001", n)
	b := decisions(t, p, "cam-0002", n)
	la, lb := make([]float64, n), make([]float64, n)
	var da, db []float64
	same := 0
	for i := range a {
		if a[i].drop != "" {
			la[i] = 1
		}
		if b[i].drop != "" {
			lb[i] = 1
		}
		if a[i].copies == 1 && b[i].copies == 1 {
			da = append(da, float64(a[i].at[0].UnixNano()))
			db = append(db, float64(b[i].at[0].UnixNano()))
			if a[i].at[0] == b[i].at[0] {
				same++
			}
		}
	}
	// |r| of independent sequences has σ ≈ 1/√n ≈ 0.0045: 0.02 is four σ.
	if r := stat.Correlation(la, lb, nil); math.Abs(r) > 0.02 {
		t.Errorf("loss decisions of two devices correlate: r = %.4f", r)
	}
	for i := range da { // delays, not absolute times
		da[i] -= float64(i)
		db[i] -= float64(i)
	}
	if same > len(da)/10 {
		t.Errorf("%d of %d delays identical across devices", same, len(da))
	}
}

func TestStagesDoNotShiftEachOther(t *testing.T) {
	// Loss decisions stay the same when jitter is turned on: each stage has
	// its own stream.
	plain := Profile{Up: Direction{Loss: 0.05}}
	jittery := Profile{Up: Direction{Loss: 0.05, Delay: units.Duration(ms(20)), Jitter: units.Duration(ms(5))}}
	a := decisions(t, plain, "cam-9", 5000)
	b := decisions(t, jittery, "cam-9", 5000)
	for i := range a {
		if (a[i].drop == "") != (b[i].drop == "") {
			t.Fatalf("packet %d: loss decision changed when jitter was added", i)
		}
	}
}

func TestLiveProfileChange(t *testing.T) {
	l, fk := newTestLink(t, Profile{Up: Direction{Rate: 1 * units.Mbps, Delay: units.Duration(ms(10))}}, "cam-live")
	var out [2]Packet
	// Build a backlog: 100 KB at 1 Mbit/s ≈ 0.8 s of queue.
	for i := 0; i < 100; i++ {
		l.up.datagram(fk.Now(), 1000, &out)
	}
	backlog := l.up.capacity[0].Backlog(fk.Now())
	if err := l.SetProfile(Profile{Up: Direction{Rate: 2 * units.Mbps, Delay: units.Duration(ms(100))}}); err != nil {
		t.Fatal(err)
	}
	if got := l.up.capacity[0].Backlog(fk.Now()); got != backlog {
		t.Fatalf("backlog after the change %d, want %d carried over", got, backlog)
	}
	l.up.datagram(fk.Now(), 1000, &out)
	// New rate drains the carried backlog, then the new delay applies.
	want := time.Duration(float64(backlog+1000)/250000*float64(time.Second)) + ms(100)
	if d := out[0].At.Sub(fk.Now()); math.Abs(float64(d-want)) > float64(time.Microsecond) {
		t.Fatalf("first packet after the change arrives after %v, want %v", d, want)
	}
	if s := l.Stats().Up; s.Packets != 101 {
		t.Fatalf("stats reset by the change: %+v", s)
	}
	// A timeline outage takes the link down now.
	l.Outage(30 * time.Second)
	if down, until := l.Down(); !down || until.Sub(fk.Now()) != 30*time.Second {
		t.Fatalf("Down() = %v, %v", down, until)
	}
	if k, first := l.up.datagram(fk.Now(), 100, &out); k != 0 || first.Drop != DropOutage {
		t.Fatal("datagram crossed an outage")
	}
	if err := l.SetProfile(Profile{Up: Direction{Reorder: 0.1}}); err == nil {
		t.Fatal("invalid profile accepted")
	}
}

func TestApplyChange(t *testing.T) {
	l, fk := newTestLink(t, Profile{}, "cam-tl")
	named := map[string]Profile{"satellite": {Up: Direction{Delay: units.Duration(300 * time.Millisecond)}}}
	lookup := func(n string) (Profile, bool) { p, ok := named[n]; return p, ok }
	if err := l.Apply(Change{Profile: "nowhere", Outage: units.Duration(time.Minute)}, lookup); err == nil {
		t.Fatal("unknown profile accepted")
	}
	if down, _ := l.Down(); down {
		t.Fatal("a refused change took the link down")
	}
	if err := l.Apply(Change{Profile: "satellite", Outage: units.Duration(30 * time.Second)}, lookup); err != nil {
		t.Fatal(err)
	}
	if l.Profile().Up.Delay.D() != 300*time.Millisecond {
		t.Error("profile not switched")
	}
	fk.Advance(29 * time.Second)
	if down, _ := l.Down(); !down {
		t.Error("outage ended early")
	}
	fk.Advance(time.Second)
	if down, _ := l.Down(); down {
		t.Error("outage did not end after 30s")
	}
}
