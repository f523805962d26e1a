package network

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/fleetsim/fleetsim/sim/units"
	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"
)

// Statistical evidence. Every test uses fixed seeds, so it replays exactly
// and cannot flake; the tolerances are what the sample sizes justify.

const ksSamples = 20000

// ksCritical is the two-sample Kolmogorov-Smirnov critical distance at
// α = 0.001 (c(α) = 1.95).
func ksCritical(n, m int) float64 {
	return 1.95 * math.Sqrt(float64(n+m)/float64(n*m))
}

// realisedDelays sends datagrams through the up direction of a link with
// profile d, 10 ms apart (no queueing), and returns their one-way delays
// in milliseconds, sorted.
func realisedDelays(t *testing.T, d Direction) []float64 {
	t.Helper()
	l, fk := newTestLink(t, Profile{Up: d}, "cam-ks")
	var out [2]Packet
	delays := make([]float64, 0, ksSamples)
	at := fk.Now()
	for i := 0; i < ksSamples; i++ {
		at = at.Add(10 * time.Millisecond)
		n, _ := l.up.datagram(at, 200, &out)
		if n != 1 {
			t.Fatalf("datagram %d: %d copies", i, n)
		}
		delays = append(delays, float64(out[0].At.Sub(at))/float64(time.Millisecond))
	}
	slices.Sort(delays)
	return delays
}

func reference(dist distuv.Rander, f func(float64) float64) []float64 {
	ref := make([]float64, ksSamples)
	for i := range ref {
		ref[i] = f(dist.Rand())
	}
	slices.Sort(ref)
	return ref
}

func TestDelayDistributionKS(t *testing.T) {
	const mu, sigma = 50.0, 10.0 // ms
	src := func() rand.Source { return rand.NewPCG(7, 7) }
	id := func(x float64) float64 { return x }
	cases := []struct {
		dist Distribution
		ref  []float64
	}{
		{Uniform, reference(distuv.Uniform{Min: mu - sigma, Max: mu + sigma, Src: src()}, id)},
		{Normal, reference(distuv.Normal{Mu: mu, Sigma: sigma, Src: src()}, id)},
		{Pareto, reference(distuv.Pareto{Xm: 1, Alpha: 3, Src: src()}, func(x float64) float64 {
			return mu + sigma*(x-paretoMean)/paretoSD
		})},
	}
	crit := ksCritical(ksSamples, ksSamples)
	for _, c := range cases {
		t.Run(string(c.dist), func(t *testing.T) {
			got := realisedDelays(t, Direction{Delay: units.Duration(50 * time.Millisecond),
				Jitter: units.Duration(10 * time.Millisecond), Distribution: c.dist})
			d := stat.KolmogorovSmirnov(got, nil, c.ref, nil)
			t.Logf("KS distance %.4f (critical %.4f)", d, crit)
			if d > crit {
				t.Errorf("realised delays differ from %s(%v, %v): KS distance %.4f > %.4f", c.dist, mu, sigma, d, crit)
			}
		})
	}
	// The test can fail: normal delays are far from the uniform reference.
	got := realisedDelays(t, Direction{Delay: units.Duration(50 * time.Millisecond),
		Jitter: units.Duration(10 * time.Millisecond), Distribution: Normal})
	if d := stat.KolmogorovSmirnov(got, nil, cases[0].ref, nil); d <= crit {
		t.Errorf("KS did not tell normal from uniform (distance %.4f)", d)
	}
}

// uniformRander draws U(0,1) for building references from quantiles.
type quantileRander struct {
	r *rand.Rand
	q func(u float64) float64
}

func (q quantileRander) Rand() float64 { return q.q(q.r.Float64()) }

func TestParetoNormalKS(t *testing.T) {
	// netem's paretonormal is built at the same quantile from the normal
	// and the Pareto(α=3) tables; the reference uses gonum's quantiles.
	std := distuv.Normal{Mu: 0, Sigma: 1}
	par := distuv.Pareto{Xm: 1, Alpha: 3}
	ref := reference(quantileRander{rand.New(rand.NewPCG(9, 9)), func(u float64) float64 {
		return 50 + 10*(0.25*std.Quantile(u)+0.75*(par.Quantile(u)-paretoMean)/paretoSD)/paretoNormalSD
	}}, func(x float64) float64 { return x })
	got := realisedDelays(t, Direction{Delay: units.Duration(50 * time.Millisecond),
		Jitter: units.Duration(10 * time.Millisecond), Distribution: ParetoNormal})
	crit := ksCritical(ksSamples, ksSamples)
	if d := stat.KolmogorovSmirnov(got, nil, ref, nil); d > crit {
		t.Errorf("paretonormal: KS distance %.4f > %.4f", d, crit)
	}
	if mean := stat.Mean(got, nil); math.Abs(mean-50) > 0.5 {
		t.Errorf("paretonormal mean %.2f ms, want 50±0.5", mean)
	}
	if skew := stat.Skew(got, nil); skew < 0.5 {
		t.Errorf("paretonormal skew %.2f, want a right tail (> 0.5)", skew)
	}
}

func TestDelayCorrelation(t *testing.T) {
	l, fk := newTestLink(t, Profile{Up: Direction{Delay: units.Duration(100 * time.Millisecond),
		Jitter: units.Duration(20 * time.Millisecond), Correlation: 0.5}}, "cam-corr")
	var out [2]Packet
	x := make([]float64, ksSamples)
	at := fk.Now()
	for i := range x {
		at = at.Add(100 * time.Millisecond) // wider than the jitter: no reordering effects
		l.up.datagram(at, 100, &out)
		x[i] = float64(out[0].At.Sub(at))
	}
	r := stat.Correlation(x[1:], x[:len(x)-1], nil)
	if math.Abs(r-0.5) > 0.03 {
		t.Errorf("lag-1 correlation %.3f, want 0.5±0.03", r)
	}
}

// lossRun counts losses and loss bursts of a loss model over n packets.
func lossRun(m lossModel, n int) (rate, meanBurst float64, bursts map[int]int) {
	bursts = map[int]int{}
	lost, run, nb := 0, 0, 0
	for i := 0; i < n; i++ {
		if m.Lost() {
			lost++
			run++
			continue
		}
		if run > 0 {
			bursts[run]++
			nb++
			run = 0
		}
	}
	return float64(lost) / float64(n), float64(lost) / float64(max(nb, 1)), bursts
}

func TestGilbertElliott(t *testing.T) {
	const n = 1_000_000
	t.Run("simple gilbert", func(t *testing.T) {
		// p = 1 %, r = 25 %: loss p/(p+r) = 3.85 %, bursts geometric with mean 1/r = 4.
		m := NewGilbertElliott(GilbertElliott{P: 0.01, R: 0.25}, rand.New(rand.NewPCG(1, 2)))
		rate, mean, bursts := lossRun(m, n)
		want := 0.01 / 0.26
		if math.Abs(rate-want)/want > 0.05 {
			t.Errorf("loss rate %.4f, want %.4f ±5%%", rate, want)
		}
		if math.Abs(mean-4)/4 > 0.05 {
			t.Errorf("mean burst %.3f packets, want 4 ±5%%", mean)
		}
		total := 0
		for _, c := range bursts {
			total += c
		}
		// Geometric: P(burst = 1) = r.
		if p1 := float64(bursts[1]) / float64(total); math.Abs(p1-0.25) > 0.02 {
			t.Errorf("P(burst length 1) = %.3f, want 0.25±0.02", p1)
		}
		if math.Abs(m.Rate()-want) > 1e-12 {
			t.Errorf("Rate() = %v, want %v", m.Rate(), want)
		}
	})
	t.Run("four parameters", func(t *testing.T) {
		m := NewGilbertElliott(GilbertElliott{P: 0.02, R: 0.2, BadLoss: 0.6, GoodLoss: 0.005}, rand.New(rand.NewPCG(3, 4)))
		rate, _, _ := lossRun(m, n)
		if want := m.Rate(); math.Abs(rate-want)/want > 0.05 {
			t.Errorf("loss rate %.4f, want %.4f ±5%%", rate, want)
		}
	})
}

func TestMarkov4(t *testing.T) {
	cfg := Markov4{P13: 0.02, P31: 0.5, P32: 0.3, P23: 0.4, P14: 0.01}
	m := NewMarkov4(cfg, rand.New(rand.NewPCG(5, 6)))
	rate, _, _ := lossRun(m, 1_000_000)
	if want := m.Rate(); math.Abs(rate-want)/want > 0.05 {
		t.Errorf("4-state loss %.4f, want %.4f ±5%%", rate, want)
	}
	// Rate() against the chain's stationary distribution found by power
	// iteration of netem's transition matrix (states 1..4 → 0..3).
	P := [4][4]float64{
		{1 - float64(cfg.P13) - float64(cfg.P14), 0, float64(cfg.P13), float64(cfg.P14)},
		{0, 1 - float64(cfg.P23), float64(cfg.P23), 0},
		{float64(cfg.P31), float64(cfg.P32), 1 - float64(cfg.P31) - float64(cfg.P32), 0},
		{1, 0, 0, 0},
	}
	pi := [4]float64{1, 0, 0, 0}
	for it := 0; it < 100000; it++ {
		var next [4]float64
		for i := range pi {
			for j := range pi {
				next[j] += pi[i] * P[i][j]
			}
		}
		pi = next
	}
	if got, want := m.Rate(), pi[2]+pi[3]; math.Abs(got-want) > 1e-9 {
		t.Errorf("Rate() = %.6f, stationary loss %.6f", got, want)
	}
}

func TestBernoulliRate(t *testing.T) {
	l, fk := newTestLink(t, Profile{Up: Direction{Loss: 0.02}}, "cam-b")
	var out [2]Packet
	lost := 0
	const n = 200_000
	for i := 0; i < n; i++ {
		if k, _ := l.up.datagram(fk.Now(), 100, &out); k == 0 {
			lost++
		}
	}
	// σ = √(p(1-p)/n) ≈ 0.0003; ±0.0015 is five σ.
	if r := float64(lost) / n; math.Abs(r-0.02) > 0.0015 {
		t.Errorf("loss %.4f, want 0.02±0.0015", r)
	}
	if s := l.Stats().Up; s.Lost != int64(lost) || s.Packets != n {
		t.Errorf("stats %+v disagree with %d lost of %d", s, lost, n)
	}
}

// offer sends size-byte datagrams every gap for dur through a PacketConn of
// l and returns what arrived.
func offer(t *testing.T, l *Link, fk interface {
	Now() time.Time
	Advance(time.Duration)
}, size int, gap, dur time.Duration) *recConn {
	t.Helper()
	rc := &recConn{clk: l.clk}
	pc, err := l.wrapPacket(rc, nil)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, size)
	for el := time.Duration(0); el < dur; el += gap {
		pc.(*PacketConn).WriteTo(buf, nil)
		fk.Advance(gap)
	}
	return rc
}

func TestThroughputAgainstRate(t *testing.T) {
	for _, c := range []struct {
		rate     units.Bitrate
		overhead int
	}{{4 * units.Mbps, 0}, {512 * units.Kbps, 38}} {
		p := Profile{Up: Direction{Rate: c.rate, Overhead: units.ByteSize(c.overhead), Queue: 64 * units.KiB,
			Delay: units.Duration(20 * time.Millisecond)}}
		l, fk := newTestLink(t, p, "cam-rate")
		start := fk.Now()
		// Offer twice the rate for 20 s.
		const size = 1000
		gap := time.Duration(float64(size*8) / float64(2*c.rate) * float64(time.Second))
		rc := offer(t, l, fk, size, gap, 20*time.Second)
		// Measure from 2 s to 20 s (past the initial burst and queue fill).
		var bytes int
		for _, a := range rc.arrivals() {
			if el := a.at.Sub(start); el >= 2*time.Second && el < 20*time.Second {
				bytes += a.n
			}
		}
		got := float64(bytes*8) / 18
		want := float64(c.rate) * size / float64(size+c.overhead)
		if math.Abs(got-want)/want > 0.01 {
			t.Errorf("rate %v overhead %d: achieved %.0f bit/s, want %.0f ±1%%", c.rate, c.overhead, got, want)
		}
		if s := l.Stats().Up; s.QueueDrops == 0 {
			t.Errorf("rate %v: offered twice the rate but nothing was tail-dropped", c.rate)
		}
	}
}

func TestThroughputAgainstTrace(t *testing.T) {
	// A synthetic 1-second trace: 2 opportunities per ms for 500 ms, then
	// 1 per 2 ms: 1000 + 250 opportunities per second = 15 Mbit/s mean.
	var ms []uint32
	for i := 1; i <= 500; i++ {
		ms = append(ms, uint32(i), uint32(i))
	}
	for i := 502; i <= 1000; i += 2 {
		ms = append(ms, uint32(i))
	}
	tr, err := NewTrace(ms)
	if err != nil {
		t.Fatal(err)
	}
	loader := func(string) (*Trace, error) { return tr, nil }
	fk := newFakeAtEpoch()
	l, err := New(Options{Clock: fk, Seed: 1, Device: "cam-trace", Quantum: -1, Traces: loader,
		Profile: Profile{Up: Direction{Trace: "synthetic"}}})
	if err != nil {
		t.Fatal(err)
	}
	start := fk.Now()
	// Saturate: 1500-byte datagrams at 30 Mbit/s for 10 s.
	rc := offer(t, l, fk, 1500, 400*time.Microsecond, 10*time.Second)
	perHalf := map[bool]int{}
	total := 0
	for _, a := range rc.arrivals() {
		el := a.at.Sub(start)
		if el >= time.Second && el < 10*time.Second {
			// Opportunities at exactly 0 mod 1 s (the 1000 ms line) are the
			// end of the slow half.
			firstHalf := el%time.Second > 0 && el%time.Second <= 500*time.Millisecond
			perHalf[firstHalf] += a.n
			total += a.n
		}
	}
	want := float64(tr.MeanRate())
	if got := float64(total*8) / 9; math.Abs(got-want)/want > 0.01 {
		t.Errorf("mean throughput %.0f bit/s, trace gives %.0f ±1%%", got, want)
	}
	// Fast half carries 1000 opportunities, slow half 250, every second.
	if f, s := perHalf[true], perHalf[false]; f != 9*1000*1500 || s != 9*250*1500 {
		t.Errorf("per half-second bytes fast %d slow %d, want %d and %d", f, s, 9*1000*1500, 9*250*1500)
	}
}
