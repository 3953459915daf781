package browsertest

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

var devtoolsRe = regexp.MustCompile(`DevTools listening on (ws://[^\s]+)`)

// Eval loads url in headless Chromium, waits for the load event, evaluates
// the JavaScript expression expr in the page (a promise is awaited) and
// returns its value as JSON. It drives the browser over the DevTools
// protocol, so a test can click, read JS state and check what scripts did.
func Eval(t testing.TB, url, expr string) string {
	t.Helper()
	return Steps(t, url, Step{JS: expr})[0]
}

// Step is one action of Steps: JS is evaluated in the page (a promise is
// awaited), or else Type is typed into the focused element as the keyboard
// would. Navigates makes Steps wait for the next page load after the step
// (a form submitted, a link clicked).
type Step struct {
	JS, Type  string
	Navigates bool
}

// Steps loads url in headless Chromium, waits for the load event and runs
// the steps in order, returning the value of each as JSON ("null" for
// typing).
func Steps(t testing.TB, url string, steps ...Step) []string {
	t.Helper()
	bin := FindChromium(t)
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args(t, "--remote-debugging-port=0", "--remote-allow-origins=*", "about:blank")...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatalf("browsertest: start %s: %v", bin, err)
	}
	defer func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}()

	// The browser prints its DevTools address on stderr.
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sent := false
		for sc.Scan() {
			if m := devtoolsRe.FindStringSubmatch(sc.Text()); m != nil && !sent {
				found <- m[1]
				sent = true
			}
		}
		if !sent {
			close(found)
		}
	}()
	var browserWS string
	select {
	case browserWS = <-found:
	case <-ctx.Done():
	}
	if browserWS == "" {
		t.Fatalf("browsertest: %s printed no DevTools address", bin)
	}
	host := strings.TrimPrefix(browserWS, "ws://")
	host = host[:strings.IndexByte(host, '/')]

	pageWS := waitPage(ctx, t, host, "about:blank")
	conn, _, err := websocket.Dial(ctx, pageWS, nil)
	if err != nil {
		t.Fatalf("browsertest: dial %s: %v", pageWS, err)
	}
	conn.SetReadLimit(64 << 20)
	defer conn.CloseNow()

	c := &cdpConn{ctx: ctx, t: t, conn: conn}
	c.call("Page.enable", nil)
	c.call("Page.navigate", map[string]any{"url": url})
	c.waitEvent("Page.loadEventFired")
	out := make([]string, len(steps))
	for i, st := range steps {
		if st.JS != "" {
			out[i] = c.evaluate(st.JS)
		} else {
			c.call("Input.insertText", map[string]any{"text": st.Type})
			out[i] = "null"
		}
		if st.Navigates {
			c.waitEvent("Page.loadEventFired")
		}
	}
	return out
}

// evaluate evaluates expr in the page and returns its value as JSON.
func (c *cdpConn) evaluate(expr string) string {
	t := c.t
	t.Helper()
	var res struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		Exception *struct {
			Text      string `json:"text"`
			Exception struct {
				Description string `json:"description"`
			} `json:"exception"`
		} `json:"exceptionDetails"`
	}
	raw := c.call("Runtime.evaluate", map[string]any{"expression": expr, "awaitPromise": true, "returnByValue": true})
	if err := json.Unmarshal(raw, &res); err != nil {
		t.Fatalf("browsertest: Runtime.evaluate answer %s: %v", raw, err)
	}
	if e := res.Exception; e != nil {
		t.Fatalf("browsertest: script threw: %s %s", e.Text, e.Exception.Description)
	}
	return string(res.Result.Value)
}

// cdpConn is one DevTools protocol session with a page.
type cdpConn struct {
	ctx    context.Context
	t      testing.TB
	conn   *websocket.Conn
	id     int
	events []string // methods of the events seen, in order
}

type cdpMsg struct {
	ID     int             `json:"id"`
	Method string          `json:"method"`
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Message string `json:"message"`
	} `json:"error"`
}

func (c *cdpConn) read() cdpMsg {
	c.t.Helper()
	_, b, err := c.conn.Read(c.ctx)
	if err != nil {
		c.t.Fatalf("browsertest: read: %v", err)
	}
	var m cdpMsg
	if err := json.Unmarshal(b, &m); err != nil {
		c.t.Fatalf("browsertest: bad message %s: %v", b, err)
	}
	return m
}

// call sends a command and returns its result, remembering events that
// arrive meanwhile.
func (c *cdpConn) call(method string, params any) json.RawMessage {
	c.t.Helper()
	c.id++
	req, _ := json.Marshal(map[string]any{"id": c.id, "method": method, "params": params})
	if err := c.conn.Write(c.ctx, websocket.MessageText, req); err != nil {
		c.t.Fatalf("browsertest: send %s: %v", method, err)
	}
	for {
		m := c.read()
		if m.Method != "" {
			c.events = append(c.events, m.Method)
			continue
		}
		if m.ID != c.id {
			continue
		}
		if m.Error != nil {
			c.t.Fatalf("browsertest: %s: %s", method, m.Error.Message)
		}
		return m.Result
	}
}

// waitEvent returns once the event was seen (since the last wait).
func (c *cdpConn) waitEvent(method string) {
	c.t.Helper()
	for i, e := range c.events {
		if e == method {
			c.events = c.events[i+1:]
			return
		}
	}
	c.events = nil
	for {
		if m := c.read(); m.Method == method {
			return
		}
	}
}

// waitPage polls the DevTools target list until the page for url appears.
func waitPage(ctx context.Context, t testing.TB, host, pageURL string) string {
	t.Helper()
	var last error
	for ctx.Err() == nil {
		ws, err := pageTarget(ctx, host, pageURL)
		if err == nil {
			return ws
		}
		last = err
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("browsertest: no page for %s: %v", pageURL, last)
	return ""
}

func pageTarget(ctx context.Context, host, pageURL string) (string, error) {
	origin := pageURL
	if u, err := url.Parse(pageURL); err == nil && u.Host != "" {
		origin = u.Scheme + "://" + u.Host
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+host+"/json/list", nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return "", err
	}
	var targets []struct {
		Type, URL, WebSocketDebuggerURL string
	}
	if err := json.Unmarshal(b, &targets); err != nil {
		return "", err
	}
	for _, tg := range targets {
		if tg.Type == "page" && tg.WebSocketDebuggerURL != "" && strings.HasPrefix(tg.URL, origin) {
			return tg.WebSocketDebuggerURL, nil
		}
	}
	return "", fmt.Errorf("%d targets, none a page at %s", len(targets), origin)
}
