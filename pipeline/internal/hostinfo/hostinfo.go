// Package hostinfo describes the machine a benchmark runs on, for the
// header line of the bench commands' tables (docs/PERFORMANCE.md records
// results with the machine they ran on).
package hostinfo

import (
	"bufio"
	"os"
	"strings"
)

// CPUModel returns the first "model name" of /proc/cpuinfo, or "unknown
// CPU" where there is none (not Linux, or an architecture that names it
// differently).
func CPUModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	defer f.Close()
	return cpuModel(bufio.NewScanner(f))
}

func cpuModel(sc *bufio.Scanner) string {
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}
