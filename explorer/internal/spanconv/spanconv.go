// Package spanconv converts OpenTelemetry SDK spans to OTLP protobuf, for
// the store's in-process exporter and for tests that send what an SDK
// exporter would.
package spanconv

import (
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
)

// ToProto converts SDK spans to OTLP, one ResourceSpans per span (the store
// deduplicates resources).
func ToProto(spans []sdktrace.ReadOnlySpan) []*tracepb.ResourceSpans {
	out := make([]*tracepb.ResourceSpans, 0, len(spans))
	for _, sd := range spans {
		var res *resourcepb.Resource
		if r := sd.Resource(); r != nil {
			res = &resourcepb.Resource{Attributes: kvs(r.Attributes())}
		}
		sc := sd.SpanContext()
		tid, sid := sc.TraceID(), sc.SpanID()
		ps := &tracepb.Span{
			TraceId:           tid[:],
			SpanId:            sid[:],
			TraceState:        sc.TraceState().String(),
			Name:              sd.Name(),
			Kind:              tracepb.Span_SpanKind(spanKind(sd.SpanKind())),
			StartTimeUnixNano: uint64(sd.StartTime().UnixNano()),
			EndTimeUnixNano:   uint64(sd.EndTime().UnixNano()),
			Attributes:        kvs(sd.Attributes()),
			Status:            &tracepb.Status{Message: sd.Status().Description},
		}
		if p := sd.Parent(); p.SpanID().IsValid() {
			pid := p.SpanID()
			ps.ParentSpanId = pid[:]
		}
		switch sd.Status().Code {
		case codes.Ok:
			ps.Status.Code = tracepb.Status_STATUS_CODE_OK
		case codes.Error:
			ps.Status.Code = tracepb.Status_STATUS_CODE_ERROR
		}
		for _, ev := range sd.Events() {
			ps.Events = append(ps.Events, &tracepb.Span_Event{
				TimeUnixNano: uint64(ev.Time.UnixNano()),
				Name:         ev.Name,
				Attributes:   kvs(ev.Attributes),
			})
		}
		for _, l := range sd.Links() {
			lt, ls := l.SpanContext.TraceID(), l.SpanContext.SpanID()
			ps.Links = append(ps.Links, &tracepb.Span_Link{TraceId: lt[:], SpanId: ls[:], Attributes: kvs(l.Attributes)})
		}
		scope := sd.InstrumentationScope()
		out = append(out, &tracepb.ResourceSpans{
			Resource: res,
			ScopeSpans: []*tracepb.ScopeSpans{{
				Scope: &commonpb.InstrumentationScope{Name: scope.Name, Version: scope.Version},
				Spans: []*tracepb.Span{ps},
			}},
		})
	}
	return out
}

func spanKind(k trace.SpanKind) int32 {
	switch k {
	case trace.SpanKindInternal:
		return 1
	case trace.SpanKindServer:
		return 2
	case trace.SpanKindClient:
		return 3
	case trace.SpanKindProducer:
		return 4
	case trace.SpanKindConsumer:
		return 5
	}
	return 0
}

func kvs(attrs []attribute.KeyValue) []*commonpb.KeyValue {
	out := make([]*commonpb.KeyValue, 0, len(attrs))
	for _, a := range attrs {
		out = append(out, &commonpb.KeyValue{Key: string(a.Key), Value: value(a.Value)})
	}
	return out
}

func value(v attribute.Value) *commonpb.AnyValue {
	switch v.Type() {
	case attribute.BOOL:
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_BoolValue{BoolValue: v.AsBool()}}
	case attribute.INT64:
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_IntValue{IntValue: v.AsInt64()}}
	case attribute.FLOAT64:
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_DoubleValue{DoubleValue: v.AsFloat64()}}
	case attribute.STRING:
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: v.AsString()}}
	case attribute.BOOLSLICE:
		var vs []*commonpb.AnyValue
		for _, b := range v.AsBoolSlice() {
			vs = append(vs, &commonpb.AnyValue{Value: &commonpb.AnyValue_BoolValue{BoolValue: b}})
		}
		return arr(vs)
	case attribute.INT64SLICE:
		var vs []*commonpb.AnyValue
		for _, n := range v.AsInt64Slice() {
			vs = append(vs, &commonpb.AnyValue{Value: &commonpb.AnyValue_IntValue{IntValue: n}})
		}
		return arr(vs)
	case attribute.FLOAT64SLICE:
		var vs []*commonpb.AnyValue
		for _, f := range v.AsFloat64Slice() {
			vs = append(vs, &commonpb.AnyValue{Value: &commonpb.AnyValue_DoubleValue{DoubleValue: f}})
		}
		return arr(vs)
	case attribute.STRINGSLICE:
		var vs []*commonpb.AnyValue
		for _, s := range v.AsStringSlice() {
			vs = append(vs, &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: s}})
		}
		return arr(vs)
	}
	return &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: v.Emit()}}
}

func arr(vs []*commonpb.AnyValue) *commonpb.AnyValue {
	return &commonpb.AnyValue{Value: &commonpb.AnyValue_ArrayValue{ArrayValue: &commonpb.ArrayValue{Values: vs}}}
}
