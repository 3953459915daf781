package fibedrock

import (
	"sync"

	"go.opentelemetry.io/otel/attribute"

	"github.com/traceai-go/traceai/fi/semconv"
)

// Flattened message keys are built once for the first messages, contents
// and tool calls, instead of once per attribute per call.
const (
	keyMessages = 16
	keyParts    = 8
)

var (
	msgSubs  = []attribute.Key{semconv.MessageRole, semconv.MessageContent, semconv.MessageToolCallID}
	partSubs = []attribute.Key{semconv.MessageContentType, semconv.MessageContentText, semconv.MessageContentImage}
	toolSubs = []attribute.Key{semconv.ToolCallID, semconv.ToolCallFunctionName, semconv.ToolCallFunctionArgumentsJSON}

	keysOnce sync.Once
	// msgKeys[out][i][s], partKeys[out][i][j][s], toolKeys[out][i][k][s]
	msgKeys  [2][keyMessages][3]attribute.Key
	partKeys [2][keyMessages][keyParts][3]attribute.Key
	toolKeys [2][keyMessages][keyParts][3]attribute.Key
)

func buildKeys() {
	for o, msg := range []func(int, attribute.Key) attribute.Key{semconv.InputMessageKey, semconv.OutputMessageKey} {
		for i := range keyMessages {
			for s, sub := range msgSubs {
				msgKeys[o][i][s] = msg(i, sub)
			}
			for j := range keyParts {
				for s, sub := range partSubs {
					partKeys[o][i][j][s] = msg(i, semconv.MessageContentKey(j, sub))
				}
				for s, sub := range toolSubs {
					toolKeys[o][i][j][s] = msg(i, semconv.MessageToolCallKey(j, sub))
				}
			}
		}
	}
}

func index(subs []attribute.Key, sub attribute.Key) int {
	for s, k := range subs {
		if k == sub {
			return s
		}
	}
	return -1
}

// messageKey is semconv.InputMessageKey (or OutputMessageKey) of sub.
func messageKey(out bool, i int, sub attribute.Key) attribute.Key {
	if s := index(msgSubs, sub); s >= 0 && i < keyMessages {
		keysOnce.Do(buildKeys)
		return msgKeys[b2i(out)][i][s]
	}
	if out {
		return semconv.OutputMessageKey(i, sub)
	}
	return semconv.InputMessageKey(i, sub)
}

// partKey is the key of field sub of content j of message i.
func partKey(out bool, i, j int, sub attribute.Key) attribute.Key {
	if s := index(partSubs, sub); s >= 0 && i < keyMessages && j < keyParts {
		keysOnce.Do(buildKeys)
		return partKeys[b2i(out)][i][j][s]
	}
	return messageKey(out, i, semconv.MessageContentKey(j, sub))
}

// toolKey is the key of field sub of tool call k of message i.
func toolKey(out bool, i, k int, sub attribute.Key) attribute.Key {
	if s := index(toolSubs, sub); s >= 0 && i < keyMessages && k < keyParts {
		keysOnce.Do(buildKeys)
		return toolKeys[b2i(out)][i][k][s]
	}
	return messageKey(out, i, semconv.MessageToolCallKey(k, sub))
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// msgRef names message i of the input (or the output) for its keys.
type msgRef struct {
	out bool
	i   int
}

func (m msgRef) key(sub attribute.Key) attribute.Key         { return messageKey(m.out, m.i, sub) }
func (m msgRef) part(j int, sub attribute.Key) attribute.Key { return partKey(m.out, m.i, j, sub) }
func (m msgRef) tool(k int, sub attribute.Key) attribute.Key { return toolKey(m.out, m.i, k, sub) }
