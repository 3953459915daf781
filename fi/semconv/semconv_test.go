package semconv

import (
	"bytes"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"regexp"
	"strconv"
	"testing"
)

// referenceValues returns every value of the reference key list: the second
// column of each "| NAME | `value` |" row.
func referenceValues(t *testing.T, path string) map[string]bool {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("(?m)^\\| [A-Z0-9_]+ \\| `([^`]+)` \\|$")
	out := map[string]bool{}
	for _, m := range row.FindAllSubmatch(data, -1) {
		out[string(m[1])] = true
	}
	if len(out) < 200 {
		t.Fatalf("only %d values parsed from %s; the table format changed?", len(out), path)
	}
	return out
}

// constantValues returns the string value of every constant in the package
// source, by name.
func constantValues(t *testing.T) map[string]string {
	t.Helper()
	fset := token.NewFileSet()
	out := map[string]string{}
	for _, f := range []string{"keys_gen.go", "semconv.go"} {
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range file.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, name := range vs.Names {
					lit, ok := vs.Values[i].(*ast.BasicLit)
					if !ok || lit.Kind != token.STRING {
						continue
					}
					v, err := strconv.Unquote(lit.Value)
					if err != nil {
						t.Fatal(err)
					}
					out[name.Name] = v
				}
			}
		}
	}
	return out
}

// TestKeysMatchReference checks that every key and value of the reference
// list has a constant, and that every generated constant is in the list.
func TestKeysMatchReference(t *testing.T) {
	ref := referenceValues(t, "testdata/traceai-keys.md")
	consts := constantValues(t)
	have := map[string]bool{}
	for _, v := range consts {
		have[v] = true
	}
	for v := range ref {
		if !have[v] {
			t.Errorf("reference value %q has no constant", v)
		}
	}
	// Constants of semconv.go are our documented extras; keys_gen.go must
	// hold nothing the reference lacks.
	fset := token.NewFileSet()
	gen, err := parser.ParseFile(fset, "keys_gen.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range gen.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.CONST {
			continue
		}
		for _, spec := range gd.Specs {
			for _, name := range spec.(*ast.ValueSpec).Names {
				if v, ok := consts[name.Name]; ok && !ref[v] {
					t.Errorf("generated constant %s = %q is not in the reference", name.Name, v)
				}
			}
		}
	}
}

// TestTestdataIsReference keeps the copy in testdata equal to the shared
// reference when that is present (it is on the team machine, not in CI).
func TestTestdataIsReference(t *testing.T) {
	shared, err := os.ReadFile("../../../shared/reference/traceai-keys.md")
	if err != nil {
		t.Skip("shared reference not present:", err)
	}
	local, err := os.ReadFile("testdata/traceai-keys.md")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(shared, local) {
		t.Error("testdata/traceai-keys.md differs from the shared reference; regenerate")
	}
}

func TestContextKeysSpelling(t *testing.T) {
	for k, want := range map[string]string{
		string(SessionID):                    "session.id",
		string(GenAIConversationID):          "gen_ai.conversation.id",
		string(UserID):                       "user.id",
		string(Metadata):                     "metadata",
		string(TagTags):                      "tag.tags",
		string(GenAIPromptTemplateName):      "gen_ai.prompt.template.name",
		string(GenAIPromptTemplateLabel):     "gen_ai.prompt.template.label",
		string(GenAIPromptTemplateVersion):   "gen_ai.prompt.template.version",
		string(GenAIPromptTemplateVariables): "gen_ai.prompt.template.variables",
		string(SimulatorRunTestID):           "fi.simulator.run_test_id",
		string(SimulatorTestExecutionID):     "fi.simulator.test_execution_id",
		string(SimulatorCallExecutionID):     "fi.simulator.call_execution_id",
		string(SimulatorIsSimulatorTrace):    "fi.simulator.is_simulator_trace",
		string(SpanKindVectorDB):             "VECTOR_DB",
		string(MimeTypeJSON):                 "application/json",
		RedactedValue:                        "__REDACTED__",
	} {
		if k != want {
			t.Errorf("got %q, want %q", k, want)
		}
	}
}

func TestKeyBuilders(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{string(InputMessageKey(0, MessageRole)), "gen_ai.input.messages.0.message.role"},
		{string(OutputMessageKey(12, MessageContent)), "gen_ai.output.messages.12.message.content"},
		{string(InputMessageKey(1, MessageContentKey(2, MessageContentText))), "gen_ai.input.messages.1.message.contents.2.message_content.text"},
		{string(InputMessageKey(0, MessageToolCallKey(3, ToolCallFunctionName))), "gen_ai.input.messages.0.message.tool_calls.3.tool_call.function.name"},
		{string(ToolDefinitionKey(4)), "gen_ai.tool.definitions.4.tool.json_schema"},
		{string(EmbeddingKey(5, EmbeddingVector)), "embedding.embeddings.5.embedding.vector"},
		{string(RetrievalDocumentKey(6, DocumentContent)), "retrieval.documents.6.document.content"},
		{string(SpanKindLLM.Attribute().Key) + "=" + SpanKindLLM.Attribute().Value.AsString(), "gen_ai.span.kind=LLM"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}
