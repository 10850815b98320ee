/**
 * A fake OpenTelemetry collector: `POST /v1/traces` (or any path) in OTLP/HTTP, protobuf or JSON
 * (https://opentelemetry.io/docs/specs/otlp/#otlphttp), decoded into plain spans. The protobuf side
 * reads the wire format by field number from opentelemetry-proto's trace.proto and common.proto.
 */
export interface CollectedSpan {
  traceId: string;
  spanId: string;
  /** "" for a root span. */
  parentSpanId: string;
  name: string;
  /** SpanKind: 2 = SERVER. */
  kind: number;
  startNs: bigint;
  endNs: bigint;
  attributes: Record<string, unknown>;
  status: { code: number; message?: string };
  resource: Record<string, unknown>;
}

export interface CollectorRequest {
  path: string;
  contentType: string;
  headers: Record<string, string>;
}

export interface FakeCollector {
  url: string;
  spans: CollectedSpan[];
  requests: CollectorRequest[];
  /** Resolves with the first span `match` accepts (the exporter sends in batches, a little later). */
  waitForSpan(match: (span: CollectedSpan) => boolean, timeoutMs?: number): Promise<CollectedSpan>;
  close(): Promise<void>;
}

export function startCollector(): FakeCollector {
  const spans: CollectedSpan[] = [];
  const requests: CollectorRequest[] = [];
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(request) {
      const contentType = request.headers.get("content-type") ?? "";
      requests.push({ path: new URL(request.url).pathname, contentType, headers: Object.fromEntries(request.headers) });
      const bytes = new Uint8Array(await request.arrayBuffer());
      spans.push(...(contentType.includes("json") ? fromJson(JSON.parse(new TextDecoder().decode(bytes))) : fromProtobuf(bytes)));
      return contentType.includes("json") ? Response.json({}) : new Response(new Uint8Array(), { headers: { "content-type": "application/x-protobuf" } });
    },
  });
  return {
    url: `http://127.0.0.1:${server.port}`,
    spans,
    requests,
    async waitForSpan(match, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = spans.find(match);
        if (found) return found;
        if (Date.now() > deadline) throw new Error(`no matching span among ${spans.length}: ${spans.map((s) => s.name).join(", ")}`);
        await Bun.sleep(20);
      }
    },
    close: () => server.stop(true),
  };
}

// --- OTLP/JSON ---------------------------------------------------------------------------------
type JsonAny = { stringValue?: string; boolValue?: boolean; intValue?: string | number; doubleValue?: number; arrayValue?: { values?: JsonAny[] } };
const fromJsonValue = (v: JsonAny): unknown =>
  v.stringValue ?? v.boolValue ?? (v.intValue !== undefined ? Number(v.intValue) : undefined) ?? v.doubleValue ?? v.arrayValue?.values?.map(fromJsonValue);
const jsonAttributes = (list: { key: string; value: JsonAny }[] = []) => Object.fromEntries(list.map((kv) => [kv.key, fromJsonValue(kv.value)]));

// biome-ignore lint: the OTLP/JSON document is read loosely
function fromJson(body: any): CollectedSpan[] {
  const out: CollectedSpan[] = [];
  for (const rs of body.resourceSpans ?? []) {
    const resource = jsonAttributes(rs.resource?.attributes);
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        out.push({
          traceId: s.traceId,
          spanId: s.spanId,
          parentSpanId: s.parentSpanId ?? "",
          name: s.name,
          kind: s.kind,
          startNs: BigInt(s.startTimeUnixNano),
          endNs: BigInt(s.endTimeUnixNano),
          attributes: jsonAttributes(s.attributes),
          status: { code: s.status?.code ?? 0, message: s.status?.message },
          resource,
        });
      }
    }
  }
  return out;
}

// --- OTLP/protobuf -----------------------------------------------------------------------------
type Field = { wire: number; int?: bigint; bytes?: Uint8Array };

/** One message: field number → its occurrences (wire types 0, 1, 2, 5). */
function readMessage(buf: Uint8Array): Map<number, Field[]> {
  const fields = new Map<number, Field[]>();
  let pos = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const byte = buf[pos++]!;
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7n;
    }
  };
  while (pos < buf.length) {
    const tag = Number(varint());
    const wire = tag & 7;
    let field: Field;
    if (wire === 0) field = { wire, int: varint() };
    else if (wire === 1) {
      field = { wire, bytes: buf.subarray(pos, pos + 8) };
      pos += 8;
    } else if (wire === 2) {
      const length = Number(varint());
      field = { wire, bytes: buf.subarray(pos, pos + length) };
      pos += length;
    } else if (wire === 5) {
      field = { wire, bytes: buf.subarray(pos, pos + 4) };
      pos += 4;
    } else throw new Error(`unsupported wire type ${wire}`);
    const list = fields.get(tag >>> 3) ?? [];
    list.push(field);
    fields.set(tag >>> 3, list);
  }
  return fields;
}

const hex = (b?: Uint8Array) => (b ? Buffer.from(b).toString("hex") : "");
const text = (b?: Uint8Array) => (b ? new TextDecoder().decode(b) : "");
const fixed64 = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true);
const messages = (m: Map<number, Field[]>, n: number) => (m.get(n) ?? []).map((f) => readMessage(f.bytes!));

/** AnyValue: 1 string, 2 bool, 3 int, 4 double, 5 array. */
function anyValue(m: Map<number, Field[]>): unknown {
  if (m.has(1)) return text(m.get(1)![0]!.bytes);
  if (m.has(2)) return m.get(2)![0]!.int === 1n;
  if (m.has(3)) return Number(BigInt.asIntN(64, m.get(3)![0]!.int!));
  if (m.has(4)) {
    const b = m.get(4)![0]!.bytes!;
    return new DataView(b.buffer, b.byteOffset, 8).getFloat64(0, true);
  }
  if (m.has(5)) return messages(messages(m, 5)[0]!, 1).map(anyValue);
  return undefined;
}

/** KeyValue: 1 key, 2 value. */
const protoAttributes = (list: Map<number, Field[]>[]) =>
  Object.fromEntries(list.map((kv) => [text(kv.get(1)?.[0]?.bytes), anyValue(messages(kv, 2)[0] ?? new Map())]));

/** ExportTraceServiceRequest → ResourceSpans (1) → {Resource (1), ScopeSpans (2)} → Span (2). */
function fromProtobuf(bytes: Uint8Array): CollectedSpan[] {
  const out: CollectedSpan[] = [];
  for (const rs of messages(readMessage(bytes), 1)) {
    const resource = protoAttributes(messages(messages(rs, 1)[0] ?? new Map(), 1));
    for (const ss of messages(rs, 2)) {
      for (const s of messages(ss, 2)) {
        const status = messages(s, 15)[0];
        out.push({
          traceId: hex(s.get(1)?.[0]?.bytes),
          spanId: hex(s.get(2)?.[0]?.bytes),
          parentSpanId: hex(s.get(4)?.[0]?.bytes),
          name: text(s.get(5)?.[0]?.bytes),
          kind: Number(s.get(6)?.[0]?.int ?? 0n),
          startNs: fixed64(s.get(7)![0]!.bytes!),
          endNs: fixed64(s.get(8)![0]!.bytes!),
          attributes: protoAttributes(messages(s, 9)),
          status: { code: Number(status?.get(3)?.[0]?.int ?? 0n), message: status?.has(2) ? text(status.get(2)![0]!.bytes) : undefined },
          resource,
        });
      }
    }
  }
  return out;
}
