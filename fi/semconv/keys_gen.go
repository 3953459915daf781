// Code generated from the traceAI reference key list (testdata/traceai-keys.md); edit with care.

package semconv

import "go.opentelemetry.io/otel/attribute"

// Span attribute keys (Python SpanAttributes).
const (
	// GenAIOperationName is the key "gen_ai.operation.name".
	GenAIOperationName attribute.Key = "gen_ai.operation.name"
	// GenAIProviderName is the key "gen_ai.provider.name".
	GenAIProviderName attribute.Key = "gen_ai.provider.name"
	// GenAISystem is the key "gen_ai.system".
	GenAISystem attribute.Key = "gen_ai.system"
	// GenAIRequestModel is the key "gen_ai.request.model".
	GenAIRequestModel attribute.Key = "gen_ai.request.model"
	// GenAIRequestTemperature is the key "gen_ai.request.temperature".
	GenAIRequestTemperature attribute.Key = "gen_ai.request.temperature"
	// GenAIRequestTopP is the key "gen_ai.request.top_p".
	GenAIRequestTopP attribute.Key = "gen_ai.request.top_p"
	// GenAIRequestTopK is the key "gen_ai.request.top_k".
	GenAIRequestTopK attribute.Key = "gen_ai.request.top_k"
	// GenAIRequestMaxTokens is the key "gen_ai.request.max_tokens".
	GenAIRequestMaxTokens attribute.Key = "gen_ai.request.max_tokens"
	// GenAIRequestFrequencyPenalty is the key "gen_ai.request.frequency_penalty".
	GenAIRequestFrequencyPenalty attribute.Key = "gen_ai.request.frequency_penalty"
	// GenAIRequestPresencePenalty is the key "gen_ai.request.presence_penalty".
	GenAIRequestPresencePenalty attribute.Key = "gen_ai.request.presence_penalty"
	// GenAIRequestStopSequences is the key "gen_ai.request.stop_sequences".
	GenAIRequestStopSequences attribute.Key = "gen_ai.request.stop_sequences"
	// GenAIRequestSeed is the key "gen_ai.request.seed".
	GenAIRequestSeed attribute.Key = "gen_ai.request.seed"
	// GenAIResponseModel is the key "gen_ai.response.model".
	GenAIResponseModel attribute.Key = "gen_ai.response.model"
	// GenAIResponseID is the key "gen_ai.response.id".
	GenAIResponseID attribute.Key = "gen_ai.response.id"
	// GenAIResponseFinishReasons is the key "gen_ai.response.finish_reasons".
	GenAIResponseFinishReasons attribute.Key = "gen_ai.response.finish_reasons"
	// GenAIOutputType is the key "gen_ai.output.type".
	GenAIOutputType attribute.Key = "gen_ai.output.type"
	// GenAIUsageInputTokens is the key "gen_ai.usage.input_tokens".
	GenAIUsageInputTokens attribute.Key = "gen_ai.usage.input_tokens"
	// GenAIUsageOutputTokens is the key "gen_ai.usage.output_tokens".
	GenAIUsageOutputTokens attribute.Key = "gen_ai.usage.output_tokens"
	// GenAIUsageCacheReadTokens is the key "gen_ai.usage.cache_read_tokens".
	GenAIUsageCacheReadTokens attribute.Key = "gen_ai.usage.cache_read_tokens"
	// GenAIUsageCacheWriteTokens is the key "gen_ai.usage.cache_write_tokens".
	GenAIUsageCacheWriteTokens attribute.Key = "gen_ai.usage.cache_write_tokens"
	// GenAIInputMessages is the key "gen_ai.input.messages".
	GenAIInputMessages attribute.Key = "gen_ai.input.messages"
	// GenAIOutputMessages is the key "gen_ai.output.messages".
	GenAIOutputMessages attribute.Key = "gen_ai.output.messages"
	// GenAISystemInstructions is the key "gen_ai.system_instructions".
	GenAISystemInstructions attribute.Key = "gen_ai.system_instructions"
	// GenAIToolName is the key "gen_ai.tool.name".
	GenAIToolName attribute.Key = "gen_ai.tool.name"
	// GenAIToolDescription is the key "gen_ai.tool.description".
	GenAIToolDescription attribute.Key = "gen_ai.tool.description"
	// GenAIToolCallID is the key "gen_ai.tool.call.id".
	GenAIToolCallID attribute.Key = "gen_ai.tool.call.id"
	// GenAIToolCallArguments is the key "gen_ai.tool.call.arguments".
	GenAIToolCallArguments attribute.Key = "gen_ai.tool.call.arguments"
	// GenAIToolCallResult is the key "gen_ai.tool.call.result".
	GenAIToolCallResult attribute.Key = "gen_ai.tool.call.result"
	// GenAIToolType is the key "gen_ai.tool.type".
	GenAIToolType attribute.Key = "gen_ai.tool.type"
	// GenAIToolDefinitions is the key "gen_ai.tool.definitions".
	GenAIToolDefinitions attribute.Key = "gen_ai.tool.definitions"
	// GenAIConversationID is the key "gen_ai.conversation.id".
	GenAIConversationID attribute.Key = "gen_ai.conversation.id"
	// GenAIPromptName is the key "gen_ai.prompt.name".
	GenAIPromptName attribute.Key = "gen_ai.prompt.name"
	// GenAIAgentID is the key "gen_ai.agent.id".
	GenAIAgentID attribute.Key = "gen_ai.agent.id"
	// GenAIAgentName is the key "gen_ai.agent.name".
	GenAIAgentName attribute.Key = "gen_ai.agent.name"
	// GenAIAgentDescription is the key "gen_ai.agent.description".
	GenAIAgentDescription attribute.Key = "gen_ai.agent.description"
	// GenAIEvaluationName is the key "gen_ai.evaluation.name".
	GenAIEvaluationName attribute.Key = "gen_ai.evaluation.name"
	// GenAIEvaluationScoreValue is the key "gen_ai.evaluation.score.value".
	GenAIEvaluationScoreValue attribute.Key = "gen_ai.evaluation.score.value"
	// GenAIEvaluationScoreLabel is the key "gen_ai.evaluation.score.label".
	GenAIEvaluationScoreLabel attribute.Key = "gen_ai.evaluation.score.label"
	// GenAIEvaluationExplanation is the key "gen_ai.evaluation.explanation".
	GenAIEvaluationExplanation attribute.Key = "gen_ai.evaluation.explanation"
	// GenAIEmbeddingsDimensionCount is the key "gen_ai.embeddings.dimension.count".
	GenAIEmbeddingsDimensionCount attribute.Key = "gen_ai.embeddings.dimension.count"
	// GenAIRequestEncodingFormats is the key "gen_ai.request.encoding_formats".
	GenAIRequestEncodingFormats attribute.Key = "gen_ai.request.encoding_formats"
	// GenAISpanKind is the key "gen_ai.span.kind".
	GenAISpanKind attribute.Key = "gen_ai.span.kind"
	// GenAICostTotal is the key "gen_ai.cost.total".
	GenAICostTotal attribute.Key = "gen_ai.cost.total"
	// GenAICostInput is the key "gen_ai.cost.input".
	GenAICostInput attribute.Key = "gen_ai.cost.input"
	// GenAICostOutput is the key "gen_ai.cost.output".
	GenAICostOutput attribute.Key = "gen_ai.cost.output"
	// GenAICostCacheWrite is the key "gen_ai.cost.cache_write".
	GenAICostCacheWrite attribute.Key = "gen_ai.cost.cache_write"
	// GenAIUsageTotalTokens is the key "gen_ai.usage.total_tokens".
	GenAIUsageTotalTokens attribute.Key = "gen_ai.usage.total_tokens"
	// GenAIToolCall is the key "gen_ai.tool.call".
	GenAIToolCall attribute.Key = "gen_ai.tool.call"
	// ToolParameters is the key "gen_ai.tool.parameters".
	ToolParameters attribute.Key = "gen_ai.tool.parameters"
	// GenAIRequestParameters is the key "gen_ai.request.parameters".
	GenAIRequestParameters attribute.Key = "gen_ai.request.parameters"
	// GenAIPrompts is the key "gen_ai.prompts".
	GenAIPrompts attribute.Key = "gen_ai.prompts"
	// OutputValue is the key "output.value".
	OutputValue attribute.Key = "output.value"
	// OutputMimeType is the key "output.mime_type".
	OutputMimeType attribute.Key = "output.mime_type"
	// InputValue is the key "input.value".
	InputValue attribute.Key = "input.value"
	// InputMimeType is the key "input.mime_type".
	InputMimeType attribute.Key = "input.mime_type"
	// EmbeddingEmbeddings is the key "embedding.embeddings".
	EmbeddingEmbeddings attribute.Key = "embedding.embeddings"
	// EmbeddingModelName is the key "embedding.model_name".
	EmbeddingModelName attribute.Key = "embedding.model_name"
	// GenAIUsageOutputTokensAudio is the key "gen_ai.usage.output_tokens.audio".
	GenAIUsageOutputTokensAudio attribute.Key = "gen_ai.usage.output_tokens.audio"
	// GenAIUsageOutputTokensReasoning is the key "gen_ai.usage.output_tokens.reasoning".
	GenAIUsageOutputTokensReasoning attribute.Key = "gen_ai.usage.output_tokens.reasoning"
	// GenAIUsageInputTokensDetails is the key "gen_ai.usage.input_tokens.details".
	GenAIUsageInputTokensDetails attribute.Key = "gen_ai.usage.input_tokens.details"
	// GenAIUsageInputTokensAudio is the key "gen_ai.usage.input_tokens.audio".
	GenAIUsageInputTokensAudio attribute.Key = "gen_ai.usage.input_tokens.audio"
	// GenAIUsageInputTokensCacheInput is the key "gen_ai.usage.input_tokens.cache_input".
	GenAIUsageInputTokensCacheInput attribute.Key = "gen_ai.usage.input_tokens.cache_input"
	// GenAIUsageInputTokensCacheRead is the key "gen_ai.usage.input_tokens.cache_read".
	GenAIUsageInputTokensCacheRead attribute.Key = "gen_ai.usage.input_tokens.cache_read"
	// GenAIUsageInputTokensCacheWrite is the key "gen_ai.usage.input_tokens.cache_write".
	GenAIUsageInputTokensCacheWrite attribute.Key = "gen_ai.usage.input_tokens.cache_write"
	// RetrievalDocuments is the key "retrieval.documents".
	RetrievalDocuments attribute.Key = "retrieval.documents"
	// Metadata is the key "metadata".
	Metadata attribute.Key = "metadata"
	// TagTags is the key "tag.tags".
	TagTags attribute.Key = "tag.tags"
	// SessionID is the key "session.id".
	SessionID attribute.Key = "session.id"
	// UserID is the key "user.id".
	UserID attribute.Key = "user.id"
	// InputImages is the key "gen_ai.input.images".
	InputImages attribute.Key = "gen_ai.input.images"
	// GraphNodeID is the key "graph.node.id".
	GraphNodeID attribute.Key = "graph.node.id"
	// GraphNodeName is the key "graph.node.name".
	GraphNodeName attribute.Key = "graph.node.name"
	// GraphNodeParentID is the key "graph.node.parent_id".
	GraphNodeParentID attribute.Key = "graph.node.parent_id"
	// PromptVendor is the key "gen_ai.prompt.vendor".
	PromptVendor attribute.Key = "gen_ai.prompt.vendor"
	// PromptID is the key "gen_ai.prompt.id".
	PromptID attribute.Key = "gen_ai.prompt.id"
	// PromptURL is the key "gen_ai.prompt.url".
	PromptURL attribute.Key = "gen_ai.prompt.url"
	// ErrorType is the key "error.type".
	ErrorType attribute.Key = "error.type"
	// ErrorMessage is the key "error.message".
	ErrorMessage attribute.Key = "error.message"
	// GenAIClientOperationDuration is the key "gen_ai.client.operation.duration".
	GenAIClientOperationDuration attribute.Key = "gen_ai.client.operation.duration"
	// GenAIPromptTemplateName is the key "gen_ai.prompt.template.name".
	GenAIPromptTemplateName attribute.Key = "gen_ai.prompt.template.name"
	// GenAIPromptTemplateVersion is the key "gen_ai.prompt.template.version".
	GenAIPromptTemplateVersion attribute.Key = "gen_ai.prompt.template.version"
	// GenAIPromptTemplateLabel is the key "gen_ai.prompt.template.label".
	GenAIPromptTemplateLabel attribute.Key = "gen_ai.prompt.template.label"
	// GenAIPromptTemplateVariables is the key "gen_ai.prompt.template.variables".
	GenAIPromptTemplateVariables attribute.Key = "gen_ai.prompt.template.variables"
	// GenAIAgentGraphNodeID is the key "gen_ai.agent.graph.node_id".
	GenAIAgentGraphNodeID attribute.Key = "gen_ai.agent.graph.node_id"
	// GenAIAgentGraphNodeName is the key "gen_ai.agent.graph.node_name".
	GenAIAgentGraphNodeName attribute.Key = "gen_ai.agent.graph.node_name"
	// GenAIAgentGraphParentNodeID is the key "gen_ai.agent.graph.parent_node_id".
	GenAIAgentGraphParentNodeID attribute.Key = "gen_ai.agent.graph.parent_node_id"
	// GenAIEvaluationTargetSpanID is the key "gen_ai.evaluation.target_span_id".
	GenAIEvaluationTargetSpanID attribute.Key = "gen_ai.evaluation.target_span_id"
	// GenAIRetrievalDocuments is the key "gen_ai.retrieval.documents".
	GenAIRetrievalDocuments attribute.Key = "gen_ai.retrieval.documents"
	// GenAIRetrievalQuery is the key "gen_ai.retrieval.query".
	GenAIRetrievalQuery attribute.Key = "gen_ai.retrieval.query"
	// GenAIRetrievalTopK is the key "gen_ai.retrieval.top_k".
	GenAIRetrievalTopK attribute.Key = "gen_ai.retrieval.top_k"
	// GenAIEmbeddingsVectors is the key "gen_ai.embeddings.vectors".
	GenAIEmbeddingsVectors attribute.Key = "gen_ai.embeddings.vectors"
	// GenAIGuardrailName is the key "gen_ai.guardrail.name".
	GenAIGuardrailName attribute.Key = "gen_ai.guardrail.name"
	// GenAIGuardrailType is the key "gen_ai.guardrail.type".
	GenAIGuardrailType attribute.Key = "gen_ai.guardrail.type"
	// GenAIGuardrailResult is the key "gen_ai.guardrail.result".
	GenAIGuardrailResult attribute.Key = "gen_ai.guardrail.result"
	// GenAIGuardrailScore is the key "gen_ai.guardrail.score".
	GenAIGuardrailScore attribute.Key = "gen_ai.guardrail.score"
	// GenAIGuardrailCategories is the key "gen_ai.guardrail.categories".
	GenAIGuardrailCategories attribute.Key = "gen_ai.guardrail.categories"
	// GenAIGuardrailModifiedOutput is the key "gen_ai.guardrail.modified_output".
	GenAIGuardrailModifiedOutput attribute.Key = "gen_ai.guardrail.modified_output"
	// GenAIVoiceCallID is the key "gen_ai.voice.call_id".
	GenAIVoiceCallID attribute.Key = "gen_ai.voice.call_id"
	// GenAIVoiceProvider is the key "gen_ai.voice.provider".
	GenAIVoiceProvider attribute.Key = "gen_ai.voice.provider"
	// GenAIVoiceCallDurationSecs is the key "gen_ai.voice.call_duration_secs".
	GenAIVoiceCallDurationSecs attribute.Key = "gen_ai.voice.call_duration_secs"
	// GenAIVoiceEndedReason is the key "gen_ai.voice.ended_reason".
	GenAIVoiceEndedReason attribute.Key = "gen_ai.voice.ended_reason"
	// GenAIVoiceFromNumber is the key "gen_ai.voice.from_number".
	GenAIVoiceFromNumber attribute.Key = "gen_ai.voice.from_number"
	// GenAIVoiceToNumber is the key "gen_ai.voice.to_number".
	GenAIVoiceToNumber attribute.Key = "gen_ai.voice.to_number"
	// GenAIVoiceChannelType is the key "gen_ai.voice.channel_type".
	GenAIVoiceChannelType attribute.Key = "gen_ai.voice.channel_type"
	// GenAIVoiceTranscript is the key "gen_ai.voice.transcript".
	GenAIVoiceTranscript attribute.Key = "gen_ai.voice.transcript"
	// GenAIVoiceRecordingURL is the key "gen_ai.voice.recording.url".
	GenAIVoiceRecordingURL attribute.Key = "gen_ai.voice.recording.url"
	// GenAIVoiceRecordingStereoURL is the key "gen_ai.voice.recording.stereo_url".
	GenAIVoiceRecordingStereoURL attribute.Key = "gen_ai.voice.recording.stereo_url"
	// GenAIVoiceRecordingCustomerURL is the key "gen_ai.voice.recording.customer_url".
	GenAIVoiceRecordingCustomerURL attribute.Key = "gen_ai.voice.recording.customer_url"
	// GenAIVoiceRecordingAssistantURL is the key "gen_ai.voice.recording.assistant_url".
	GenAIVoiceRecordingAssistantURL attribute.Key = "gen_ai.voice.recording.assistant_url"
	// GenAIVoiceSTTModel is the key "gen_ai.voice.stt.model".
	GenAIVoiceSTTModel attribute.Key = "gen_ai.voice.stt.model"
	// GenAIVoiceSTTProvider is the key "gen_ai.voice.stt.provider".
	GenAIVoiceSTTProvider attribute.Key = "gen_ai.voice.stt.provider"
	// GenAIVoiceSTTLanguage is the key "gen_ai.voice.stt.language".
	GenAIVoiceSTTLanguage attribute.Key = "gen_ai.voice.stt.language"
	// GenAIVoiceTTSModel is the key "gen_ai.voice.tts.model".
	GenAIVoiceTTSModel attribute.Key = "gen_ai.voice.tts.model"
	// GenAIVoiceTTSProvider is the key "gen_ai.voice.tts.provider".
	GenAIVoiceTTSProvider attribute.Key = "gen_ai.voice.tts.provider"
	// GenAIVoiceTTSVoiceID is the key "gen_ai.voice.tts.voice_id".
	GenAIVoiceTTSVoiceID attribute.Key = "gen_ai.voice.tts.voice_id"
	// GenAIVoiceLatencyModelAvgMs is the key "gen_ai.voice.latency.model_avg_ms".
	GenAIVoiceLatencyModelAvgMs attribute.Key = "gen_ai.voice.latency.model_avg_ms"
	// GenAIVoiceLatencyVoiceAvgMs is the key "gen_ai.voice.latency.voice_avg_ms".
	GenAIVoiceLatencyVoiceAvgMs attribute.Key = "gen_ai.voice.latency.voice_avg_ms"
	// GenAIVoiceLatencyTranscriberAvgMs is the key "gen_ai.voice.latency.transcriber_avg_ms".
	GenAIVoiceLatencyTranscriberAvgMs attribute.Key = "gen_ai.voice.latency.transcriber_avg_ms"
	// GenAIVoiceLatencyTurnAvgMs is the key "gen_ai.voice.latency.turn_avg_ms".
	GenAIVoiceLatencyTurnAvgMs attribute.Key = "gen_ai.voice.latency.turn_avg_ms"
	// GenAIVoiceLatencyTTFBMs is the key "gen_ai.voice.latency.ttfb_ms".
	GenAIVoiceLatencyTTFBMs attribute.Key = "gen_ai.voice.latency.ttfb_ms"
	// GenAIVoiceInterruptionsUserCount is the key "gen_ai.voice.interruptions.user_count".
	GenAIVoiceInterruptionsUserCount attribute.Key = "gen_ai.voice.interruptions.user_count"
	// GenAIVoiceInterruptionsAssistantCount is the key "gen_ai.voice.interruptions.assistant_count".
	GenAIVoiceInterruptionsAssistantCount attribute.Key = "gen_ai.voice.interruptions.assistant_count"
	// GenAIVoiceCostTotal is the key "gen_ai.voice.cost.total".
	GenAIVoiceCostTotal attribute.Key = "gen_ai.voice.cost.total"
	// GenAIVoiceCostSTT is the key "gen_ai.voice.cost.stt".
	GenAIVoiceCostSTT attribute.Key = "gen_ai.voice.cost.stt"
	// GenAIVoiceCostTTS is the key "gen_ai.voice.cost.tts".
	GenAIVoiceCostTTS attribute.Key = "gen_ai.voice.cost.tts"
	// GenAIVoiceCostLLM is the key "gen_ai.voice.cost.llm".
	GenAIVoiceCostLLM attribute.Key = "gen_ai.voice.cost.llm"
	// GenAIVoiceCostTelephony is the key "gen_ai.voice.cost.telephony".
	GenAIVoiceCostTelephony attribute.Key = "gen_ai.voice.cost.telephony"
	// GenAIImagePrompt is the key "gen_ai.image.prompt".
	GenAIImagePrompt attribute.Key = "gen_ai.image.prompt"
	// GenAIImageNegativePrompt is the key "gen_ai.image.negative_prompt".
	GenAIImageNegativePrompt attribute.Key = "gen_ai.image.negative_prompt"
	// GenAIImageWidth is the key "gen_ai.image.width".
	GenAIImageWidth attribute.Key = "gen_ai.image.width"
	// GenAIImageHeight is the key "gen_ai.image.height".
	GenAIImageHeight attribute.Key = "gen_ai.image.height"
	// GenAIImageSize is the key "gen_ai.image.size".
	GenAIImageSize attribute.Key = "gen_ai.image.size"
	// GenAIImageQuality is the key "gen_ai.image.quality".
	GenAIImageQuality attribute.Key = "gen_ai.image.quality"
	// GenAIImageStyle is the key "gen_ai.image.style".
	GenAIImageStyle attribute.Key = "gen_ai.image.style"
	// GenAIImageSteps is the key "gen_ai.image.steps".
	GenAIImageSteps attribute.Key = "gen_ai.image.steps"
	// GenAIImageGuidanceScale is the key "gen_ai.image.guidance_scale".
	GenAIImageGuidanceScale attribute.Key = "gen_ai.image.guidance_scale"
	// GenAIImageSeed is the key "gen_ai.image.seed".
	GenAIImageSeed attribute.Key = "gen_ai.image.seed"
	// GenAIImageFormat is the key "gen_ai.image.format".
	GenAIImageFormat attribute.Key = "gen_ai.image.format"
	// GenAIImageCount is the key "gen_ai.image.count".
	GenAIImageCount attribute.Key = "gen_ai.image.count"
	// GenAIImageRevisedPrompt is the key "gen_ai.image.revised_prompt".
	GenAIImageRevisedPrompt attribute.Key = "gen_ai.image.revised_prompt"
	// GenAIImageOutputURLs is the key "gen_ai.image.output_urls".
	GenAIImageOutputURLs attribute.Key = "gen_ai.image.output_urls"
	// GenAIComputerUseAction is the key "gen_ai.computer_use.action".
	GenAIComputerUseAction attribute.Key = "gen_ai.computer_use.action"
	// GenAIComputerUseCoordinateX is the key "gen_ai.computer_use.coordinate_x".
	GenAIComputerUseCoordinateX attribute.Key = "gen_ai.computer_use.coordinate_x"
	// GenAIComputerUseCoordinateY is the key "gen_ai.computer_use.coordinate_y".
	GenAIComputerUseCoordinateY attribute.Key = "gen_ai.computer_use.coordinate_y"
	// GenAIComputerUseText is the key "gen_ai.computer_use.text".
	GenAIComputerUseText attribute.Key = "gen_ai.computer_use.text"
	// GenAIComputerUseKey is the key "gen_ai.computer_use.key".
	GenAIComputerUseKey attribute.Key = "gen_ai.computer_use.key"
	// GenAIComputerUseButton is the key "gen_ai.computer_use.button".
	GenAIComputerUseButton attribute.Key = "gen_ai.computer_use.button"
	// GenAIComputerUseScrollDirection is the key "gen_ai.computer_use.scroll_direction".
	GenAIComputerUseScrollDirection attribute.Key = "gen_ai.computer_use.scroll_direction"
	// GenAIComputerUseScrollAmount is the key "gen_ai.computer_use.scroll_amount".
	GenAIComputerUseScrollAmount attribute.Key = "gen_ai.computer_use.scroll_amount"
	// GenAIComputerUseScreenshot is the key "gen_ai.computer_use.screenshot".
	GenAIComputerUseScreenshot attribute.Key = "gen_ai.computer_use.screenshot"
	// GenAIComputerUseEnvironment is the key "gen_ai.computer_use.environment".
	GenAIComputerUseEnvironment attribute.Key = "gen_ai.computer_use.environment"
	// GenAIComputerUseViewportWidth is the key "gen_ai.computer_use.viewport_width".
	GenAIComputerUseViewportWidth attribute.Key = "gen_ai.computer_use.viewport_width"
	// GenAIComputerUseViewportHeight is the key "gen_ai.computer_use.viewport_height".
	GenAIComputerUseViewportHeight attribute.Key = "gen_ai.computer_use.viewport_height"
	// GenAIComputerUseCurrentURL is the key "gen_ai.computer_use.current_url".
	GenAIComputerUseCurrentURL attribute.Key = "gen_ai.computer_use.current_url"
	// GenAIComputerUseElementSelector is the key "gen_ai.computer_use.element_selector".
	GenAIComputerUseElementSelector attribute.Key = "gen_ai.computer_use.element_selector"
	// GenAIComputerUseResult is the key "gen_ai.computer_use.result".
	GenAIComputerUseResult attribute.Key = "gen_ai.computer_use.result"
	// GenAIServerTimeToFirstToken is the key "gen_ai.server.time_to_first_token".
	GenAIServerTimeToFirstToken attribute.Key = "gen_ai.server.time_to_first_token"
	// GenAIServerTimePerOutputToken is the key "gen_ai.server.time_per_output_token".
	GenAIServerTimePerOutputToken attribute.Key = "gen_ai.server.time_per_output_token"
	// GenAIServerQueueTime is the key "gen_ai.server.queue_time".
	GenAIServerQueueTime attribute.Key = "gen_ai.server.queue_time"
	// GenAIRerankerModel is the key "gen_ai.reranker.model".
	GenAIRerankerModel attribute.Key = "gen_ai.reranker.model"
	// GenAIRerankerQuery is the key "gen_ai.reranker.query".
	GenAIRerankerQuery attribute.Key = "gen_ai.reranker.query"
	// GenAIRerankerTopN is the key "gen_ai.reranker.top_n".
	GenAIRerankerTopN attribute.Key = "gen_ai.reranker.top_n"
	// GenAIRerankerInputDocuments is the key "gen_ai.reranker.input_documents".
	GenAIRerankerInputDocuments attribute.Key = "gen_ai.reranker.input_documents"
	// GenAIRerankerOutputDocuments is the key "gen_ai.reranker.output_documents".
	GenAIRerankerOutputDocuments attribute.Key = "gen_ai.reranker.output_documents"
	// GenAIAudioURL is the key "gen_ai.audio.url".
	GenAIAudioURL attribute.Key = "gen_ai.audio.url"
	// GenAIAudioMimeType is the key "gen_ai.audio.mime_type".
	GenAIAudioMimeType attribute.Key = "gen_ai.audio.mime_type"
	// GenAIAudioTranscript is the key "gen_ai.audio.transcript".
	GenAIAudioTranscript attribute.Key = "gen_ai.audio.transcript"
	// GenAIAudioDurationSecs is the key "gen_ai.audio.duration_secs".
	GenAIAudioDurationSecs attribute.Key = "gen_ai.audio.duration_secs"
	// GenAIAudioLanguage is the key "gen_ai.audio.language".
	GenAIAudioLanguage attribute.Key = "gen_ai.audio.language"
	// ServerAddress is the key "server.address".
	ServerAddress attribute.Key = "server.address"
	// ServerPort is the key "server.port".
	ServerPort attribute.Key = "server.port"
	// GenAIA2ATaskID is the key "gen_ai.a2a.task.id".
	GenAIA2ATaskID attribute.Key = "gen_ai.a2a.task.id"
	// GenAIA2ATaskState is the key "gen_ai.a2a.task.state".
	GenAIA2ATaskState attribute.Key = "gen_ai.a2a.task.state"
	// GenAIA2AAgentURL is the key "gen_ai.a2a.agent.url".
	GenAIA2AAgentURL attribute.Key = "gen_ai.a2a.agent.url"
	// GenAIA2AAgentCardName is the key "gen_ai.a2a.agent.card.name".
	GenAIA2AAgentCardName attribute.Key = "gen_ai.a2a.agent.card.name"
	// GenAIA2AAgentCardVersion is the key "gen_ai.a2a.agent.card.version".
	GenAIA2AAgentCardVersion attribute.Key = "gen_ai.a2a.agent.card.version"
	// GenAIA2AMessageRole is the key "gen_ai.a2a.message.role".
	GenAIA2AMessageRole attribute.Key = "gen_ai.a2a.message.role"
	// GenAIA2AMessagePartsCount is the key "gen_ai.a2a.message.parts.count".
	GenAIA2AMessagePartsCount attribute.Key = "gen_ai.a2a.message.parts.count"
	// GenAIA2AArtifactType is the key "gen_ai.a2a.artifact.type".
	GenAIA2AArtifactType attribute.Key = "gen_ai.a2a.artifact.type"
	// GenAIA2AStreaming is the key "gen_ai.a2a.streaming".
	GenAIA2AStreaming attribute.Key = "gen_ai.a2a.streaming"
	// GenAIA2APushNotificationURL is the key "gen_ai.a2a.push_notification.url".
	GenAIA2APushNotificationURL attribute.Key = "gen_ai.a2a.push_notification.url"
	// GenAIA2APropagatedTraceID is the key "gen_ai.a2a.propagated_trace_id".
	GenAIA2APropagatedTraceID attribute.Key = "gen_ai.a2a.propagated_trace_id"
)

// Vector database span attribute keys (Python VectorDBAttributes).
const (
	// DBSystem is the key "db.system".
	DBSystem attribute.Key = "db.system"
	// DBOperationName is the key "db.operation.name".
	DBOperationName attribute.Key = "db.operation.name"
	// DBNamespace is the key "db.namespace".
	DBNamespace attribute.Key = "db.namespace"
	// VectorDBQueryTopK is the key "db.vector.query.top_k".
	VectorDBQueryTopK attribute.Key = "db.vector.query.top_k"
	// VectorDBQueryFilter is the key "db.vector.query.filter".
	VectorDBQueryFilter attribute.Key = "db.vector.query.filter"
	// VectorDBQueryIncludeMetadata is the key "db.vector.query.include_metadata".
	VectorDBQueryIncludeMetadata attribute.Key = "db.vector.query.include_metadata"
	// VectorDBQueryIncludeVectors is the key "db.vector.query.include_vectors".
	VectorDBQueryIncludeVectors attribute.Key = "db.vector.query.include_vectors"
	// VectorDBQueryScoreThreshold is the key "db.vector.query.score_threshold".
	VectorDBQueryScoreThreshold attribute.Key = "db.vector.query.score_threshold"
	// VectorDBQueryMetric is the key "db.vector.query.metric".
	VectorDBQueryMetric attribute.Key = "db.vector.query.metric"
	// VectorDBResultsCount is the key "db.vector.results.count".
	VectorDBResultsCount attribute.Key = "db.vector.results.count"
	// VectorDBResultsScores is the key "db.vector.results.scores".
	VectorDBResultsScores attribute.Key = "db.vector.results.scores"
	// VectorDBResultsIDs is the key "db.vector.results.ids".
	VectorDBResultsIDs attribute.Key = "db.vector.results.ids"
	// VectorDBUpsertCount is the key "db.vector.upsert.count".
	VectorDBUpsertCount attribute.Key = "db.vector.upsert.count"
	// VectorDBUpsertDimensions is the key "db.vector.upsert.dimensions".
	VectorDBUpsertDimensions attribute.Key = "db.vector.upsert.dimensions"
	// VectorDBDeleteCount is the key "db.vector.delete.count".
	VectorDBDeleteCount attribute.Key = "db.vector.delete.count"
	// VectorDBDeleteAll is the key "db.vector.delete.all".
	VectorDBDeleteAll attribute.Key = "db.vector.delete.all"
	// VectorDBIndexName is the key "db.vector.index.name".
	VectorDBIndexName attribute.Key = "db.vector.index.name"
	// VectorDBCollectionName is the key "db.vector.collection.name".
	VectorDBCollectionName attribute.Key = "db.vector.collection.name"
	// VectorDBIndexMetric is the key "db.vector.index.metric".
	VectorDBIndexMetric attribute.Key = "db.vector.index.metric"
	// VectorDBIndexDimensions is the key "db.vector.index.dimensions".
	VectorDBIndexDimensions attribute.Key = "db.vector.index.dimensions"
	// VectorDBNamespace is the key "db.vector.namespace".
	VectorDBNamespace attribute.Key = "db.vector.namespace"
)

// Simulator keys. Python defines SimulatorAttributes twice and emits the second set, fi.simulator.*; the gen_ai.simulator.* set is kept as GenAISimulator* for readers of older spans.
const (
	// GenAISimulatorRunTestID is the key "gen_ai.simulator.run_test_id".
	GenAISimulatorRunTestID attribute.Key = "gen_ai.simulator.run_test_id"
	// GenAISimulatorTestExecutionID is the key "gen_ai.simulator.test_execution_id".
	GenAISimulatorTestExecutionID attribute.Key = "gen_ai.simulator.test_execution_id"
	// GenAISimulatorCallExecutionID is the key "gen_ai.simulator.call_execution_id".
	GenAISimulatorCallExecutionID attribute.Key = "gen_ai.simulator.call_execution_id"
	// GenAISimulatorIsSimulatorTrace is the key "gen_ai.simulator.is_simulator_trace".
	GenAISimulatorIsSimulatorTrace attribute.Key = "gen_ai.simulator.is_simulator_trace"
	// SimulatorRunTestID is the key "fi.simulator.run_test_id".
	SimulatorRunTestID attribute.Key = "fi.simulator.run_test_id"
	// SimulatorTestExecutionID is the key "fi.simulator.test_execution_id".
	SimulatorTestExecutionID attribute.Key = "fi.simulator.test_execution_id"
	// SimulatorCallExecutionID is the key "fi.simulator.call_execution_id".
	SimulatorCallExecutionID attribute.Key = "fi.simulator.call_execution_id"
	// SimulatorIsSimulatorTrace is the key "fi.simulator.is_simulator_trace".
	SimulatorIsSimulatorTrace attribute.Key = "fi.simulator.is_simulator_trace"
)

// Keys inside a flattened message (gen_ai.input.messages.N.message.*).
const (
	// MessageRole is the key "message.role".
	MessageRole attribute.Key = "message.role"
	// MessageContent is the key "message.content".
	MessageContent attribute.Key = "message.content"
	// MessageContents is the key "message.contents".
	MessageContents attribute.Key = "message.contents"
	// MessageName is the key "message.name".
	MessageName attribute.Key = "message.name"
	// MessageToolCalls is the key "message.tool_calls".
	MessageToolCalls attribute.Key = "message.tool_calls"
	// MessageFunctionCallName is the key "message.function_call_name".
	MessageFunctionCallName attribute.Key = "message.function_call_name"
	// MessageFunctionCallArgumentsJSON is the key "message.function_call_arguments_json".
	MessageFunctionCallArgumentsJSON attribute.Key = "message.function_call_arguments_json"
	// MessageToolCallID is the key "message.tool_call_id".
	MessageToolCallID attribute.Key = "message.tool_call_id"
)

// Keys inside a flattened message content part (message.contents.N.message_content.*).
const (
	// MessageContentType is the key "message_content.type".
	MessageContentType attribute.Key = "message_content.type"
	// MessageContentText is the key "message_content.text".
	MessageContentText attribute.Key = "message_content.text"
	// MessageContentImage is the key "message_content.image".
	MessageContentImage attribute.Key = "message_content.image"
	// MessageContentAudio is the key "message_content.audio".
	MessageContentAudio attribute.Key = "message_content.audio"
	// MessageAudioTranscript is the key "message_content.audio.transcript".
	MessageAudioTranscript attribute.Key = "message_content.audio.transcript"
	// MessageContentVideo is the key "message_content.video".
	MessageContentVideo attribute.Key = "message_content.video"
)

// Image keys.
const (
	// ImageURL is the key "image.url".
	ImageURL attribute.Key = "image.url"
)

// Audio keys.
const (
	// AudioURL is the key "audio.url".
	AudioURL attribute.Key = "audio.url"
	// AudioMimeType is the key "audio.mime_type".
	AudioMimeType attribute.Key = "audio.mime_type"
	// AudioTranscript is the key "audio.transcript".
	AudioTranscript attribute.Key = "audio.transcript"
)

// Retrieval document keys.
const (
	// DocumentID is the key "document.id".
	DocumentID attribute.Key = "document.id"
	// DocumentScore is the key "document.score".
	DocumentScore attribute.Key = "document.score"
	// DocumentContent is the key "document.content".
	DocumentContent attribute.Key = "document.content"
	// DocumentMetadata is the key "document.metadata".
	DocumentMetadata attribute.Key = "document.metadata"
)

// Reranker keys.
const (
	// RerankerInputDocuments is the key "reranker.input_documents".
	RerankerInputDocuments attribute.Key = "reranker.input_documents"
	// RerankerOutputDocuments is the key "reranker.output_documents".
	RerankerOutputDocuments attribute.Key = "reranker.output_documents"
	// RerankerQuery is the key "reranker.query".
	RerankerQuery attribute.Key = "reranker.query"
	// RerankerModelName is the key "reranker.model_name".
	RerankerModelName attribute.Key = "reranker.model_name"
	// RerankerTopK is the key "reranker.top_k".
	RerankerTopK attribute.Key = "reranker.top_k"
)

// Keys inside a flattened embedding (embedding.embeddings.N.embedding.*).
const (
	// EmbeddingText is the key "embedding.text".
	EmbeddingText attribute.Key = "embedding.text"
	// EmbeddingVector is the key "embedding.vector".
	EmbeddingVector attribute.Key = "embedding.vector"
)

// Keys inside a flattened tool call (message.tool_calls.N.tool_call.*).
const (
	// ToolCallID is the key "tool_call.id".
	ToolCallID attribute.Key = "tool_call.id"
	// ToolCallFunctionName is the key "tool_call.function.name".
	ToolCallFunctionName attribute.Key = "tool_call.function.name"
	// ToolCallFunctionArgumentsJSON is the key "tool_call.function.arguments".
	ToolCallFunctionArgumentsJSON attribute.Key = "tool_call.function.arguments"
)

// Keys inside a flattened tool definition (gen_ai.tool.definitions.N.tool.*).
const (
	// ToolJSONSchema is the key "tool.json_schema".
	ToolJSONSchema attribute.Key = "tool.json_schema"
)

// Span kinds, the values of GenAISpanKind.
const (
	// SpanKindTool is "TOOL".
	SpanKindTool SpanKind = "TOOL"
	// SpanKindChain is "CHAIN".
	SpanKindChain SpanKind = "CHAIN"
	// SpanKindLLM is "LLM".
	SpanKindLLM SpanKind = "LLM"
	// SpanKindRetriever is "RETRIEVER".
	SpanKindRetriever SpanKind = "RETRIEVER"
	// SpanKindEmbedding is "EMBEDDING".
	SpanKindEmbedding SpanKind = "EMBEDDING"
	// SpanKindAgent is "AGENT".
	SpanKindAgent SpanKind = "AGENT"
	// SpanKindReranker is "RERANKER".
	SpanKindReranker SpanKind = "RERANKER"
	// SpanKindUnknown is "UNKNOWN".
	SpanKindUnknown SpanKind = "UNKNOWN"
	// SpanKindGuardrail is "GUARDRAIL".
	SpanKindGuardrail SpanKind = "GUARDRAIL"
	// SpanKindEvaluator is "EVALUATOR".
	SpanKindEvaluator SpanKind = "EVALUATOR"
	// SpanKindConversation is "CONVERSATION".
	SpanKindConversation SpanKind = "CONVERSATION"
	// SpanKindVectorDB is "VECTOR_DB".
	SpanKindVectorDB SpanKind = "VECTOR_DB"
	// SpanKindA2AClient is "A2A_CLIENT".
	SpanKindA2AClient SpanKind = "A2A_CLIENT"
	// SpanKindA2AServer is "A2A_SERVER".
	SpanKindA2AServer SpanKind = "A2A_SERVER"
)

// MIME types of input.value and output.value.
const (
	// MimeTypeText is "text/plain".
	MimeTypeText MimeType = "text/plain"
	// MimeTypeJSON is "application/json".
	MimeTypeJSON MimeType = "application/json"
)

// Values of GenAISystem (legacy).
const (
	// SystemOpenAI is "openai".
	SystemOpenAI System = "openai"
	// SystemAnthropic is "anthropic".
	SystemAnthropic System = "anthropic"
	// SystemCohere is "cohere".
	SystemCohere System = "cohere"
	// SystemMistralAI is "mistralai".
	SystemMistralAI System = "mistralai"
	// SystemVertexAI is "vertexai".
	SystemVertexAI System = "vertexai"
)

// Values of GenAIProviderName.
const (
	// ProviderOpenAI is "openai".
	ProviderOpenAI Provider = "openai"
	// ProviderAnthropic is "anthropic".
	ProviderAnthropic Provider = "anthropic"
	// ProviderCohere is "cohere".
	ProviderCohere Provider = "cohere"
	// ProviderMistralAI is "mistralai".
	ProviderMistralAI Provider = "mistralai"
	// ProviderGoogle is "google".
	ProviderGoogle Provider = "google"
	// ProviderAzure is "azure".
	ProviderAzure Provider = "azure"
	// ProviderAws is "aws".
	ProviderAws Provider = "aws"
	// ProviderVertexAI is "vertexai".
	ProviderVertexAI Provider = "vertexai"
	// ProviderXAI is "xai".
	ProviderXAI Provider = "xai"
	// ProviderDeepSeek is "deepseek".
	ProviderDeepSeek Provider = "deepseek"
)
