package fibedrock_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/traceai-go/traceai/fi"
	"github.com/traceai-go/traceai/instrumentation/fibedrock"
)

// Trace bedrockruntime calls: the transport goes in the client's HTTP
// client, under the SDK's signing. Every call made inside the session and
// user scopes is a span carrying session.id and user.id.
func ExampleNewTransport() {
	// A local stand-in for bedrock-runtime.us-east-1.amazonaws.com.
	body, _ := os.ReadFile("testdata/nova_response.json")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	}))
	defer srv.Close()
	sr := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr)) // in an app: the provider of traceai.Register

	// In an app: bedrockruntime.NewFromConfig(cfg, func(o *bedrockruntime.Options) { o.HTTPClient = ... }).
	client := bedrockruntime.New(bedrockruntime.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(srv.URL), // not needed against AWS
		Credentials:  credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
		HTTPClient:   &http.Client{Transport: fibedrock.NewTransport(nil, fibedrock.WithTracerProvider(tp))},
	})
	ctx := fi.UsingUser(fi.UsingSession(context.Background(), "chat-42"), "alice")
	out, err := client.Converse(ctx, &bedrockruntime.ConverseInput{
		ModelId: aws.String("us.amazon.nova-lite-v1:0"),
		Messages: []types.Message{{Role: types.ConversationRoleUser,
			Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: "What's the weather in Paris?"}}}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("answer:", out.Output.(*types.ConverseOutputMemberMessage).Value.Content[0].(*types.ContentBlockMemberText).Value)

	s := sr.Ended()[0]
	fmt.Println("span:", s.Name())
	for _, kv := range s.Attributes() {
		switch kv.Key {
		case "session.id", "user.id", "gen_ai.provider.name", "gen_ai.request.model", "gen_ai.usage.total_tokens":
			fmt.Printf("%s: %s\n", kv.Key, kv.Value.Emit())
		}
	}
	// Unordered output:
	// answer: Paris is sunny today.
	// span: bedrock.converse
	// session.id: chat-42
	// user.id: alice
	// gen_ai.provider.name: aws
	// gen_ai.request.model: us.amazon.nova-lite-v1:0
	// gen_ai.usage.total_tokens: 20
}
