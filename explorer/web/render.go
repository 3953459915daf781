package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// assetVersion changes whenever an embedded asset does, so asset URLs can be
// cached for long.
var assetVersion = func() string {
	h := sha256.New()
	_ = fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := staticFS.ReadFile(p)
		h.Write([]byte(p))
		h.Write(b)
		return err
	})
	return hex.EncodeToString(h.Sum(nil))[:12]
}()

func staticHandler() http.Handler {
	sub, err := fs.Sub(staticFS, "static")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	files := http.StripPrefix("/static/", http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Files only: a directory would be answered with its listing.
		if strings.HasSuffix(r.URL.Path, "/") {
			http.NotFound(w, r)
			return
		}
		if r.URL.Query().Get("v") == assetVersion {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			w.Header().Set("Cache-Control", "no-cache")
		}
		files.ServeHTTP(w, r)
	})
}

// page is what every template gets: the layout's data and the page's own.
type page struct {
	App      string
	Title    string
	Nav      string // "dashboard", "sessions", "users", "rankings" or ""
	Overview any
	Data     any
}

var (
	tmplOnce sync.Once
	tmpls    map[string]*template.Template
	tmplErr  error
)

// pages parses the templates once per process: layout and partials shared,
// one set per page.
func pages() (map[string]*template.Template, error) {
	tmplOnce.Do(func() {
		base, err := template.New("base").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/partials.html")
		if err != nil {
			tmplErr = err
			return
		}
		tmpls = map[string]*template.Template{}
		for _, name := range []string{"sessions", "session", "users", "user", "trace", "rankings", "dashboard", "error"} {
			t, err := template.Must(base.Clone()).ParseFS(templateFS, "templates/"+name+".html")
			if err != nil {
				tmplErr = err
				return
			}
			tmpls[name] = t
		}
	})
	return tmpls, tmplErr
}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// render executes the page into a buffer first, so a template error becomes
// a 500 rather than half a page.
func (s *server) render(w http.ResponseWriter, r *http.Request, status int, name string, p page) {
	ts, err := pages()
	if err != nil {
		s.cfg.logger.Error("traceai explorer: templates", "err", err)
		http.Error(w, "templates: "+err.Error(), http.StatusInternalServerError)
		return
	}
	p.App = s.cfg.title
	if p.Overview == nil {
		p.Overview = s.overview(r.Context())
	}
	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer func() {
		if buf.Cap() < 1<<20 {
			bufPool.Put(buf)
		}
	}()
	if err := ts[name].ExecuteTemplate(buf, "layout", p); err != nil {
		s.cfg.logger.Error("traceai explorer: render", "page", name, "err", err)
		http.Error(w, "render: "+err.Error(), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func (s *server) fail(w http.ResponseWriter, r *http.Request, status int, msg string) {
	s.render(w, r, status, "error", page{
		Title: http.StatusText(status),
		Data:  struct{ Status, Text, Message string }{strconv.Itoa(status), http.StatusText(status), msg},
	})
}

var funcs = template.FuncMap{
	"asset":   func(name string) string { return "/static/" + name + "?v=" + assetVersion },
	"dur":     fmtDuration,
	"num":     fmtInt,
	"tokens":  fmtTokens,
	"cost":    fmtCost,
	"pct":     fmtPct,
	"ts":      fmtTime,
	"rfc":     func(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) },
	"clip":    clip,
	"short":   shortID,
	"pathEsc": url.PathEscape,
	"sessionURL": func(id string) string {
		return "/sessions/" + url.PathEscape(id)
	},
	"userURL": func(id string) string { return "/users/" + url.PathEscape(id) },
	"traceURL": func(id string) string {
		return "/traces/" + url.PathEscape(id)
	},
	"score":     fmtScore,
	"add":       func(a, b int) int { return a + b },
	"lower":     strings.ToLower,
	"join":      strings.Join,
	"ago":       fmtAgo,
	"list":      func(v ...any) []any { return v },
	"hasPrefix": strings.HasPrefix,
	"partLabel": partLabel,
}

// fmtDuration prints milliseconds the way people read latencies.
func fmtDuration(ms float64) string {
	switch {
	case ms <= 0:
		return "0 ms"
	case ms < 1:
		return fmt.Sprintf("%.2f ms", ms)
	case ms < 10:
		return fmt.Sprintf("%.1f ms", ms)
	case ms < 1000:
		return fmt.Sprintf("%.0f ms", ms)
	case ms < 10_000:
		return fmt.Sprintf("%.2f s", ms/1000)
	case ms < 60_000:
		return fmt.Sprintf("%.1f s", ms/1000)
	}
	d := time.Duration(ms * float64(time.Millisecond)).Round(time.Second)
	h, m, sec := int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60
	if h > 0 {
		return fmt.Sprintf("%dh %02dm", h, m)
	}
	return fmt.Sprintf("%dm %02ds", m, sec)
}

// fmtInt groups digits by thousands: 1234567 -> "1,234,567".
func fmtInt(v any) string {
	var n int64
	switch x := v.(type) {
	case int:
		n = int64(x)
	case int64:
		n = x
	case int32:
		n = int64(x)
	default:
		return fmt.Sprint(v)
	}
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// fmtTokens prints token counts compactly: 950, 12.3k, 4.56M.
func fmtTokens(n int64) string {
	switch {
	case n < 10_000:
		return fmtInt(n)
	case n < 1_000_000:
		return strconv.FormatFloat(float64(n)/1000, 'f', 1, 64) + "k"
	default:
		return strconv.FormatFloat(float64(n)/1e6, 'f', 2, 64) + "M"
	}
}

// fmtCost prints a USD amount; a "+" marks a lower bound (some calls used an
// unpriced model), "—" nothing priced at all.
func fmtCost(usd float64, complete bool) string {
	if usd == 0 && !complete {
		return "—"
	}
	var s string
	switch {
	case usd == 0:
		s = "$0"
	case usd < 0.01:
		s = "$" + strconv.FormatFloat(usd, 'g', 2, 64)
		if strings.Contains(s, "e") {
			s = "$" + strconv.FormatFloat(usd, 'f', 6, 64)
		}
	case usd < 100:
		s = "$" + strconv.FormatFloat(usd, 'f', 3, 64)
	default:
		s = "$" + strconv.FormatFloat(usd, 'f', 2, 64)
	}
	if !complete {
		s += "+"
	}
	return s
}

func fmtPct(r float64) string {
	if r == 0 {
		return "0%"
	}
	p := r * 100
	if p < 10 {
		return strconv.FormatFloat(p, 'f', 1, 64) + "%"
	}
	return strconv.FormatFloat(p, 'f', 0, 64) + "%"
}

func fmtScore(v *float64) string {
	if v == nil {
		return "—"
	}
	return strconv.FormatFloat(*v, 'f', -1, 64)
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04:05")
}

// fmtAgo prints how long before now t was.
func fmtAgo(now, t time.Time) string {
	if t.IsZero() {
		return ""
	}
	d := now.Sub(t)
	switch {
	case d < 0:
		return "just now"
	case d < time.Minute:
		return fmt.Sprintf("%ds ago", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh ago", int(d.Hours()))
	default:
		return fmt.Sprintf("%dd ago", int(d.Hours()/24))
	}
}

// clip returns s on one line, cut to n runes with an ellipsis.
func clip(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	i := 0
	for j := range s {
		if i == n {
			return strings.TrimRight(s[:j], " ") + "…"
		}
		i++
	}
	return s
}

// shortID shortens hex trace and span ids for display.
func shortID(id string) string {
	if len(id) > 12 {
		return id[:8] + "…"
	}
	return id
}

// round1 keeps SVG coordinates short.
func round1(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	return math.Round(v*10) / 10
}
