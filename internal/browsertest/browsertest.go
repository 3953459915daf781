// Package browsertest drives a headless Chromium from tests: find the
// browser, dump a page's DOM after its scripts ran, take a screenshot, or
// evaluate JavaScript in a loaded page over the DevTools protocol (Eval).
//
// Tests that need the browser skip when it is missing, unless the
// environment variable CI is "true" (or "1"), where a missing browser fails
// the test: CI must exercise the browser tests.
package browsertest

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// Timeout bounds one browser run.
const Timeout = 60 * time.Second

// Candidates are the executable names tried by FindChromium, after the
// CHROMIUM environment variable.
var Candidates = []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome"}

// InCI reports whether the tests run under CI (CI=true or CI=1).
func InCI() bool {
	v := os.Getenv("CI")
	return v == "true" || v == "1"
}

// FindChromium returns the path of a Chromium or Chrome executable. Without
// one it skips the test, or fails it under CI.
func FindChromium(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("CHROMIUM"); p != "" {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	for _, name := range Candidates {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	if InCI() {
		t.Fatal("browsertest: no Chromium found and CI is set; install it (apt-get install -y chromium) or set CHROMIUM")
	}
	t.Skip("browsertest: no Chromium found (skipping because CI is unset; install with apt-get install -y chromium)")
	return ""
}

// args are the flags of every run: headless, no sandbox (containers), no
// network chatter, a fresh profile.
func args(t testing.TB, extra ...string) []string {
	a := []string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-dev-shm-usage", "--hide-scrollbars", "--mute-audio",
		"--user-data-dir=" + profileDir(t),
	}
	return append(a, extra...)
}

// profileDir is a fresh Chromium profile directory, removed after the test.
// Not t.TempDir: Chromium's helper processes may still write to the profile
// for a moment after the browser exits, which fails TempDir's cleanup.
func profileDir(t testing.TB) string {
	dir, err := os.MkdirTemp("", "traceai-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for range 50 {
			if os.RemoveAll(dir) == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Logf("browsertest: profile %s left behind", dir)
	})
	return dir
}

func run(t testing.TB, extra ...string) []byte {
	t.Helper()
	bin := FindChromium(t)
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args(t, extra...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Run(); err != nil {
		t.Fatalf("browsertest: %s %v: %v\n%s", bin, extra, err, tail(stderr.Bytes()))
	}
	return stdout.Bytes()
}

func tail(b []byte) []byte {
	if len(b) > 4000 {
		return b[len(b)-4000:]
	}
	return b
}

// DumpDOM loads url in headless Chromium and returns the serialized DOM
// once the page has loaded and its scripts have run.
func DumpDOM(t testing.TB, url string) string {
	t.Helper()
	return string(run(t, "--virtual-time-budget=3000", "--dump-dom", url))
}

// Screenshot saves a PNG of url, 1280x900, at path (directories created).
func Screenshot(t testing.TB, url, path string) {
	t.Helper()
	ScreenshotSize(t, url, path, 1280, 900)
}

// ScreenshotSize saves a PNG of url at path with the given window size.
func ScreenshotSize(t testing.TB, url, path string, width, height int) {
	t.Helper()
	abs, err := filepath.Abs(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o755); err != nil {
		t.Fatal(err)
	}
	run(t, "--virtual-time-budget=3000", "--screenshot="+abs,
		"--window-size="+strconv.Itoa(width)+","+strconv.Itoa(height), url)
	fi, err := os.Stat(abs)
	if err != nil {
		t.Fatalf("browsertest: screenshot of %s not written: %v", url, err)
	}
	if fi.Size() < 1000 {
		t.Fatalf("browsertest: screenshot %s is only %d bytes", abs, fi.Size())
	}
	b, err := os.ReadFile(abs)
	if err != nil || !bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) {
		t.Fatalf("browsertest: %s is not a PNG (%v)", abs, err)
	}
}
