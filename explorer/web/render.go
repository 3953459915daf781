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
	"durIn":   fmtDurIn,
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
