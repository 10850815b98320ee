import { RedisClient } from "bun";
import { within } from "../deadline.ts";
import { StateUnavailableError } from "../errors.ts";
import { REDIS_TIMEOUT_DEFAULT_MS } from "../config.ts";
import type { KeyLimits } from "../keys/key-store.ts";
import type { Logger } from "../logger.ts";
import type { RedisHang } from "../redis-hang.ts";
import { RedisClock } from "./redis-clock.ts";
import { isUnreachable } from "./redis-errors.ts";
import { InProcessState, requestsCounter, type Admitted, type Lane, type LimitState, type StateHealth, type Usage, type Verdict } from "./limit-state.ts";
import { DAY_MS, MINUTE_MS, untilWindowEnd, windowId } from "./windows.ts";

/**
 * Checks every limit and counts the request in one atomic step. KEYS: this minute's requests and
 * tokens, this day's tokens (one {hash tag} per key name, so a Redis Cluster keeps them in one slot).
 * ARGV: rpm, tpm, tokens per day (0 = no such limit), the minute key's lifetime (ms), then the
 * time by Redis's clock (ms since the epoch, 0 for none: redis-clock.ts) after which the caller no
 * longer waits for the answer: a command Redis runs only after that (it hung, and ran what was
 * queued once it came back) counts nothing, for the caller already answered without it (4). The
 * answer ends with Redis's time (0 without a deadline): the caller's next reading of its clock.
 */
const ADMIT = `
local now = 0
local deadline = tonumber(ARGV[5])
if deadline > 0 then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  if now > deadline then return {4, 0, 0, 0, now} end
end
local req = tonumber(redis.call('GET', KEYS[1]) or '0')
local tok = tonumber(redis.call('GET', KEYS[2]) or '0')
local day = tonumber(redis.call('GET', KEYS[3]) or '0')
local rpm, tpm, tpd = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
if tpd > 0 and day >= tpd then return {3, req, tok, day, now} end
if tpm > 0 and tok >= tpm then return {2, req, tok, day, now} end
if rpm > 0 and req >= rpm then return {1, req, tok, day, now} end
req = redis.call('INCR', KEYS[1])
if req == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[4]) end
return {0, req, tok, day, now}`;

/** Adds a request's tokens to the minute and the day. KEYS: minute, day; ARGV: tokens, lifetimes. */
const ADD_TOKENS = `
local n = tonumber(ARGV[1])
if redis.call('INCRBY', KEYS[1], n) == n then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
if redis.call('INCRBY', KEYS[2], n) == n then redis.call('PEXPIRE', KEYS[2], ARGV[3]) end
return 0`;

const VERDICTS: Verdict[] = ["ok", "rpm", "tpm", "day"];
/** The script's answer for a command run after its caller's deadline. */
const TOO_LATE = 4;
const sha1 = (text: string) => new Bun.CryptoHasher("sha1").update(text).digest("hex");
/** Keys outlive their window a little, for replicas whose clocks are slightly behind. */
const GRACE_MS = 5_000;
const WARN_EVERY_MS = 60_000;
/** What a reply error to each command costs (an admission's: its mode's). */
const REFUSED_EFFECT: Record<string, string> = { tokens: "those tokens were not counted", usage: "read from this replica's counters" };
const PROBE_EVERY_MS = 500;
/** Why limits are not shared while another connection waits on a hung Redis. */
const unansweredElsewhere = Object.assign(new Error("a command went unanswered"), { code: "ETIMEDOUT" });

/**
 * Limits in Redis, shared by every replica. One round trip per request (the admit script, by its
 * SHA); tokens are added after the answer without waiting. While Redis is unreachable: `open`
 * counts in this process (warning at most once a minute, `/health` degraded), `closed` refuses
 * with 503 `state_unavailable`; a command unanswered after `timeoutMs` (a Redis that hangs keeps the
 * connection open) counts as unreachable. A probe brings it back without a restart. A reply error
 * (a bad argument, a key of another type) fails that one command as if Redis were away, and is
 * logged; it says nothing of Redis, so the other keys are still counted there (redis-errors.ts).
 */
export class RedisState implements LimitState {
  #client: RedisClient;
  readonly #url: string;
  readonly #local = new InProcessState();
  readonly #admitSha = sha1(ADMIT);
  readonly #tokensSha = sha1(ADD_TOKENS);
  readonly #clock = new RedisClock();
  #down: string | undefined = "not connected yet";
  #lastWarn = -Infinity;
  #lastLateWarn = -Infinity;
  #lastRefusedWarn = -Infinity;
  #timeRefused = false;
  #probe: ReturnType<typeof setInterval> | undefined;
  #isProbing = false;
  #closed = false;

  constructor(
    url: string,
    private readonly mode: "open" | "closed",
    private readonly logger: Logger,
    private readonly timeoutMs: number = REDIS_TIMEOUT_DEFAULT_MS,
    /** The process's other connections to this Redis: a command one left unanswered is taken as this one's (redis-hang.ts). */
    private readonly hang?: RedisHang,
  ) {
    this.#url = url;
    this.#client = RedisState.#open(url, timeoutMs);
  }

  /** Fail fast while disconnected (no offline queue): a request must not wait for Redis to return. A connection may take `timeoutMs`. */
  static #open(url: string, timeoutMs: number): RedisClient {
    return new RedisClient(url, { enableOfflineQueue: false, autoReconnect: true, connectionTimeout: timeoutMs });
  }

  /** Connects (at most `waitMs`, REDIS_TIMEOUT_MS by default); a Redis that is not there yet leaves the state degraded, not start-up failed. */
  async start(waitMs = this.timeoutMs): Promise<void> {
    // A reconnecting client's connect() never settles while Redis refuses the connection (Bun 1.4):
    // a one-shot connection says so at once, so that start-up does not wait `waitMs` for nothing.
    const once = new RedisClient(this.#url, { enableOfflineQueue: false, autoReconnect: false, connectionTimeout: waitMs });
    const refused = once.connect().then(
      () => new Promise<boolean>(() => once.close()), // Redis is there: the reconnecting client's own connect() answers
      () => false,
    );
    const connected = await Promise.race([this.#client.connect().then(() => true, () => false), refused, Bun.sleep(waitMs).then(() => false)]);
    once.close();
    if (!connected) return this.#markDown(new Error("cannot connect to Redis"));
    try {
      await this.#readClock();
      this.#up();
    } catch (error) {
      this.#markDown(error);
    }
  }

  async admit(key: string, limits: KeyLimits, now: number, lane: Lane = "call"): Promise<Admitted> {
    if (this.#isUp()) {
      const minute = windowId(now, MINUTE_MS);
      const day = windowId(now, DAY_MS);
      const tag = `ollaix:{key:${key}}`;
      // A token count: its own requests counter, no token limit (the tokens are still read, for the headers).
      const tokensLimited = lane === "call";
      // The moment #send stops waiting, in Redis's time: a command it runs later counts nothing.
      const giveUpAt = Date.now() + this.timeoutMs;
      const args = [
        "3", `${tag}:${requestsCounter(lane)}:${minute}`, `${tag}:tpm:${minute}`, `${tag}:tpd:${day}`,
        String(limits.rpm ?? 0), String(tokensLimited ? (limits.tpm ?? 0) : 0), String(tokensLimited ? (limits.tokensPerDay ?? 0) : 0),
        String(untilWindowEnd(now, MINUTE_MS) + GRACE_MS), String(this.#clock.deadline(giveUpAt, this.timeoutMs / 2)),
      ];
      try {
        const [verdict, requests, minuteTokens, dayTokens, redisNow] = (await this.#eval(this.#admitSha, ADMIT, args)) as number[];
        if (redisNow) this.#clock.heard(redisNow, Date.now());
        if (verdict !== TOO_LATE) return { verdict: VERDICTS[verdict!] ?? "ok", requests: requests!, minuteTokens: minuteTokens!, dayTokens: dayTokens! };
        // Answered, but Redis ran it after the gateway would have stopped waiting: nothing was
        // counted, so this request goes as if Redis were away (Redis nearly as slow as the time-out, or
        // a clock stepped since the last reading, which this answer replaced). Redis itself answers.
        this.#warnLate();
      } catch (error) {
        if (isUnreachable(error)) this.#markDown(error);
        else this.#warnRefused("admission", error);
      }
    }
    if (this.mode === "closed") throw new StateUnavailableError("The gateway's shared state is unavailable; please retry shortly.");
    return this.#local.admit(key, limits, now, lane);
  }

  #warnLate(): void {
    const now = Date.now();
    if (now - this.#lastLateWarn < WARN_EVERY_MS) return;
    this.#lastLateWarn = now;
    this.logger.warn("Redis ran an admission only after the gateway's REDIS_TIMEOUT_MS, by its clock: not counted there", {
      failure_mode: this.mode,
      effect: this.mode === "open" ? "that request was counted in this replica" : "that request got 503",
    });
  }

  /** A reply error: that command failed, Redis did not (the error names no URL, and no key's secret). */
  #warnRefused(what: "admission" | "tokens" | "usage", error: unknown): void {
    const now = Date.now();
    if (now - this.#lastRefusedWarn < WARN_EVERY_MS) return;
    this.#lastRefusedWarn = now;
    this.logger.warn(`Redis refused a limits command (${what})`, {
      error: error instanceof Error ? error.message : String(error),
      effect: REFUSED_EFFECT[what] ?? (this.mode === "open" ? "that request was counted in this replica" : "that request got 503"),
    });
  }

  addTokens(key: string, tokens: number, now: number): void {
    if (tokens <= 0) return;
    if (!this.#isUp()) {
      if (this.mode === "open") this.#local.addTokens(key, tokens, now);
      return;
    }
    const tag = `ollaix:{key:${key}}`;
    const args = [
      "2", `${tag}:tpm:${windowId(now, MINUTE_MS)}`, `${tag}:tpd:${windowId(now, DAY_MS)}`,
      String(tokens), String(untilWindowEnd(now, MINUTE_MS) + GRACE_MS), String(untilWindowEnd(now, DAY_MS) + 60_000),
    ];
    // Not awaited: the answer is already on its way; concurrent commands share the connection.
    this.#eval(this.#tokensSha, ADD_TOKENS, args).catch((error: unknown) => {
      if (isUnreachable(error)) this.#markDown(error);
      else this.#warnRefused("tokens", error);
      if (this.mode === "open") this.#local.addTokens(key, tokens, now);
    });
  }

  async usage(key: string, now: number): Promise<Usage> {
    if (this.#isUp()) {
      const tag = `ollaix:{key:${key}}`;
      const minute = windowId(now, MINUTE_MS);
      try {
        const values = (await this.#send("MGET", [`${tag}:rpm:${minute}`, `${tag}:tpm:${minute}`, `${tag}:tpd:${windowId(now, DAY_MS)}`])) as (string | null)[];
        const [requests, minuteTokens, dayTokens] = values.map((v) => Number(v ?? 0));
        return { requests: requests!, minuteTokens: minuteTokens!, dayTokens: dayTokens! };
      } catch (error) {
        if (isUnreachable(error)) this.#markDown(error);
        else this.#warnRefused("usage", error);
      }
    }
    return this.#local.usage(key, now);
  }

  /** Whether to send Redis commands: not while it is away, nor while another connection of this process waits on a hung Redis. */
  #isUp(): boolean {
    if (this.#down === undefined && this.hang?.isHanging) this.#markDown(unansweredElsewhere);
    return this.#down === undefined;
  }

  health(): StateHealth {
    // A replica that sent nothing while Redis was away has not noticed yet: the connection tells.
    if (this.#down === undefined && !this.#client.connected) this.#markDown(new Error("connection lost"));
    if (this.#down === undefined) return { status: "ok" };
    const effect = this.mode === "open" ? "limits are counted per replica" : "requests of keys with limits get 503 state_unavailable";
    return { status: "degraded", reason: `Redis unreachable (${this.#down}); ${effect}` };
  }

  close(): void {
    this.#closed = true;
    clearInterval(this.#probe);
    this.#client.close();
  }

  /**
   * One command, failing once it goes `timeoutMs` unanswered. The connection that left it
   * unanswered is replaced (a path that drops packets leaves it open, and dead, for many minutes):
   * the probe connects the new one.
   */
  #send(command: string, args: string[]): Promise<unknown> {
    const client = this.#client;
    return within(client.send(command, args), this.timeoutMs, () => {
      if (this.#client === client && !this.#closed) {
        client.close();
        this.#client = RedisState.#open(this.#url, this.timeoutMs);
      }
      this.hang?.unanswered();
      return Object.assign(new Error(`no answer within ${this.timeoutMs} ms`), { code: "ETIMEDOUT" });
    });
  }

  /** EVALSHA, and EVAL the first time (or after Redis restarted without the script). */
  async #eval(sha: string, script: string, args: string[]): Promise<unknown> {
    try {
      return await this.#send("EVALSHA", [sha, ...args]);
    } catch (error) {
      if (!String((error as Error)?.message).includes("NOSCRIPT")) throw error;
      return this.#send("EVAL", [script, ...args]);
    }
  }

  #markDown(error: unknown): void {
    const reason = (error as { code?: string })?.code ?? (error instanceof Error ? error.message : String(error));
    this.#down = reason;
    const now = Date.now();
    if (now - this.#lastWarn >= WARN_EVERY_MS) {
      this.#lastWarn = now;
      this.logger.warn("Redis unreachable", {
        reason,
        failure_mode: this.mode,
        effect: this.mode === "open" ? "limits are counted per replica" : "requests of keys with limits get 503",
      });
    }
    if (this.#probe === undefined && !this.#closed) {
      this.#probe = setInterval(() => void this.#tryAgain(), PROBE_EVERY_MS);
      this.#probe.unref();
    }
  }

  async #tryAgain(): Promise<void> {
    if (this.#isProbing) return; // a hung Redis: one unanswered PING at a time
    this.#isProbing = true;
    try {
      if (!this.#client.connected) await within(this.#client.connect(), this.timeoutMs, () => new Error(`no connection within ${this.timeoutMs} ms`));
      await this.#readClock();
      this.#up();
    } catch {
      // Still away; the next probe tries again.
    } finally {
      this.#isProbing = false;
    }
  }

  /**
   * Redis's TIME: an answer (Redis is back) and a reading of its clock, so the first admissions
   * after it carry a deadline in Redis's time. A Redis that refuses TIME (an ACL, a proxy) answers
   * too: admissions then go without a deadline, as its clock cannot be read (warned once).
   */
  async #readClock(): Promise<void> {
    try {
      const [seconds, micros] = (await this.#send("TIME", [])) as [string, string];
      this.#clock.heard(Number(seconds) * 1000 + Math.floor(Number(micros) / 1000), Date.now());
    } catch (error) {
      if (isUnreachable(error)) throw error;
      if (this.#timeRefused) return;
      this.#timeRefused = true;
      this.logger.warn("Redis refused TIME: limits are counted without the guard against admissions a hung Redis runs late", { error: error instanceof Error ? error.message : String(error) });
    }
  }

  #up(): void {
    if (this.#down !== undefined && this.#down !== "not connected yet") this.logger.info("Redis reachable again; limits are shared");
    // Loaded up front so EVALSHA finds them: a NOSCRIPT fallback would reorder a token update
    // behind the next admission. Sent before any admission on this connection, so they come first.
    for (const script of [ADMIT, ADD_TOKENS]) this.#client.send("SCRIPT", ["LOAD", script]).catch(() => undefined);
    this.#down = undefined;
    this.hang?.answered(); // Redis answered this process: the other connections may ask it again
    clearInterval(this.#probe);
    this.#probe = undefined;
  }
}
