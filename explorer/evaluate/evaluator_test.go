package evaluate_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/traceai-go/traceai/explorer/evaluate"
)

func TestParseVerdict(t *testing.T) {
	labels := builtins(t, "helpfulness")[0]
	numeric := &evaluate.Evaluator{Name: "stars", Level: evaluate.LevelTurn, Prompt: "{{.Output}}", Min: 1, Max: 5}
	for _, c := range []struct {
		e     *evaluate.Evaluator
		text  string
		score float64
		label string
		err   bool
	}{
		{labels, `{"label":"helpful","explanation":"direct"}`, 1, "helpful", false},
		{labels, "Sure!\n```json\n{\"label\": \"PARTIAL\"}\n```", 0.5, "partial", false},
		{labels, `{"label":"great"}`, 0, "", true},
		{labels, `{"label":}`, 0, "", true},
		{labels, `no verdict`, 0, "", true},
		{labels, ``, 0, "", true},
		{numeric, `{"score": 4, "label": "good"}`, 4, "good", false},
		{numeric, `{"score": "2.5"}`, 2.5, "", false},
		{numeric, `{"score": 9}`, 0, "", true},
		{numeric, `{"score": "NaN"}`, 0, "", true},
		{numeric, `{"label": "good"}`, 0, "", true},
	} {
		v, err := evaluate.ParseVerdict(c.e, c.text)
		if c.err {
			if !errors.Is(err, evaluate.ErrUnparsable) {
				t.Errorf("%q: err %v, want ErrUnparsable", c.text, err)
			}
			continue
		}
		if err != nil || v.Score != c.score || v.Label != c.label {
			t.Errorf("%q: %+v, %v; want %g %q", c.text, v, err, c.score, c.label)
		}
	}
}

func TestLoadConfig(t *testing.T) {
	dir := t.TempDir()
	write := func(s string) string {
		p := filepath.Join(dir, "c.json")
		if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write(`{"evaluators":[
		{"name":"refund_policy","version":"3","level":"turn","prompt":"Does {{.Output}} follow the refund policy for {{.Input}}?",
		 "labels":[{"name":"violates","score":0},{"name":"follows","score":1}]},
		{"name":"empathy","level":"session","prompt":"{{.Conversation}}","min":1,"max":5}]}`)
	evs, err := evaluate.LoadConfig(good)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 2 || evs[0].Version != "3" || evs[1].Version != "1" || evs[1].Level != evaluate.LevelSession {
		t.Fatalf("loaded %+v %+v", evs[0], evs[1])
	}
	sel, err := evaluate.Select([]string{"empathy", "tone"}, evs)
	if err != nil || len(sel) != 2 || sel[0].Name != "empathy" || sel[1].Name != "tone" {
		t.Fatalf("select: %v %v", sel, err)
	}
	if _, err := evaluate.Select([]string{"nope"}, evs); err == nil || !strings.Contains(err.Error(), "task_completion") {
		t.Errorf("unknown evaluator: %v", err)
	}
	for _, bad := range []string{
		`{"evaluators":[{"name":"x","prompt":"p","labels":[{"name":"a"}],"colour":1}]}`,
		`{"evaluators":[{"name":"x","level":"trace","prompt":"p","labels":[{"name":"a"}]}]}`,
		`{"evaluators":[{"name":"x","prompt":"p"}]}`,
		`{"evaluators":[{"name":"x","prompt":"{{.Nope","labels":[{"name":"a"}]}]}`,
		`{"evaluators":[{"name":"Bad Name","prompt":"p","labels":[{"name":"a"}]}]}`,
		`{"evaluators":[{"name":"x","prompt":"p","labels":[{"name":"a"},{"name":"A"}]}]}`,
		`{"evaluators":[]}`,
		`not json`,
	} {
		if _, err := evaluate.LoadConfig(write(bad)); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
}

// A custom evaluator runs with the stand-in (a verdict from a hash of the
// prompt), and a prompt naming a field a target lacks fails that target
// only.
func TestRunCustomEvaluators(t *testing.T) {
	st := openStore(t)
	load(t, st, fixture())
	evs := []*evaluate.Evaluator{
		{Name: "empathy", Level: evaluate.LevelSession, Prompt: "Rate the empathy:\n{{.Conversation}}", Min: 1, Max: 5},
		{Name: "policy", Prompt: "{{.Output}}", Labels: []evaluate.Label{{Name: "violates", Score: 0}, {Name: "follows", Score: 1}}},
		{Name: "broken", Prompt: "{{.NoSuchField}}", Labels: []evaluate.Label{{Name: "a", Score: 0}}},
	}
	res, err := evaluate.Run(context.Background(), st, evaluate.Config{Evaluators: evs, Judge: evaluate.StandIn{}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Evaluators[0].Judged != 3 || res.Evaluators[1].Judged != 5 || res.Evaluators[2].Errors != 5 {
		t.Fatalf("custom run: judged %d, %d; errors %d", res.Evaluators[0].Judged, res.Evaluators[1].Judged, res.Evaluators[2].Errors)
	}
	for _, evs := range turnEvals(t, st, "s-good") {
		for _, e := range evs {
			if e.Name == "empathy" && (e.Score == nil || *e.Score < 1 || *e.Score > 5) {
				t.Errorf("empathy %+v outside 1..5", e)
			}
		}
	}
}
