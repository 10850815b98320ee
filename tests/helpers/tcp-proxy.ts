import type { Socket } from "bun";

export interface TcpProxy {
  /** `host:port` to connect to instead of the target. */
  address: string;
  /** Ends the connections whose bytes sent so far (their first 4 KiB) `sent` picks. */
  drop(sent: (text: string) => boolean): void;
  /** While true, connections are ended as soon as they open (a Redis at `maxclients` answers so). */
  refusing: boolean;
  /** While set, a connection that sends bytes it picks is ended a few ms after they went on (a proxy that ends pub/sub connections). */
  ending: ((text: string) => boolean) | undefined;
  /**
   * The connections open so far forward nothing more, either way, and stay open (a network path
   * that drops packets: half-open connections nobody closes); new ones work.
   */
  freeze(): void;
  /** Connections opened so far, refused ones included. */
  readonly opened: number;
  stop(): void;
}

interface Link {
  upstream?: Socket<Link>;
  /** Bytes from the client not yet sent on (the upstream is connecting, or this connection is held). */
  pending: Uint8Array[];
  held: boolean;
  /** `freeze()`: what either side sends goes nowhere. */
  frozen: boolean;
  closed: boolean;
  /** The first 4 KiB the client sent, as text. */
  sent: string;
}

/**
 * A TCP proxy on 127.0.0.1 to `targetPort`. A client's bytes in which `holdOn` finds what it looks
 * for (a command's name, say; each read is looked at on its own) are held `holdMs` before they go
 * on, with what that connection sends after them: that command lags, the rest do not.
 */
export async function tcpProxy(
  targetPort: number,
  options: { holdMs: number; holdOn: (text: string) => boolean } = { holdMs: 0, holdOn: () => false },
): Promise<TcpProxy> {
  const clients = new Set<Socket<Link>>();
  const timers = new Set<Timer>();
  const decoder = new TextDecoder();
  let opened = 0;
  const flush = (link: Link) => {
    if (link.held || link.frozen || !link.upstream) return;
    for (const bytes of link.pending) link.upstream.write(bytes);
    link.pending = [];
  };
  const server = Bun.listen<Link>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      async open(client) {
        opened++;
        const link: Link = { pending: [], held: false, frozen: false, closed: false, sent: "" };
        client.data = link;
        if (proxy.refusing) return void client.end();
        clients.add(client);
        try {
          link.upstream = await Bun.connect<Link>({
            hostname: "127.0.0.1",
            port: targetPort,
            socket: {
              data: (_upstream, bytes) => void (link.frozen || client.write(bytes)),
              close: () => void client.end(),
              error: () => void client.end(),
            },
          });
        } catch {
          client.end(); // the target is away: so is this connection
          return;
        }
        if (link.closed) link.upstream.end(); // the client left while this connected
        else flush(link);
      },
      data(client, bytes) {
        const link = client.data;
        if (link.frozen) return;
        link.pending.push(new Uint8Array(bytes));
        const text = decoder.decode(bytes);
        if (link.sent.length < 4096) link.sent += text.slice(0, 4096 - link.sent.length);
        if (!link.held && options.holdOn(text)) {
          link.held = true;
          const timer = setTimeout(() => {
            timers.delete(timer);
            link.held = false;
            flush(link);
          }, options.holdMs);
          timers.add(timer);
        }
        flush(link);
        if (proxy.ending?.(text)) setTimeout(() => client.end(), 5);
      },
      close(client) {
        clients.delete(client);
        client.data.closed = true;
        client.data.upstream?.end();
      },
      error(client) {
        client.data.closed = true;
        client.data.upstream?.end();
      },
    },
  });
  const proxy: TcpProxy = {
    refusing: false,
    ending: undefined,
    get opened() {
      return opened;
    },
    address: `127.0.0.1:${server.port}`,
    freeze() {
      for (const client of clients) client.data.frozen = true;
    },
    drop(sent) {
      for (const client of clients) if (sent(client.data.sent)) client.end();
    },
    stop() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      for (const client of clients) client.end();
      server.stop(true);
    },
  };
  return proxy;
}
