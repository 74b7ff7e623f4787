// SPDX-License-Identifier: Apache-2.0
/**
 * The Prometheus endpoint (`lvsd run --metrics ADDR:PORT`, or `lvsd_metrics` in global_defs),
 * served by the supervisor for every worker: on each scrape it asks each running worker for its
 * snapshot over the worker's control socket (`status`, the same request `lvsd status` makes),
 * maps the snapshots to metric families (src/metrics/, pure) and renders them with prom-client.
 *
 * Why the supervisor pulls snapshots instead of each worker keeping a prom-client registry: the
 * VRRP worker then does nothing for metrics between scrapes and, per scrape, only what `lvsd
 * status` costs it (one snapshot of counters it keeps anyway, written to a socket); no registry,
 * no label lookups and no serialisation of the exposition on the event loop that runs the VRRP
 * timers. A worker that does not answer within the deadline is reported as `lvsd_worker_up 0`
 * and the scrape goes on without its series.
 */
import type * as Http from 'node:http';
import type { LvsWorkerSnapshot } from '../check/status.js';
import type { Logger } from '../core/log.js';
import { listenText, type ListenAddress } from '../core/listen.js';
import { LVSD_VERSION } from '../core/version.js';
import type { MetricFamily } from '../metrics/family.js';
import { ipvsStatsFamilies, type IpvsStatsSnapshot } from '../metrics/ipvs-stats.js';
import { lvsFamilies } from '../metrics/lvs.js';
import { supervisorFamilies, type ReloadCounts, type ReloadTimes } from '../metrics/supervisor.js';
import { vrrpFamilies } from '../metrics/vrrp.js';
import type { VrrpEngineSnapshot } from '../vrrp/engine.js';
import { controlRequest, workerControlPath } from './control.js';

/**
 * node:http as the module object, not an ES import: on Node 22+ an ES import builds the module's
 * namespace from every export, and reading its lazy `WebSocket`/`MessageEvent` getters loads undici
 * (~25 ms of the supervisor's cold start on Node 24, before it writes the workers' model).
 */
const http = process.getBuiltinModule('node:http');

/** How long a scrape waits for a worker's snapshot. */
const workerTimeoutMs = 2000;

/** What the supervisor tells the endpoint at each scrape. */
export interface MetricsSources {
  readonly runDir: string;
  workers(): ReadonlyArray<{ name: string; ready: boolean; restarts: number }>;
  reloads(): { counts: Readonly<ReloadCounts>; lastOk: boolean; times: Readonly<ReloadTimes> };
}

/**
 * A worker's answer to `cmd` on its control socket, or undefined when it did not answer (or
 * answered nonsense). The reply is this lvsd's own worker's (same build, socket mode 0600): the
 * caller's type for it holds.
 */
async function workerReply(path: string, cmd: 'status' | 'ipvs-stats'): Promise<object | undefined> {
  try {
    const reply = await controlRequest(path, { cmd }, workerTimeoutMs);
    return reply.ok && typeof reply.result === 'object' && reply.result !== null ? reply.result : undefined;
  } catch {
    return undefined;
  }
}

/** The families of one worker's snapshot (the LVS worker's with the kernel's counters), if it answered. */
async function workerFamilies(name: string, runDir: string): Promise<MetricFamily[] | undefined> {
  const path = workerControlPath(name, runDir);
  if (!path) return undefined;
  if (name === 'vrrp') {
    const snapshot = await workerReply(path, 'status');
    return snapshot ? vrrpFamilies(snapshot as VrrpEngineSnapshot) : undefined;
  }
  // both questions at once; the kernel's counters are left out of a scrape in which they could not be read
  const [snapshot, stats] = await Promise.all([workerReply(path, 'status'), workerReply(path, 'ipvs-stats')]);
  if (!snapshot) return undefined;
  return [
    ...lvsFamilies(snapshot as LvsWorkerSnapshot),
    ...(stats ? ipvsStatsFamilies(stats as IpvsStatsSnapshot) : []),
  ];
}

/** One scrape: every worker's families and the supervisor's, as exposition text and its type. */
export async function scrape(src: MetricsSources): Promise<{ text: string; contentType: string }> {
  const workers = src.workers();
  const families = await Promise.all(
    workers.map((w) => (w.ready ? workerFamilies(w.name, src.runDir) : Promise.resolve(undefined))),
  );
  const { counts, lastOk, times } = src.reloads();
  const own = supervisorFamilies({
    version: LVSD_VERSION,
    node: process.version,
    reloads: counts,
    lastReloadOk: lastOk,
    reloadTimes: times,
    workers: workers.map((w, i) => ({ name: w.name, restarts: w.restarts, answered: !!families[i] })),
  });
  // prom-client (~60 ms and ~10 MB to load) is loaded on the first scrape, not at every start
  const { METRICS_CONTENT_TYPE, renderMetrics } = await import('../metrics/render.js');
  const text = await renderMetrics([own, ...families.filter((f): f is MetricFamily[] => f !== undefined)]);
  return { text, contentType: METRICS_CONTENT_TYPE };
}

/** The endpoint; `listen` moves it (a reload that changes `lvsd_metrics`), `undefined` closes it. */
export class MetricsEndpoint {
  #server: Http.Server | undefined;
  #at: ListenAddress | undefined;

  constructor(
    private readonly src: MetricsSources,
    private readonly log: Logger,
  ) {}

  async listen(at: ListenAddress | undefined): Promise<void> {
    if (at && this.#at && listenText(at) === listenText(this.#at)) return;
    await this.close();
    if (!at) return;
    const server = http.createServer((req, res) => this.#handle(req, res));
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(at.port, at.host, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (e) {
      // lvsd keeps running (failover matters more than its metrics); the error says why they are missing
      this.log.error('cannot serve metrics', { listen: listenText(at), error: (e as Error).message });
      return;
    }
    this.#server = server;
    this.#at = at;
    this.log.info('serving metrics', { url: `http://${listenText(at)}/metrics` });
  }

  #handle(req: Http.IncomingMessage, res: Http.ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('lvsd: metrics are at /metrics\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    scrape(this.src).then(
      ({ text, contentType }) => {
        res.writeHead(200, { 'content-type': contentType });
        res.end(req.method === 'HEAD' ? undefined : text);
      },
      (e: unknown) => {
        this.log.error('metrics scrape failed', { error: (e as Error).message });
        res.writeHead(500, { 'content-type': 'text/plain' }).end('lvsd: scrape failed\n');
      },
    );
  }

  async close(): Promise<void> {
    const s = this.#server;
    this.#server = this.#at = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}
