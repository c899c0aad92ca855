package render

// DrawAll makes w redraw every triangle, even those that do not move, so
// tests can check the warp itself on identity targets.
func DrawAll(w *Warper) { w.still = 0 }
