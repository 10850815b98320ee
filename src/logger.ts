import { writeSync } from "node:fs";

/** JSON-lines logger. One place redacts secrets, so no log line can carry a key. */
export type LogLevel = "debug" | "info" | "warn" | "error";
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line (e.g. `request_id`, `plugin`). */
  child(fields: LogFields): Logger;
  isEnabled(level: LogLevel): boolean;
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface LoggerOptions {
  level: LogLevel;
  /** Applied to every line: removes secrets (see SecretList). */
  redact?: (text: string) => string;
  write?: (line: string) => void;
}

/**
 * Values that must never be printed or echoed (API keys, provider keys). Plugins loaded later add
 * theirs, so the list grows; `redact` always reads the current list.
 */
export class SecretList {
  #list: string[] = [];

  add(...values: (string | undefined)[]): void {
    for (const value of values) {
      // Very short values would redact ordinary words; keys are never that short.
      if (value && value.length >= 4 && !this.#list.includes(value)) this.#list.push(value);
    }
    // Longest first, so a key that contains another key is removed whole.
    this.#list.sort((a, b) => b.length - a.length);
  }

  readonly redact = (text: string): string => {
    for (const secret of this.#list) if (text.includes(secret)) text = text.split(secret).join("***");
    return text;
  };
}

export function createLogger(options: LoggerOptions, base: LogFields = {}): Logger {
  const min = RANK[options.level];
  const redact = options.redact ?? ((text: string) => text);
  const write = options.write ?? bufferedStdout();
  const hasObjects = hasObjectValues(base);
  const emit = (level: LogLevel, msg: string, fields?: LogFields) => {
    if (RANK[level] < min) return;
    const record = { time: isoNow(), level, msg, ...base, ...fields };
    // The replacer (for Error values) makes JSON.stringify several times slower: only when needed.
    const json = hasObjects || (fields !== undefined && hasObjectValues(fields)) ? JSON.stringify(record, errorReplacer) : JSON.stringify(record);
    write(redact(json) + "\n");
  };
  return {
    debug: (msg, fields) => emit("debug", msg, fields),
    info: (msg, fields) => emit("info", msg, fields),
    warn: (msg, fields) => emit("warn", msg, fields),
    error: (msg, fields) => emit("error", msg, fields),
    child: (fields) => createLogger(options, { ...base, ...fields }),
    isEnabled: (level) => RANK[level] >= min,
  };
}

let stdoutWriter: ((line: string) => void) | undefined;

/**
 * Lines written to stdout once per turn of the event loop instead of once each: a write is a
 * system call (≈ 15 µs here), a request line costs ≈ 1 µs to build. Whatever is pending is written
 * synchronously when the process exits.
 */
function bufferedStdout(): (line: string) => void {
  if (stdoutWriter) return stdoutWriter;
  let pending = "";
  let isScheduled = false;
  const flush = () => {
    isScheduled = false;
    if (pending === "") return;
    const text = pending;
    pending = "";
    process.stdout.write(text);
  };
  process.on("exit", () => {
    if (pending === "") return;
    try {
      writeSync(1, pending);
    } catch {
      // stdout is gone (a closed pipe): nobody is left to read the last lines.
    }
    pending = "";
  });
  return (stdoutWriter = (line: string) => {
    pending += line;
    if (pending.length >= 65_536) flush();
    else if (!isScheduled) {
      isScheduled = true;
      setImmediate(flush);
    }
  });
}

function hasObjectValues(fields: LogFields): boolean {
  for (const key in fields) {
    const value = fields[key];
    if (typeof value === "object" && value !== null) return true;
  }
  return false;
}

/** `new Date().toISOString()`, made once per millisecond: busy servers log many lines per ms. */
let lastMs = 0;
let lastIso = "";
function isoNow(): string {
  const now = Date.now();
  if (now !== lastMs) {
    lastMs = now;
    lastIso = new Date(now).toISOString();
  }
  return lastIso;
}

/** Errors are not plain objects; print what helps an operator. */
function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) {
    const out: Record<string, unknown> = { name: value.name, message: value.message };
    const code = (value as { code?: unknown }).code;
    if (code !== undefined) out.code = code;
    if (value.stack) out.stack = value.stack;
    if (value.cause !== undefined) out.cause = value.cause;
    return out;
  }
  return value;
}
