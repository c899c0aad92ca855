package track

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestStillJitterDrops: noise on a still value is reduced a lot.
func TestStillJitterDrops(t *testing.T) {
	f := ForStrength(0.5)
	r := rand.New(rand.NewPCG(1, 2))
	var rawVar, outVar float64
	for i := 0; i < 300; i++ {
		n := r.NormFloat64()
		v := []float64{100 + n}
		f.Filter(v, 1.0/30, 100)
		if i > 30 {
			rawVar += n * n
			outVar += (v[0] - 100) * (v[0] - 100)
		}
	}
	if outVar > rawVar/4 {
		t.Errorf("jitter variance %.2f -> %.2f, want at least 4x less", rawVar, outVar)
	}
}

// TestFollowsMotion: a steady motion is followed with little lag.
func TestFollowsMotion(t *testing.T) {
	f := ForStrength(0.5)
	var last float64
	for i := 0; i < 60; i++ {
		x := float64(i) * 10 // 300 px/s, face size 100
		v := []float64{x}
		f.Filter(v, 1.0/30, 100)
		last = x - v[0]
	}
	if math.Abs(last) > 10 {
		t.Errorf("lag %.1f px behind a 300 px/s motion, want < one frame's motion", last)
	}
}

func TestOffIsIdentity(t *testing.T) {
	f := ForStrength(0)
	v := []float64{1, 2, 3}
	f.Filter(v, 1.0/30, 1)
	if v[0] != 1 || v[2] != 3 {
		t.Fatal("strength 0 must not change values")
	}
}
