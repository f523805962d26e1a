package main

import (
	"testing"

	"github.com/fleetsim/fleetsim/sim/scenarios"
)

func TestPlanHeapBudget(t *testing.T) {
	const gib = 1 << 30
	cases := []struct {
		name       string
		val        string
		gcSet      bool
		floor      int
		devices    int
		avail      int64
		gomemlimit string
		want       int64 // budget; 0: none
		wantErr    bool
	}{
		{name: "auto", val: "auto", gcSet: true, floor: 150, devices: 5000, avail: 20 * gib, want: 5000 * memoryPerDevice},
		{name: "auto within half the available memory", val: "auto", gcSet: true, floor: 150, devices: 10000, avail: 2 * gib, want: gib},
		{name: "auto, available memory unknown", val: "auto", gcSet: true, floor: 150, devices: 100, want: 100 * memoryPerDevice},
		{name: "a size", val: "3GiB", gcSet: true, floor: 150, devices: 10, avail: 1 << 20, want: 3 * gib},
		{name: "off", val: "off", gcSet: true, floor: 150, devices: 5000},
		{name: "GOGC from the environment", val: "auto", floor: 150, devices: 5000},
		{name: "collector off", val: "auto", gcSet: true, floor: -1, devices: 5000},
		{name: "GOMEMLIMIT set", val: "auto", gcSet: true, floor: 150, devices: 5000, gomemlimit: "2GiB"},
		{name: "bad size", val: "lots", gcSet: true, floor: 150, devices: 5000, wantErr: true},
		{name: "zero size", val: "0", gcSet: true, floor: 150, devices: 5000, wantErr: true},
		{name: "bad size even when unused", val: "-1GiB", floor: 150, devices: 5000, wantErr: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			hb, err := planHeapBudget(c.val, c.gcSet, c.floor, c.devices, c.avail, func(k string) string {
				if k == "GOMEMLIMIT" {
					return c.gomemlimit
				}
				return ""
			})
			if (err != nil) != c.wantErr {
				t.Fatalf("err %v, want error %v", err, c.wantErr)
			}
			var got int64
			if hb != nil {
				got = hb.Budget
				if hb.Floor != c.floor {
					t.Errorf("floor %d, want %d", hb.Floor, c.floor)
				}
			}
			if got != c.want {
				t.Errorf("budget %d, want %d", got, c.want)
			}
		})
	}
}

func TestShardDevices(t *testing.T) {
	for _, c := range []struct {
		n    int
		sh   scenarios.Shard
		want int
	}{
		{10, scenarios.Shard{}, 10},
		{10, scenarios.Shard{I: 0, N: 3}, 4},
		{10, scenarios.Shard{I: 1, N: 3}, 3},
		{10, scenarios.Shard{I: 2, N: 3}, 3},
		{2, scenarios.Shard{I: 2, N: 3}, 0},
	} {
		got := 0
		for i := range c.n {
			if c.sh.Has(i) {
				got++
			}
		}
		if got != c.want {
			t.Fatalf("test case wrong: shard %v of %d has %d", c.sh, c.n, got)
		}
		if got := shardDevices(c.n, c.sh); got != c.want {
			t.Errorf("shardDevices(%d, %v) = %d, want %d", c.n, c.sh, got, c.want)
		}
	}
}
