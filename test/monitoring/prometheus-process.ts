/**
 * A real Prometheus (Debian's `prometheus` binary) for the monitoring tests: its own configuration,
 * rules and storage in a temporary directory, listening on a free port of 127.0.0.1, scraping the
 * given targets every second and evaluating the rules every second. `stop()` ends it and removes the
 * directory; a Prometheus still running when the test process exits is SIGKILLed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireTool } from './monitoring-files.ts';

export interface ScrapeJob {
  readonly job: string;
  /** host:port of each target; the path is /metrics. */
  readonly targets: readonly string[];
}

export interface PrometheusOptions {
  readonly jobs: readonly ScrapeJob[];
  /** A plain rules file's text (`groups:` ...), loaded as rules.yml. */
  readonly rules?: string;
}

/** An instant query's answer (`/api/v1/query`). */
export interface QueryResult {
  readonly resultType: 'vector' | 'scalar' | 'matrix' | 'string';
  readonly result: unknown;
}

export interface VectorSample {
  readonly metric: Record<string, string>;
  readonly value: [number, string];
}

export interface RuleState {
  readonly name: string;
  readonly type: 'alerting' | 'recording';
  readonly query: string;
  readonly health: string;
  readonly lastError?: string;
  readonly lastEvaluation: string;
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
}

export interface TargetState {
  readonly labels: Record<string, string>;
  readonly health: string;
  readonly lastError: string;
  readonly lastScrape: string;
}

/** A TCP port nothing listens on right now (the OS's choice for port 0). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

export class PrometheusProcess {
  private readonly output: string[] = [];
  private readonly exited: Promise<void>;

  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
    private readonly dir: string,
  ) {
    const keep = (chunk: Buffer) => {
      this.output.push(...chunk.toString().split('\n').filter(Boolean));
      if (this.output.length > 200) this.output.splice(0, this.output.length - 200);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    void this.exited.then(() => live.delete(child));
  }

  static async start(options: PrometheusOptions): Promise<PrometheusProcess> {
    const binary = requireTool('prometheus');
    const dir = mkdtempSync(join(tmpdir(), 'exchange-prometheus-'));
    const config = [
      'global:',
      '  scrape_interval: 1s',
      '  scrape_timeout: 1s',
      '  evaluation_interval: 1s',
      ...(options.rules === undefined ? [] : ['rule_files:', '  - rules.yml']),
      'scrape_configs:',
      ...options.jobs.flatMap((j) => [
        `  - job_name: ${j.job}`,
        '    metrics_path: /metrics',
        '    static_configs:',
        `      - targets: [${j.targets.map((t) => `'${t}'`).join(', ')}]`,
      ]),
      '',
    ].join('\n');
    writeFileSync(join(dir, 'prometheus.yml'), config);
    if (options.rules !== undefined) writeFileSync(join(dir, 'rules.yml'), options.rules);
    const port = await freePort();
    const child = spawn(
      binary,
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--storage.tsdb.retention.time=1h',
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    live.add(child);
    const prometheus = new PrometheusProcess(child, `http://127.0.0.1:${port}`, dir);
    try {
      await prometheus.waitReady();
    } catch (error) {
      await prometheus.stop();
      throw error;
    }
    return prometheus;
  }

  /** Its last lines of output, for failure messages. */
  tail(count = 20): string {
    return this.output
      .slice(-count)
      .map((l) => `  | ${l}`)
      .join('\n');
  }

  async api<T>(path: string, params: Record<string, string> = {}): Promise<T> {
    const query = new URLSearchParams(params).toString();
    const response = await fetch(`${this.url}${path}${query === '' ? '' : `?${query}`}`, {
      signal: AbortSignal.timeout(10_000),
    });
    const body = (await response.json()) as { status: string; data: T; error?: string };
    if (body.status !== 'success') throw new Error(`${path} ${query}: ${body.error ?? response.status}`);
    return body.data;
  }

  /** An instant query at `time` (epoch seconds). */
  query(expr: string, time: number): Promise<QueryResult> {
    return this.api<QueryResult>('/api/v1/query', { query: expr, time: time.toFixed(3) });
  }

  async rules(): Promise<RuleState[]> {
    const data = await this.api<{ groups: Array<{ rules: RuleState[] }> }>('/api/v1/rules');
    return data.groups.flatMap((g) => g.rules);
  }

  async targets(): Promise<TargetState[]> {
    const data = await this.api<{ activeTargets: TargetState[] }>('/api/v1/targets');
    return data.activeTargets;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
      await this.exited;
      clearTimeout(timer);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async waitReady(timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.child.exitCode !== null) throw new Error(`prometheus exited early:\n${this.tail()}`);
      try {
        const response = await fetch(`${this.url}/-/ready`, { signal: AbortSignal.timeout(1_000) });
        if (response.ok) return;
      } catch {
        // Not listening yet.
      }
      if (Date.now() > deadline)
        throw new Error(`prometheus not ready within ${timeoutMs} ms:\n${this.tail()}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
