package manipulator_test

import (
	"fmt"
	"time"

	"github.com/nedstream/nedstream/models/manipulator"
)

// A change of emotion fades in over 400 ms at 25 frames per second.
func ExampleRamp() {
	neutral := []float32{0, 0}   // stand-ins for two style vectors
	happy := []float32{0.8, 1.0} // (Manipulator.Style gives the real ones)
	r := manipulator.NewRamp(neutral)
	r.SetTarget(happy, 400*time.Millisecond)
	for frame := 1; !r.Done(); frame++ {
		s := r.Step(40 * time.Millisecond)
		if frame%5 == 0 {
			fmt.Printf("frame %2d: %.3f\n", frame, s)
		}
	}
	// Output:
	// frame  5: [0.400 0.500]
	// frame 10: [0.800 1.000]
}

func ExampleParseMixture() {
	mix, err := manipulator.ParseMixture("Happy:0.7, surprise:0.3")
	if err != nil {
		panic(err)
	}
	for e, w := range mix {
		if w != 0 {
			fmt.Println(manipulator.Emotion(e), w)
		}
	}
	// Output:
	// happy 0.7
	// surprised 0.3
}
