/**
 * The parent side of bench-load-worker.ts: forks the load generator once and runs scenarios on it over IPC
 * (shared by bench-api and bench-payments; see bench-api.ts for why the load runs in a separate process).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { LoadRequest, LoadResult } from './bench-load-worker.js';

export class LoadWorker {
  private readonly child: ChildProcess;
  private seq = 0;
  private readonly waiting = new Map<number, { resolve: (r: LoadResult) => void; reject: (e: Error) => void }>();
  constructor() {
    this.child = fork(fileURLToPath(new URL('./bench-load-worker.js', import.meta.url)), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.child.on('message', (m: { ok: true; result: LoadResult } | { ok: false; id: number; error: string }) => {
      const id = m.ok ? m.result.id : m.id;
      const w = this.waiting.get(id);
      this.waiting.delete(id);
      if (!w) return;
      if (m.ok) w.resolve(m.result);
      else w.reject(new Error(m.error));
    });
    this.child.on('exit', (code) => {
      for (const w of this.waiting.values()) w.reject(new Error(`load worker exited with ${code}`));
      this.waiting.clear();
    });
  }
  run(req: Omit<LoadRequest, 'id'>): Promise<LoadResult> {
    const id = ++this.seq;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.child.send({ ...req, id });
    });
  }
  stop(): void {
    this.child.disconnect();
  }
}
