/**
 * One API under test: the real app (buildApp) over in-memory ports, with tokens for two users and
 * an operator, and builders for what the read model would hold.
 */
import { expect } from 'chai';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildApp } from '../../../../src/api/app.ts';
import { mintToken } from '../../../../src/api/auth.ts';
import type { ApiPorts, OrderRecord } from '../../../../src/api/ports.ts';
import { loadConfig, type Config } from '../../../../src/config/config.ts';
import { memoryPorts, type MemoryPorts } from './api-ports.ts';

export const SECRET = 'unit-test-secret-0123456789abcdef-xyz';
export const ALICE = 1;
export const BOB = 2;
export const OPERATOR = 99;

export interface Harness {
  readonly app: FastifyInstance;
  readonly config: Config;
  /** The current in-memory ports; reset() swaps in fresh ones. */
  readonly ports: MemoryPorts;
  readonly tokens: { readonly alice: string; readonly bob: string; readonly admin: string };
  /** Fresh, empty ports (seeded with the configured markets) behind the same app. */
  reset(): void;
}

/** A port that forwards every call to the same port of the current set, so one app serves many tests. */
function forward<K extends keyof MemoryPorts>(current: () => MemoryPorts, key: K): MemoryPorts[K] {
  return new Proxy({} as MemoryPorts[K], {
    get(_target, property) {
      const port = current()[key] as unknown as Record<string | symbol, unknown>;
      const value = port[property];
      return typeof value === 'function' ? value.bind(port) : value;
    },
  });
}

/**
 * Builds the app once (schemas compile in about a hundred milliseconds); call reset() in a
 * beforeEach for isolation and app.close() in an after.
 */
export async function createHarness(env: Record<string, string> = {}): Promise<Harness> {
  const config = loadConfig({
    NODE_ENV: 'test',
    JWT_SECRET: SECRET,
    WAIT_TIMEOUT_MS: '50',
    BODY_LIMIT_BYTES: '4096',
    ...env,
  });
  let ports = memoryPorts(config.seedMarkets.values());
  const current = () => ports;
  const keys = Object.keys(ports) as Array<keyof MemoryPorts>;
  const forwarding = Object.fromEntries(
    keys.map((key) => [key, forward(current, key)]),
  ) as unknown as ApiPorts;
  const app = buildApp({ config, ports: forwarding });
  await app.ready();
  const tokens = {
    alice: await mintToken(SECRET, { userId: ALICE, expiresIn: '1h' }),
    bob: await mintToken(SECRET, { userId: BOB, expiresIn: '1h' }),
    admin: await mintToken(SECRET, { userId: OPERATOR, role: 'admin', expiresIn: '1h' }),
  };
  return {
    app,
    config,
    get ports() {
      return ports;
    },
    tokens,
    reset() {
      ports = memoryPorts(config.seedMarkets.values());
    },
  };
}

export function bearer(token: string): { authorization: string } {
  return { authorization: `Bearer ${token}` };
}

/** Asserts the error format, the status and the code of a response. */
export function expectError(response: LightMyRequestResponse, status: number, code: string): void {
  expect(response.statusCode, response.body).to.equal(status);
  expect(response.headers['content-type']).to.match(/^application\/json/);
  const body = response.json() as { error: { code: string; message: string } };
  expect(Object.keys(body)).to.deep.equal(['error']);
  expect(Object.keys(body.error).sort()).to.deep.equal(['code', 'message']);
  expect(body.error.code, body.error.message).to.equal(code);
  expect(body.error.message).to.be.a('string').and.not.equal('');
}

/** A BTC-USDT limit buy of 0.5 at 30000.00 (3 000 000 ticks, 50 000 lots) as the read model has it. */
export function orderRecord(overrides: Partial<OrderRecord> = {}): OrderRecord {
  return {
    orderId: 'ord-1',
    clientOrderId: null,
    userId: ALICE,
    symbol: 'BTC-USDT',
    side: 'buy',
    type: 'limit',
    price: 3_000_000,
    quantity: 50_000,
    quoteQuantity: null,
    timeInForce: 'GTC',
    postOnly: false,
    selfTradePrevention: 'expire_taker',
    status: 'new',
    filledQuantity: 0,
    filledQuote: 0,
    rejectReason: null,
    fills: [],
    createdAt: Date.UTC(2025, 0, 31, 12),
    updatedAt: Date.UTC(2025, 0, 31, 12),
    ...overrides,
  };
}
