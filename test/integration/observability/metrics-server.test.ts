import { expect } from 'chai';
import { startMetricsServer, type MetricsServer } from '../../../src/observability/metrics-server.ts';

describe('observability: the metrics server of a process without the API', () => {
  const servers: MetricsServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  function start(render: () => Promise<{ contentType: string; text: string }>, port = 0) {
    const errors: unknown[] = [];
    const server = startMetricsServer({ host: '127.0.0.1', port, render, onError: (e) => errors.push(e) });
    servers.push(server);
    return { server, errors };
  }

  it('serves /metrics from its render function, /healthz without it, and 404 for the rest', async () => {
    let renders = 0;
    const { server } = start(async () => {
      renders++;
      return { contentType: 'text/plain; version=0.0.4; charset=utf-8', text: 'up 1\n' };
    });
    const port = await server.listening;
    expect(port).to.be.greaterThan(0);
    const metrics = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(metrics.status).to.equal(200);
    expect(metrics.headers.get('content-type')).to.equal('text/plain; version=0.0.4; charset=utf-8');
    expect(await metrics.text()).to.equal('up 1\n');
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(health.status).to.equal(200);
    expect(await health.json()).to.deep.equal({ status: 'ok' });
    expect(renders, 'liveness renders nothing').to.equal(1);
    expect((await fetch(`http://127.0.0.1:${port}/other`)).status).to.equal(404);
    expect((await fetch(`http://127.0.0.1:${port}/metrics`, { method: 'POST' })).status).to.equal(405);
  });

  it('answers 500 when a scrape fails, and keeps serving', async () => {
    let fail = true;
    const { server, errors } = start(async () => {
      if (fail) throw new Error('registry broke');
      return { contentType: 'text/plain', text: 'ok 1\n' };
    });
    const port = await server.listening;
    expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).to.equal(500);
    expect(errors).to.have.length(1);
    fail = false;
    expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).to.equal(200);
  });

  it('rejects `listening` when the port is taken (the caller logs it and runs on)', async () => {
    const first = start(async () => ({ contentType: 'text/plain', text: '' }));
    const port = await first.server.listening;
    const second = start(async () => ({ contentType: 'text/plain', text: '' }), port);
    const error = await second.server.listening.then(
      () => undefined,
      (e: unknown) => e as NodeJS.ErrnoException,
    );
    expect(error?.code).to.equal('EADDRINUSE');
    await second.server.close();
  });
});
