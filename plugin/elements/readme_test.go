package elements

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nedstream/nedstream/plugin/nedfilter"
	"github.com/nedstream/nedstream/plugin/nedwhepsink"
	"github.com/nedstream/nedstream/plugin/nedwhipsink"
)

// TestREADMEDocumentsEveryProperty: each element's own properties have a
// row in README.md's property tables (nedfilter's table: "| name |";
// the sinks' table: "| element | name |"), and no row names a property
// the element does not have.
func TestREADMEDocumentsEveryProperty(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]bool{}
	for _, line := range strings.Split(string(data), "\n") {
		if !strings.HasPrefix(line, "| ") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "| "), " | ")
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		switch {
		case len(cells) >= 2 && (cells[0] == "nedwhepsink" || cells[0] == "nedwhipsink"):
			rows[cells[0]+"/"+cells[1]] = true
		case len(cells) >= 1:
			rows["nedfilter/"+cells[0]] = true
		}
	}
	own := map[string][]string{
		"nedfilter":   nedfilter.PropertyNames(),
		"nedwhepsink": nedwhepsink.PropertyNames(),
		"nedwhipsink": nedwhipsink.PropertyNames(),
	}
	for el, names := range own {
		if len(names) == 0 {
			t.Errorf("%s has no properties", el)
		}
		for _, n := range names {
			if !rows[el+"/"+n] {
				t.Errorf("README.md has no row for %s's property %s", el, n)
			}
		}
	}
	for _, el := range []string{"nedwhepsink", "nedwhipsink"} {
		has := map[string]bool{}
		for _, n := range own[el] {
			has[n] = true
		}
		for key := range rows {
			if name, ok := strings.CutPrefix(key, el+"/"); ok && !has[name] {
				t.Errorf("README.md documents %s property %s, which the element does not have", el, name)
			}
		}
	}
}
