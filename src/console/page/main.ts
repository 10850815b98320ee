import type { ConsoleEventMap } from "../events.ts";
import { followEvents, getAccess, getJson, session, Unauthorized } from "./api.ts";
import { Charts } from "./charts.ts";
import { byId } from "./dom.ts";
import { renderKeys } from "./keys.ts";
import { renderProviders, renderSummary } from "./overview.ts";
import { Playground } from "./playground.ts";
import { RequestTable } from "./requests.ts";
import type { KeysAnswer, Overview } from "./types.ts";

/**
 * Framed by another page (clickjacking): nothing runs. Bun serves this page itself, so no
 * X-Frame-Options or frame-ancestors header can say it; a framed copy shows why, and asks for no key.
 */
const isFramed = (() => {
  try {
    return window.top !== window.self;
  } catch {
    return true;
  }
})();

const TABS = ["overview", "requests", "keys", "playground"] as const;
type Tab = (typeof TABS)[number];

const status = (text: string) => void (byId("status").textContent = text);

function showTab(tab: Tab): void {
  for (const name of TABS) byId(name).hidden = name !== tab;
  for (const a of document.querySelectorAll<HTMLAnchorElement>("#tabs a")) {
    if (a.dataset.tab === tab) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
}

const tabOfHash = (): Tab => {
  const name = location.hash.slice(1);
  return (TABS as readonly string[]).includes(name) ? (name as Tab) : "overview";
};

function askForKey(message?: string): void {
  for (const name of TABS) byId(name).hidden = true;
  byId("tabs").hidden = true;
  const form = byId<HTMLFormElement>("signin");
  form.hidden = false;
  const error = byId("signin-error");
  error.hidden = !message;
  error.textContent = message ?? "";
  byId<HTMLInputElement>("signin-key").focus();
}

/** The page once signed in: built once, however often the key is asked for again (a second sign-in reuses it). */
interface Mounted {
  overview: Overview;
  charts: Charts;
  table: RequestTable;
  playground: Playground;
}
let mounted: Mounted | undefined;

async function start(): Promise<void> {
  let overview: Overview;
  try {
    const access = await getAccess();
    if (!access.signedIn) return askForKey(session.adminKey ? "That key was refused." : undefined);
    overview = await getJson<Overview>("overview");
  } catch (error) {
    if (error instanceof Unauthorized) return askForKey(session.adminKey ? "That key was refused." : undefined);
    status(`cannot reach the gateway: ${error instanceof Error ? error.message : String(error)}`);
    return;
  }
  byId("signin").hidden = true;
  byId("tabs").hidden = false;
  if (mounted === undefined) mounted = mount(overview);
  else {
    mounted.overview = overview;
    renderProviders(overview);
    mounted.playground.update(overview);
    showTab(tabOfHash());
  }
  await follow(mounted);
}

/** The overview read again, and what shows it. */
const refreshOverview = (app: Mounted): Promise<void> =>
  getJson<Overview>("overview").then((o) => {
    app.overview = o;
    renderProviders(o);
    app.playground.update(o);
  }).catch(() => undefined);

/** The tabs, their charts and timers: once. */
function mount(overview: Overview): Mounted {
  const charts = new Charts(byId("charts"), overview.windowS);
  const table = new RequestTable(overview.ringCapacity);
  const playground = new Playground();
  const app: Mounted = { overview, charts, table, playground };
  renderProviders(overview);
  renderSummary(overview, []);
  playground.update(overview);
  byId<HTMLInputElement>("split").addEventListener("change", (e) => (charts.byModel = (e.target as HTMLInputElement).checked));

  const refreshKeys = async () => renderKeys(await getJson<KeysAnswer>("keys"));
  const open = (tab: Tab) => {
    showTab(tab);
    if (tab === "overview") charts.draw();
    if (tab === "keys") void refreshKeys().catch(() => undefined);
  };
  window.addEventListener("hashchange", () => open(tabOfHash()));
  open(tabOfHash());

  // Health and models change slowly: the overview is re-read every 15 s, and when the feed connects
  // again (a restarted gateway: its uptime, providers and models); keys every 5 s when shown.
  setInterval(() => void refreshOverview(app), 15_000);
  setInterval(() => {
    if (!byId("keys").hidden) void refreshKeys().catch(() => undefined);
  }, 5_000);
  return app;
}

/** The live feed, until it ends or the key stops being accepted. */
async function follow(app: Mounted): Promise<void> {
  const { charts, table } = app;
  let reconnecting = false;
  const stop = new AbortController();
  await followEvents(
    ({ event, data }) => {
      if (event === "snapshot") {
        const snap = JSON.parse(data) as ConsoleEventMap["snapshot"];
        table.reset(snap.requests);
        charts.add(snap.series, snap.now);
      } else if (event === "requests") {
        table.add(JSON.parse(data) as ConsoleEventMap["requests"]);
      } else if (event === "tick") {
        const tick = JSON.parse(data) as ConsoleEventMap["tick"];
        charts.add(tick.points, tick.now);
        charts.draw();
        renderSummary(app.overview, table.records, charts.lastMinute());
      }
    },
    (connected) => {
      status(connected ? "live" : "reconnecting…");
      // A feed that comes back may be another process (a restart): its overview, not the last one's (a probe: 15 s stale).
      if (connected && reconnecting) void refreshOverview(app);
      reconnecting ||= !connected;
    },
    stop.signal,
  ).catch((error) => {
    if (error instanceof Unauthorized) {
      stop.abort();
      askForKey("The admin key is no longer accepted.");
    }
  });
}

if (isFramed) {
  // Another page framed this one: show why, run nothing, ask for no key.
  status("The console does not run inside another page: open it in its own tab.");
} else {
  byId<HTMLFormElement>("signin").addEventListener("submit", (event) => {
    event.preventDefault();
    session.adminKey = byId<HTMLInputElement>("signin-key").value.trim();
    void start();
  });
  void start();
}
