// Package ned is the NED expression manipulator (Papantoniou et al.,
// "Neural Emotion Director", CVPR 2022) on the 52 ARKit coefficients of the
// project's face analysis, trained with GoMLX and exported as ONNX.
//
// Networks (sizes in Config):
//
//   - generator G(x, s): per-frame MLP over [x_t, s] -> 2-layer
//     bidirectional LSTM -> per-frame MLP over [h_t, s] -> residual added to
//     x_t, on windows of T frames;
//   - mapping network M(z, c): shared MLP over noise z, one linear head per
//     emotion class (StarGAN v2 style);
//   - style encoder E(x): per-frame MLP, mean over time, linear -> style
//     (class-agnostic, so that the exported style_encoder needs no label);
//   - discriminator D(x): per-frame MLP, flattened over the window, MLP ->
//     one LSGAN output per emotion class; or (Disc "lstm", sequence-based as
//     NED's) per-frame MLP -> forward LSTM -> linear on the last state.
//
// Losses per sample i (Losses): LSGAN adversarial, style reconstruction
// |E(G(x,s)) - s|, cycle consistency |G(G(x,s), E(x)) - x|, and the
// mouth term 1 - mean Pearson r between input and output mouth channels over
// the window; each sample's total is multiplied by its lambda_i.
//
// Parameters live in Go slices (Params) in the layouts the ONNX export
// uses (LSTM weights in ONNX's [directions, 4H, in] with gate order
// i, o, f, c); GoMLX computes losses and gradients, Adam runs in Go.
package ned

import (
	"errors"
	"fmt"
)

// Config are the model sizes and training weights.
type Config struct {
	// T is the window length in frames (NED: 10).
	T int `json:"t"`
	// S is the style width (NED: 16).
	S int `json:"s"`
	// Z is the mapping network's noise width (NED: 4).
	Z int `json:"z"`
	// Hidden is the width of the generator's frame MLPs and LSTM state, the
	// encoder and the discriminator (NED: 256 LSTM units; 128 here by default
	// for CPU training, --hidden 256 for NED's).
	Hidden int `json:"hidden"`
	// MapHidden is the mapping network's hidden width.
	MapHidden int `json:"map_hidden"`
	// Disc is the discriminator kind: DiscMLP ("" means the same) or
	// DiscLSTM.
	Disc string `json:"disc,omitempty"`
	// Loss weights (NED: adversarial 1, style 1, cycle 1, mouth 1).
	WAdv   float64 `json:"w_adv"`
	WStyle float64 `json:"w_style"`
	WCycle float64 `json:"w_cycle"`
	WMouth float64 `json:"w_mouth"`
}

// Discriminator kinds (Config.Disc).
const (
	DiscMLP  = "mlp"
	DiscLSTM = "lstm"
)

// DefaultConfig is close to NED's sizes, scaled for CPU training.
func DefaultConfig() Config {
	return Config{T: 10, S: 16, Z: 4, Hidden: 128, MapHidden: 128, WAdv: 1, WStyle: 1, WCycle: 1, WMouth: 1}
}

// Validate checks the sizes.
func (c Config) Validate() error {
	if c.T < 2 || c.S < 1 || c.Z < 1 || c.Hidden < 1 || c.MapHidden < 1 {
		return fmt.Errorf("ned config: T %d (>= 2), S %d, Z %d, hidden %d, map hidden %d (all >= 1)", c.T, c.S, c.Z, c.Hidden, c.MapHidden)
	}
	if c.Disc != "" && c.Disc != DiscMLP && c.Disc != DiscLSTM {
		return fmt.Errorf("ned config: discriminator %q (want %s or %s)", c.Disc, DiscMLP, DiscLSTM)
	}
	if c.WAdv < 0 || c.WStyle < 0 || c.WCycle < 0 || c.WMouth < 0 {
		return errors.New("ned config: loss weights must be >= 0")
	}
	if c.T > 256 || c.Hidden > 4096 || c.S > 1024 {
		return fmt.Errorf("ned config: T %d, hidden %d, S %d too large", c.T, c.Hidden, c.S)
	}
	return nil
}
