import { byId, count, h, ms } from "./dom.ts";
import { readStreamEvent, SURFACE_LABELS, toPlaygroundRequest, type Surface, type Turn } from "./playground-surfaces.ts";
import { readSse } from "./sse-parser.ts";
import type { Overview } from "./types.ts";

const API_KEY = "ollaix.console.apiKey";

/** Streams a conversation with any model through the gateway's own public routes. */
export class Playground {
  #turns: Turn[] = [];
  #abort: AbortController | undefined;
  readonly #model = byId<HTMLSelectElement>("play-model");
  readonly #surface = byId<HTMLSelectElement>("play-surface");
  readonly #message = byId<HTMLTextAreaElement>("play-message");
  readonly #log = byId("play-log");
  readonly #stats = byId("play-stats");

  constructor() {
    const form = byId<HTMLFormElement>("play-form");
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      void this.send();
    });
    this.#message.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) form.requestSubmit();
    });
    byId("play-stop").addEventListener("click", () => this.#abort?.abort());
    byId("play-clear").addEventListener("click", () => {
      this.#abort?.abort();
      this.#turns = [];
      this.#log.replaceChildren();
      this.#stats.textContent = "";
    });
    const key = byId<HTMLInputElement>("play-key");
    key.value = sessionStorage.getItem(API_KEY) ?? "";
    key.addEventListener("change", () => sessionStorage.setItem(API_KEY, key.value));
  }

  /** Fills the model and surface lists from the overview; keeps the current choice when it still exists. */
  update(overview: Overview): void {
    const current = this.#model.value;
    const option = (id: string) => h("option", { value: id, selected: id === current }, id);
    this.#model.replaceChildren(
      // Routes first: what clients are told to call.
      ...(overview.routes.length > 0 ? [h("optgroup", { label: "routes" }, ...overview.routes.map(option))] : []),
      ...overview.providers.filter((p) => p.models.length > 0).map((p) => h("optgroup", { label: p.name }, ...p.models.map((m) => option(m.id)))),
    );
    const surface = this.#surface.value;
    this.#surface.replaceChildren(...overview.surfaces.map((s) => h("option", { value: s, selected: s === surface }, SURFACE_LABELS[s])));
    byId("play-key-label").hidden = !overview.apiKeyRequired;
  }

  async send(): Promise<void> {
    const text = this.#message.value.trim();
    if (!text || this.#abort) return;
    const surface = this.#surface.value as Surface;
    const temperatureText = byId<HTMLInputElement>("play-temperature").value;
    this.#turns.push({ role: "user", content: text });
    this.#message.value = "";
    this.#log.append(h("div", { class: "msg user" }, h("small", null, "you"), text));
    const answer = h("div", { class: "msg assistant", "data-answer": "" }, h("small", null, `${this.#model.value} · ${surface}`));
    const body = h("span", { class: "answer-text" });
    answer.append(body);
    this.#log.append(answer);

    const request = toPlaygroundRequest(
      surface,
      { model: this.#model.value, system: byId<HTMLTextAreaElement>("play-system").value, temperature: temperatureText === "" ? undefined : Number(temperatureText), turns: this.#turns },
      byId<HTMLInputElement>("play-key").value.trim(),
    );
    const abort = (this.#abort = new AbortController());
    this.#busy(true);
    const started = performance.now();
    let ttft: number | undefined;
    let reply = "";
    const usage = { input: null as number | null, output: null as number | null };
    let failure: string | undefined;
    this.#stats.textContent = "waiting…";
    try {
      const response = await fetch(request.path, {
        method: "POST",
        headers: { "content-type": "application/json", ...request.headers },
        body: JSON.stringify(request.body),
        signal: abort.signal,
      });
      if (!response.ok || !response.body) {
        const error = (await response.json().catch(() => null)) as { error?: { message?: string } } | null;
        throw new Error(`HTTP ${response.status}: ${error?.error?.message ?? response.statusText}`);
      }
      await readSse(response.body, ({ event, data }) => {
        const step = readStreamEvent(surface, event, data);
        if (step.text) {
          ttft ??= performance.now() - started;
          reply += step.text;
          body.textContent = reply;
        }
        if (step.usage) {
          usage.input = step.usage.input ?? usage.input;
          usage.output = step.usage.output ?? usage.output;
        }
        if (step.error) failure = step.error;
        this.#stats.textContent = `TTFT ${ms(ttft)} · streaming…`;
      });
    } catch (error) {
      failure = abort.signal.aborted ? "stopped" : error instanceof Error ? error.message : String(error);
    } finally {
      this.#abort = undefined;
      this.#busy(false);
    }
    if (reply) this.#turns.push({ role: "assistant", content: reply });
    else this.#turns.pop(); // nothing came back: the question can be asked again
    if (failure) answer.append(h("div", { class: "error" }, failure));
    const total = performance.now() - started;
    this.#stats.textContent = `TTFT ${ms(ttft)} · total ${ms(total)} · tokens in ${count(usage.input)} / out ${count(usage.output)}`;
    answer.setAttribute("data-done", failure ? "error" : "ok");
  }

  #busy(busy: boolean): void {
    byId<HTMLButtonElement>("play-send").disabled = busy;
    byId<HTMLButtonElement>("play-stop").disabled = !busy;
  }
}
