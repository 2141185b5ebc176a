package webui_test

import (
	"context"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/jstrace-go/jstrace/internal/webui"
)

// browser returns Chromium's path (tools/chromium.sh installs it): the
// test fails without one in CI, and skips elsewhere.
func browser(t *testing.T) string {
	for _, b := range []string{os.Getenv("JSTRACE_TEST_CHROMIUM"), "chromium", "chromium-browser", "google-chrome"} {
		if b == "" {
			continue
		}
		if p, err := exec.LookPath(b); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("no chromium: run tools/chromium.sh install (make test does)")
	}
	t.Skip("no chromium: tools/chromium.sh install")
	return ""
}

// artifacts is where the test leaves its screenshots:
// $JSTRACE_TEST_ARTIFACTS (make test sets .artifacts/), else a temporary
// directory.
func artifacts(t *testing.T) string {
	dir := os.Getenv("JSTRACE_TEST_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "jstrace-artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestPageInBrowser drives the page in a real headless Chromium: the
// slowest traces load, a click opens the waterfall with the bottleneck
// marked on the payments span, a click on a span shows its details (a
// log holding markup shown as text), and the failing tab lists the
// failed trace.
func TestPageInBrowser(t *testing.T) {
	exe := browser(t)
	srv := httptest.NewServer(webui.Handler(openFixture(t), webui.Options{}))
	defer srv.Close()

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.NoSandbox,
		chromedp.WindowSize(1280, 800), chromedp.Flag("disable-gpu", true))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 60*time.Second)
	defer cancel()

	step := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	run := func(a chromedp.Action[string]) string {
		t.Helper()
		v, err := chromedp.Run(ctx, a)
		step(err)
		return v
	}
	step(chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/#/slow"),
		chromedp.WaitVisible(`#traces tbody tr[data-trace="`+slowTrace+`"]`)))
	rows, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#traces tbody tr").length`))
	step(err)
	status := run(chromedp.Text(`#status`))
	step(chromedp.Do(ctx,
		chromedp.Click(`#traces tbody tr[data-trace="`+slowTrace+`"]`),
		chromedp.WaitVisible(`#waterfall .row.bottleneck`)))
	attr, err := chromedp.Run(ctx, chromedp.AttributeValue(`#waterfall .row.bottleneck`, "data-span"))
	step(err)
	bottleneck := attr.Value
	marker := run(chromedp.Text(`#waterfall .row.bottleneck .marker`))
	step(chromedp.Do(ctx, chromedp.Click(`#waterfall .row.bottleneck`), chromedp.WaitVisible(`#details`)))
	details := run(chromedp.Text(`#details`))
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	step(err)
	alerted := run(chromedp.Evaluate[string](`String(window.alerted || "")`))
	step(chromedp.Do(ctx,
		chromedp.Click(`#tabs a[data-list="errors"]`),
		chromedp.WaitVisible(`#traces tbody tr[data-trace="`+failedTrace+`"]`)))
	failed := run(chromedp.Text(`#traces tbody`))
	path := filepath.Join(artifacts(t), "webui-trace.png")
	if err := os.WriteFile(path, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)

	if rows != 2 || status != "2 slowest traces" {
		t.Errorf("slowest list: %d rows, status %q", rows, status)
	}
	if bottleneck != paymentsID || !strings.Contains(marker, "bottleneck") {
		t.Errorf("bottleneck row: span %q, marker %q; want the payments span %s", bottleneck, marker, paymentsID)
	}
	for _, want := range []string{"payments charge", "<script>alert(1)</script> card=visa", paymentsID} {
		if !strings.Contains(details, want) {
			t.Errorf("details lack %q:\n%s", want, details)
		}
	}
	if alerted != "" {
		t.Errorf("markup from a span ran as script")
	}
	if !strings.Contains(failed, "payment declined") || strings.Contains(failed, slowTrace) {
		t.Errorf("failing list:\n%s", failed)
	}
}
