package runner

import (
	"context"
	"encoding/json"
	"net/http"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/nedstream/nedstream/pipeline/cast"
)

// TestControlPageInChromium: headless Chromium opens the control page
// (token in the URL fragment), clicks the "happy" button, and the next
// GET /api/status shows it applied; the page's status table fills in.
func TestControlPageInChromium(t *testing.T) {
	browser, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatal("chromium is not installed (scripts/setup installs it in the GStreamer root): ", err)
	}
	cfg := testSourceConfig(t)
	cfg.WHEP = freeAddr(t)
	cfg.Listen = freeAddr(t)
	cfg.Token = "page-token"
	ctx, cancel := context.WithCancel(context.Background())
	_, ctl, wait := start(t, cfg, ctx)
	defer func() {
		cancel()
		if err := wait(); err != nil {
			t.Errorf("stop: %v", err)
		}
	}()

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(browser), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true), chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true))
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer acancel()
	bctx, bcancel := chromedp.NewContext(actx)
	defer bcancel()
	bctx, tcancel := context.WithTimeout(bctx, 60*time.Second)
	defer tcancel()

	if err := chromedp.Do(bctx,
		chromedp.Navigate(ctl+"/#token="+cfg.Token),
		chromedp.WaitVisible(chromedp.ID("emotion-happy")),
		chromedp.Click(chromedp.ID("emotion-happy")),
		chromedp.WaitVisible(chromedp.CSS("#emotion-happy.on")),
	); err != nil {
		t.Fatalf("control page: %v", err)
	}
	if _, err := chromedp.Run(bctx, chromedp.Poll[bool](`document.getElementById("stats").dataset.emotion === "happy"`,
		chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		t.Fatalf("the page's status never showed happy: %v", err)
	}
	table, err := chromedp.Run(bctx, chromedp.Text(chromedp.ID("stats")))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("status table on the page: %q", table)

	req, _ := http.NewRequest("GET", ctl+"/api/status", nil)
	req.Header.Set("Authorization", "Bearer "+cfg.Token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var st cast.Status
	if err := json.NewDecoder(res.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	if st.Settings.Emotion != "happy" {
		t.Errorf("after the click the status says emotion %q", st.Settings.Emotion)
	}
}
