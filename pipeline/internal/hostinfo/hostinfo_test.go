package hostinfo

import (
	"bufio"
	"strings"
	"testing"
)

func TestCPUModel(t *testing.T) {
	in := "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R) CPU @ 2.20GHz\nmodel name\t: other\n"
	if got := cpuModel(bufio.NewScanner(strings.NewReader(in))); got != "Intel(R) Xeon(R) CPU @ 2.20GHz" {
		t.Errorf("got %q", got)
	}
	if got := cpuModel(bufio.NewScanner(strings.NewReader("processor : 0\n"))); got != "unknown CPU" {
		t.Errorf("no model name: got %q", got)
	}
	if CPUModel() == "" {
		t.Error("empty model")
	}
}
