import { errorLabel } from "./classify.ts";
import { shownModel } from "../pipeline/outcome.ts";
import { createTraceState, diag, DiagLogLevel, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Context } from "@opentelemetry/api";
import { OTLPTraceExporter as JsonExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { OTLPTraceExporter as ProtobufExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BatchSpanProcessor, RandomIdGenerator, TracerProvider, type IdGenerator } from "@opentelemetry/sdk-trace";
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_SERVICE_NAME,
  ATTR_SERVICE_VERSION,
  ATTR_URL_PATH,
  ATTR_URL_SCHEME,
} from "@opentelemetry/semantic-conventions";
import type { Logger } from "../logger.ts";
import type { RequestOutcome } from "../pipeline/outcome.ts";
import { isTokenCount, operationOf } from "./operation.ts";
import type { OtelConfig } from "./otel-config.ts";
import type { TraceStamp } from "./trace-stamp.ts";
import type { Tracing } from "./tracing.ts";

/**
 * The ids a span gets are the ones its request was stamped with on arrival (and already sent
 * upstream in `traceparent`): `startSpan` asks the generator synchronously, right after `next` is set.
 */
class StampedIds implements IdGenerator {
  next: TraceStamp | undefined;
  readonly #random = new RandomIdGenerator();
  generateTraceId(): string {
    return this.next?.traceId ?? this.#random.generateTraceId();
  }
  generateSpanId(): string {
    return this.next?.spanId ?? this.#random.generateSpanId();
  }
}

/**
 * Whether a request's span gets an error status. HTTP's conventions for a server span: a 5xx is an
 * error, a 4xx is not (the client's: a bad key, an unknown model, a limit, a client that left), and
 * `error.type` says what it was either way. A stream that failed after its start went out as 200:
 * its failure (the upstream's) is an error unless the client left.
 */
export const isServerFailure = (o: RequestOutcome): boolean =>
  o.error !== undefined && (o.status >= 500 || (o.stream && o.streamStarted === true && o.status !== 499));

/** The GenAI semantic-convention attributes (https://opentelemetry.io/docs/specs/semconv/gen-ai/) of a request's span. */
export function spanAttributes(o: RequestOutcome, providerName: (instance: string) => string = (instance) => instance): Attributes {
  const a: Attributes = {
    [ATTR_HTTP_REQUEST_METHOD]: o.method,
    [ATTR_URL_PATH]: o.path,
    // Required on a server span (HTTP's conventions): the gateway serves plain HTTP (TLS ends before it).
    [ATTR_URL_SCHEME]: "http",
    // The status the client got: a stream that failed after its first chunk went out as 200 (its
    // failure is the stream's error event, and error.type says what it was).
    [ATTR_HTTP_RESPONSE_STATUS_CODE]: o.stream && o.streamStarted === true ? 200 : o.status,
    "ollaix.surface": o.surface,
    "ollaix.request_id": o.requestId,
    "ollaix.stream": o.stream,
  };
  // A token count is no model call of the conventions' operations: spans built into GenAI metrics must not count it as a chat.
  if (isTokenCount(o.path)) a["ollaix.operation"] = "count_tokens";
  else a["gen_ai.operation.name"] = operationOf(o);
  if (o.responseId) a["gen_ai.response.id"] = o.responseId;
  if (o.background) a["ollaix.background"] = true;
  if (o.provider) a["gen_ai.provider.name"] = providerName(o.provider);
  const requested = shownModel(o);
  if (requested) a["gen_ai.request.model"] = requested;
  if (o.target) {
    // The model the upstream said answered (a dated version), else the deployment's upstream id.
    a["gen_ai.response.model"] = o.responseModel ?? o.target.slice(o.target.indexOf("/") + 1);
    a["ollaix.target"] = o.target;
  }
  if (o.key) a["ollaix.key"] = o.key;
  if (o.usage) {
    a["gen_ai.usage.input_tokens"] = o.usage.input;
    a["gen_ai.usage.output_tokens"] = o.usage.output;
    if (o.usage.reasoning > 0) a["ollaix.usage.reasoning_tokens"] = o.usage.reasoning;
    if (o.usage.estimated) a["ollaix.usage.estimated"] = true;
  }
  if (o.finishReason) a["gen_ai.response.finish_reasons"] = [o.finishReason];
  if (o.ttftMs !== undefined) a["ollaix.time_to_first_token_ms"] = o.ttftMs;
  if (o.attempts) a["ollaix.attempts"] = o.attempts;
  if (o.error) a[ATTR_ERROR_TYPE] = errorLabel(o.error);
  return a;
}

/**
 * The endpoint as logs show it: its query string (a collector's key may ride there, `?api_key=…`)
 * as `?…`. Credentials before the host are refused at start-up (otel-config.ts).
 */
export function shownEndpoint(url: string): string {
  const at = url.search(/[?#]/);
  return at < 0 ? url : `${url.slice(0, at)}${url[at]}…`;
}

export function createOtelTracing(
  config: OtelConfig,
  logger: Logger,
  serviceVersion: string,
  /** An instance's `gen_ai.provider.name` (Provider.genAiProviderName, else its name). */
  providerName?: (instance: string) => string,
): Tracing {
  // The SDK reports export failures through `diag`; send them to our log (warn), never a header value, nor the URL's query.
  const query = config.url.search(/[?#]/) < 0 ? undefined : config.url.slice(config.url.search(/[?#]/));
  const clean = (message: unknown): string => (query === undefined ? String(message) : String(message).replaceAll(query, "?…"));
  diag.setLogger(
    {
      error: (message) => logger.warn("trace export failed", { detail: clean(message) }),
      warn: (message) => logger.warn("trace export problem", { detail: clean(message) }),
      info: () => undefined,
      debug: () => undefined,
      verbose: () => undefined,
    },
    DiagLogLevel.WARN,
  );
  const exporterConfig = { url: config.url, headers: config.headers };
  const exporter = config.protocol === "http/json" ? new JsonExporter(exporterConfig) : new ProtobufExporter(exporterConfig);
  const ids = new StampedIds();
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: config.serviceName, [ATTR_SERVICE_VERSION]: serviceVersion }),
    idGenerator: ids,
    spanProcessors: [new BatchSpanProcessor({ exporter, scheduledDelayMillis: config.scheduleDelayMs })],
  });
  const tracer = provider.getTracer("ollaix", serviceVersion);
  const origin = performance.timeOrigin;
  logger.info("tracing on", { endpoint: shownEndpoint(config.url), protocol: config.protocol, service: config.serviceName });

  return {
    observe(o) {
      const stamp = o.trace;
      if (!stamp) return;
      let parent: Context = ROOT_CONTEXT;
      if (stamp.parentSpanId) {
        parent = trace.setSpanContext(ROOT_CONTEXT, {
          traceId: stamp.traceId,
          spanId: stamp.parentSpanId,
          traceFlags: stamp.flags === "01" ? 1 : 0,
          isRemote: true,
          traceState: stamp.traceState ? createTraceState(stamp.traceState) : undefined,
        });
      }
      const operation = isTokenCount(o.path) ? "count_tokens" : operationOf(o);
      ids.next = stamp;
      let span;
      try {
        span = tracer.startSpan(
          shownModel(o) ? `${operation} ${shownModel(o)}` : operation,
          { kind: SpanKind.SERVER, startTime: origin + o.startedAt, attributes: spanAttributes(o, providerName) },
          parent,
        );
      } finally {
        ids.next = undefined;
      }
      if (isServerFailure(o)) span.setStatus({ code: SpanStatusCode.ERROR, message: errorLabel(o.error!) });
      span.end(origin + o.startedAt + o.durationMs);
    },
    async shutdown() {
      await provider.shutdown();
    },
  };
}
