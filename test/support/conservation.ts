/**
 * DESIGN.md invariants 1 and 2 checked on the live system's Redis (docs/balances.md): for every
 * asset, Σ over users of (available + locked + fees paid) = deposits − withdrawals made by the test,
 * and nothing is negative. Also: each user's locked equals what their active holds hold, the
 * deposit and withdrawal records Redis keeps agree with the test's ledger, and, once every order
 * is final, nothing is locked at all.
 */
import { expect } from 'chai';
import type { MarketDefinition } from '../../src/markets/market-rules.ts';
import { formatUnits, parseUnits } from '../../src/money/decimal.ts';
import type { ApiClient } from './http-client.ts';
import { usersWithBalances, type TestSystem } from './system.ts';

/** What the test moved in and out, per asset, in decimal strings as it sent them. */
export class Ledger {
  private readonly deposits: Array<[asset: string, amount: string]> = [];
  private readonly withdrawals: Array<[asset: string, amount: string]> = [];

  deposited(asset: string, amount: string): void {
    this.deposits.push([asset, amount]);
  }

  withdrew(asset: string, amount: string): void {
    this.withdrawals.push([asset, amount]);
  }

  /** deposits − withdrawals per asset, in the asset's smallest units. */
  net(precisions: ReadonlyMap<string, number>): Map<string, bigint> {
    const net = new Map<string, bigint>();
    const add = (asset: string, amount: string, sign: bigint) => {
      const precision = precisions.get(asset);
      if (precision === undefined) throw new Error(`no market trades ${asset}`);
      net.set(asset, (net.get(asset) ?? 0n) + sign * parseUnits(amount, precision));
    };
    for (const [asset, amount] of this.deposits) add(asset, amount, 1n);
    for (const [asset, amount] of this.withdrawals) add(asset, amount, -1n);
    return net;
  }
}

/** Credits a user through the admin route, expects 200, and records it. */
export async function fund(
  admin: ApiClient,
  ledger: Ledger,
  userId: number,
  asset: string,
  amount: string,
): Promise<void> {
  const res = await admin.deposit({ userId, asset, amount });
  expect(res.status, res.text).to.equal(200);
  expect(res.body.duplicate).to.equal(false);
  ledger.deposited(asset, amount);
}

/** Asset → precision, from the markets as Redis holds them. */
export async function assetPrecisions(system: TestSystem): Promise<Map<string, number>> {
  const definitions = Object.values(await system.redis.hgetall(system.keys.markets)).map(
    (json) => JSON.parse(json) as MarketDefinition,
  );
  const precisions = new Map<string, number>();
  for (const d of definitions) {
    precisions.set(d.base, d.basePrecision);
    precisions.set(d.quote, d.quotePrecision);
  }
  return precisions;
}

export interface ConservationReport {
  /** Per asset: Σ available, Σ locked, Σ fees, deposits − withdrawals (smallest units). */
  readonly totals: Map<string, { available: bigint; locked: bigint; fees: bigint; net: bigint }>;
  readonly users: readonly number[];
}

const add = (map: Map<string, bigint>, key: string, amount: bigint) =>
  map.set(key, (map.get(key) ?? 0n) + amount);

/** Σ of a user's deposit or withdrawal records in Redis, per asset (refused withdrawals excluded). */
async function recorded(system: TestSystem, key: string): Promise<Map<string, bigint>> {
  const sums = new Map<string, bigint>();
  for (const record of Object.values(await system.redis.hgetall(key))) {
    const parts = record.split(' ');
    if (parts[0] === 'R') continue;
    add(sums, parts[0]!, BigInt(parts[1]!));
  }
  return sums;
}

/** Σ held of the user's active holds, per asset (docs/balances.md, the holds hash). */
async function activeHolds(system: TestSystem, userId: number): Promise<Map<string, bigint>> {
  const held = new Map<string, bigint>();
  for (const [field, record] of Object.entries(await system.redis.hgetall(system.keys.holds(userId)))) {
    if (field.includes('#')) continue;
    const parts = record.split(' ');
    if (parts.length === 3 && parts[0] !== 'X') add(held, parts[0]!, BigInt(parts[1]!));
  }
  return held;
}

/**
 * Reads every user's balances and fees from Redis and asserts conservation per asset, no negative
 * amount, locked = active holds, Redis's deposit and withdrawal records = the ledger, and, with
 * `zeroLocked`, that nothing is locked anywhere. Call it at a quiescent point.
 */
export async function checkConservation(
  system: TestSystem,
  ledger: Ledger,
  { zeroLocked = false }: { zeroLocked?: boolean } = {},
): Promise<ConservationReport> {
  const precisions = await assetPrecisions(system);
  const net = ledger.net(precisions);
  const users = await usersWithBalances(system);
  const totals: ConservationReport['totals'] = new Map();
  const total = (asset: string) => {
    let t = totals.get(asset);
    if (t === undefined) totals.set(asset, (t = { available: 0n, locked: 0n, fees: 0n, net: 0n }));
    return t;
  };
  const depositRecords = new Map<string, bigint>();
  const withdrawalRecords = new Map<string, bigint>();

  for (const userId of users) {
    const balances = await system.balances.getBalances(userId);
    const fees = await system.balances.getFeesPaid(userId);
    const holds = await activeHolds(system, userId);
    for (const b of balances) {
      const who = `user ${userId} ${b.asset}`;
      expect(b.available >= 0n, `${who} available ${b.available} is negative`).to.equal(true);
      expect(b.locked >= 0n, `${who} locked ${b.locked} is negative`).to.equal(true);
      expect(b.locked, `${who}: locked differs from the sum of active holds`).to.equal(
        holds.get(b.asset) ?? 0n,
      );
      if (zeroLocked) expect(b.locked, `${who} still has funds locked`).to.equal(0n);
      total(b.asset).available += b.available;
      total(b.asset).locked += b.locked;
    }
    for (const [asset, fee] of fees) {
      expect(fee >= 0n, `user ${userId} fees ${asset} negative`).to.equal(true);
      total(asset).fees += fee;
    }
    for (const [asset, held] of holds) {
      if (!balances.some((b) => b.asset === asset)) {
        expect.fail(`user ${userId} holds ${held} ${asset} with no balance field`);
      }
    }
    for (const [asset, amount] of await recorded(system, system.keys.deposits(userId))) {
      add(depositRecords, asset, amount);
    }
    for (const [asset, amount] of await recorded(system, system.keys.withdrawals(userId))) {
      add(withdrawalRecords, asset, amount);
    }
  }

  for (const asset of new Set([...net.keys(), ...totals.keys()])) {
    const t = total(asset);
    t.net = net.get(asset) ?? 0n;
    const precision = precisions.get(asset) ?? 0;
    const show = (units: bigint) => formatUnits(units, precision);
    const sum = t.available + t.locked + t.fees;
    expect(
      show(sum),
      `${asset}: available ${show(t.available)} + locked ${show(t.locked)} + fees ${show(t.fees)} ≠ deposits − withdrawals`,
    ).to.equal(show(t.net));
    const redisNet = (depositRecords.get(asset) ?? 0n) - (withdrawalRecords.get(asset) ?? 0n);
    expect(show(redisNet), `${asset}: Redis's deposit/withdrawal records differ from the test's`).to.equal(
      show(t.net),
    );
  }
  return { totals, users };
}
