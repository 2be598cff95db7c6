/**
 * The load generator for bench-api, run as a forked child process (see bench-api.ts for why). It receives a
 * scenario over IPC, drives it with autocannon's programmatic API (a warm-up run, then the measured run)
 * and sends back throughput and latency percentiles. Latencies are recorded from autocannon's 'response'
 * events at sub-millisecond resolution: its own histogram stores whole milliseconds, too coarse here.
 */
import { createRequire } from 'node:module';
import type { EventEmitter } from 'node:events';

export interface LoadRequest {
  id: number;
  url: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
  connections: number;
  warmupSeconds: number;
  durationSeconds: number;
  /** send every 2xx latency back (for pooling across runs), not just percentiles */
  returnLatencies?: boolean;
  /**
   * Varying bodies instead of `body`: request n sends bodies[n % length], with every UNIQUE_TOKEN in it replaced
   * by a value no other request of this process uses (e.g. an idempotency key). With bodies, each response is
   * read and a 2xx whose JSON carries GraphQL `errors` is counted in graphqlErrors (its message sampled).
   */
  bodies?: string[];
}

/** Replaced, in LoadRequest.bodies, by a value unique to the request. */
export const UNIQUE_TOKEN = '__UNIQUE__';

export interface LoadResult {
  id: number;
  completed: number;
  /** completed 2xx responses per second of the measured run */
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  seconds: number;
  /** CPU time this load generator used during the measured run, in seconds */
  cpuSeconds: number;
  latencies?: number[];
  /** only with bodies: 2xx responses carrying GraphQL errors, and the first few distinct messages */
  graphqlErrors?: number;
  errorSamples?: string[];
}

// autocannon ships no type declarations; this is the part of its API used here.
interface AutocannonResult {
  duration: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  '2xx': number;
}
interface AutocannonInstance extends EventEmitter, PromiseLike<AutocannonResult> {}
interface AutocannonRequest {
  method?: string;
  body?: string;
  setupRequest?: (req: AutocannonRequest) => AutocannonRequest;
  onResponse?: (status: number, body: string) => void;
}
interface AutocannonOptions {
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: string;
  requests?: AutocannonRequest[];
  connections: number;
  duration: number;
  pipelining: number;
  timeout: number;
}
type Autocannon = (opts: AutocannonOptions) => AutocannonInstance;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

function pct(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

let uniqueSeq = 0;
const uniquePrefix = `${process.pid.toString(36)}-${Date.now().toString(36)}`;

async function run(req: LoadRequest, seconds: number, record: boolean): Promise<LoadResult> {
  const latencies: number[] = [];
  let graphqlErrors = 0;
  const errorSamples = new Set<string>();
  let n = 0;
  const bodies = req.bodies;
  const requests: AutocannonRequest[] | undefined = bodies?.length
    ? [
        {
          method: req.method,
          setupRequest: (r) => ({ ...r, body: bodies[n++ % bodies.length]!.replaceAll(UNIQUE_TOKEN, `${uniquePrefix}-${++uniqueSeq}`) }),
          onResponse: (status, body) => {
            if (status < 200 || status >= 300 || !body.includes('"errors"')) return;
            graphqlErrors++;
            if (errorSamples.size < 5) {
              try {
                const msg = (JSON.parse(body) as { errors?: { message?: string }[] }).errors?.[0]?.message;
                if (msg) errorSamples.add(msg.slice(0, 200));
              } catch {
                /* not JSON: counted, not sampled */
              }
            }
          },
        },
      ]
    : undefined;
  const cpu0 = process.cpuUsage();
  const instance = autocannon({
    url: req.url,
    method: req.method,
    headers: req.headers,
    body: req.body,
    requests,
    connections: req.connections,
    duration: seconds,
    pipelining: 1,
    timeout: 10,
  });
  if (record) {
    instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
      if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime);
    });
  }
  const result = await instance;
  const elapsed = result.duration; // seconds, as autocannon measured the run
  const cpu = process.cpuUsage(cpu0);
  const sorted = Float64Array.from(latencies).sort();
  const completed = result['2xx'];
  return {
    id: req.id,
    completed,
    rps: completed / elapsed,
    p50: pct(sorted, 50),
    p90: pct(sorted, 90),
    p99: pct(sorted, 99),
    max: sorted.length ? sorted[sorted.length - 1]! : NaN,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    seconds: elapsed,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    latencies: req.returnLatencies ? latencies : undefined,
    ...(bodies?.length ? { graphqlErrors: record ? graphqlErrors : 0, errorSamples: [...errorSamples] } : {}),
  };
}

process.on('message', (msg: LoadRequest) => {
  void (async () => {
    try {
      if (msg.warmupSeconds > 0) await run(msg, msg.warmupSeconds, false);
      const result = await run(msg, msg.durationSeconds, true);
      process.send?.({ ok: true, result });
    } catch (err) {
      process.send?.({ ok: false, id: msg.id, error: String(err) });
    }
  })();
});
process.on('disconnect', () => process.exit(0));
