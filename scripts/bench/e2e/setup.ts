/**
 * What a run needs before its clock starts, through the public API as an operator and traders
 * would do it: the benchmark's markets (PUT /v1/admin/markets), funds for every user (POST
 * /v1/admin/deposits, idempotent on a depositId of the run), bearer tokens, and an owner for every
 * market (a probe order answered by the engine). And what it needs at the end: every user's open
 * orders canceled (DELETE /v1/orders?symbol=), so that every order of the run reaches a final state.
 */
import { mintToken } from '../../../src/api/auth.ts';
import { QUOTE_ASSET, QUOTE_FUNDS, type BenchMarket } from './bench-markets.ts';
import { waitFor } from './wait.ts';

const ADMIN_USER = 1;
const CONCURRENCY = 16;
const OWNER_TIMEOUT_MS = 60_000;

export interface ApiAnswer {
  readonly status: number;
  readonly body: unknown;
}

export async function callApi(
  baseUrl: string,
  method: string,
  path: string,
  token: string | null,
  body?: unknown,
): Promise<ApiAnswer> {
  const headers: Record<string, string> = {};
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Not JSON: kept as text for the error message.
  }
  return { status: response.status, body: parsed };
}

function expectStatus(answer: ApiAnswer, ok: readonly number[], what: string): void {
  if (!ok.includes(answer.status)) {
    throw new Error(`${what}: HTTP ${answer.status} ${JSON.stringify(answer.body)}`);
  }
}

/** Runs fn over items, at most `limit` at a time. */
export async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

export interface Participants {
  readonly adminToken: string;
  /** User ids and their tokens, index i = flow user i. */
  readonly userIds: readonly number[];
  readonly tokens: readonly string[];
  /** A user without funds: its probe orders are refused for funds, which proves an owner answered. */
  readonly probeToken: string;
}

export async function mintParticipants(
  secret: string,
  firstUser: number,
  users: number,
  validSeconds: number,
): Promise<Participants> {
  const expiresIn = Math.ceil(validSeconds);
  const userIds = Array.from({ length: users }, (_, i) => firstUser + i);
  return {
    adminToken: await mintToken(secret, { userId: ADMIN_USER, role: 'admin', expiresIn }),
    userIds,
    tokens: await Promise.all(userIds.map((userId) => mintToken(secret, { userId, expiresIn }))),
    probeToken: await mintToken(secret, { userId: firstUser + users + 1_000_000, expiresIn }),
  };
}

export async function createMarkets(baseUrl: string, adminToken: string, markets: readonly BenchMarket[]) {
  for (const m of markets) {
    const answer = await callApi(baseUrl, 'PUT', `/v1/admin/markets/${m.symbol}`, adminToken, m.body);
    expectStatus(answer, [200, 201], `creating market ${m.symbol}`);
  }
}

/** Funds every user in every asset; depositIds carry the run tag, so a rerun funds again. */
export async function fundUsers(
  baseUrl: string,
  participants: Participants,
  markets: readonly BenchMarket[],
  runTag: string,
): Promise<number> {
  const grants = [
    { asset: QUOTE_ASSET, amount: QUOTE_FUNDS },
    ...markets.map((m) => ({ asset: m.base, amount: m.baseFunds })),
  ];
  const deposits = participants.userIds.flatMap((userId) => grants.map((g) => ({ userId, ...g })));
  await forEachLimited(deposits, CONCURRENCY, async (d) => {
    const depositId = `${runTag}-${d.userId}-${d.asset}`;
    const answer = await callApi(baseUrl, 'POST', '/v1/admin/deposits', participants.adminToken, {
      ...d,
      depositId,
    });
    expectStatus(answer, [200], `deposit ${depositId}`);
  });
  return deposits.length;
}

/**
 * Waits until the engine answers on every market: a market buy by an unfunded user, with
 * `?wait=true`, comes back 200 `rejected` once the symbol's owner processes its stream.
 */
export async function waitForOwners(
  baseUrls: readonly string[],
  probeToken: string,
  symbols: readonly string[],
): Promise<void> {
  for (const baseUrl of baseUrls) {
    for (const symbol of symbols) {
      await waitFor(
        `an owner of ${symbol}`,
        OWNER_TIMEOUT_MS,
        async () => {
          const answer = await callApi(baseUrl, 'POST', '/v1/orders?wait=true', probeToken, {
            symbol,
            side: 'buy',
            type: 'market',
            quoteQuantity: '5',
          });
          if (answer.status === 200) return true;
          if (answer.status !== 202) expectStatus(answer, [200], `probe order on ${symbol}`);
          return undefined;
        },
        200,
      );
    }
  }
}

/** Cancels every open order of every user on every market; returns the requests sent. */
export async function cancelEverything(
  baseUrl: string,
  participants: Participants,
  symbols: readonly string[],
): Promise<number> {
  const jobs = participants.tokens.flatMap((token) => symbols.map((symbol) => ({ token, symbol })));
  await forEachLimited(jobs, CONCURRENCY, async ({ token, symbol }) => {
    const answer = await callApi(baseUrl, 'DELETE', `/v1/orders?symbol=${symbol}`, token);
    expectStatus(answer, [202], `cancel-all on ${symbol}`);
  });
  return jobs.length;
}
