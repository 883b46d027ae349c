import { expect } from 'chai';
import { benchMarkets } from '../../../../scripts/bench/e2e/bench-markets.ts';
import {
  OrderFlow,
  RestingOrders,
  type FlowOptions,
  type FlowRequest,
  type PlaceRequest,
} from '../../../../scripts/bench/e2e/order-flow.ts';
import { parseUnits } from '../../../../src/money/decimal.ts';

const markets = benchMarkets(4);
const options: FlowOptions = {
  seed: 11,
  markets: markets.map((m) => m.flow),
  users: 50,
  clientOrderIdShare: 0.5,
  runTag: 'run1',
};

function take(flow: OrderFlow, n: number): FlowRequest[] {
  return Array.from({ length: n }, () => flow.next());
}

interface Body {
  symbol: string;
  side: string;
  type: string;
  price?: string;
  quantity?: string;
  quoteQuantity?: string;
  timeInForce?: string;
  clientOrderId?: string;
}

describe('bench:e2e order flow', () => {
  it('gives the same requests for the same seed, and others for another seed', () => {
    const a = take(new OrderFlow(options), 5_000);
    const b = take(new OrderFlow(options), 5_000);
    const c = take(new OrderFlow({ ...options, seed: 12 }), 5_000);
    expect(a).to.deep.equal(b);
    expect(a).to.not.deep.equal(c);
  });

  it('follows the mix: passive, cancel, cross and market orders in about 50/25/20/5', () => {
    const counts = { passive: 0, cancel: 0, cross: 0, market: 0 };
    for (const r of take(new OrderFlow(options), 40_000)) {
      if (r.kind === 'cancel') counts.cancel++;
      else if (r.rests) counts.passive++;
      else if ((JSON.parse(r.body) as Body).type === 'market') counts.market++;
      else counts.cross++;
    }
    expect(counts.passive / 40_000).to.be.closeTo(0.5, 0.015);
    expect(counts.cancel / 40_000).to.be.closeTo(0.25, 0.015);
    expect(counts.cross / 40_000).to.be.closeTo(0.2, 0.015);
    expect(counts.market / 40_000).to.be.closeTo(0.05, 0.01);
    const only = take(
      new OrderFlow({ ...options, mix: { passive: 1, cancel: 0, cross: 0, market: 0 } }),
      500,
    );
    expect(only.every((r) => r.kind === 'place' && r.rests)).to.equal(true);
  });

  it('builds bodies the API accepts: on tick and lot, passive behind the mid, crossing through it', () => {
    const flow = new OrderFlow(options);
    const coids = new Set<string>();
    let withCoid = 0;
    let places = 0;
    for (let i = 0; i < 20_000; i++) {
      const r = flow.next();
      const place: PlaceRequest = r.kind === 'cancel' ? r.fallback : r;
      const body = JSON.parse(place.body) as Body;
      const market = markets[place.market]!;
      expect(body.symbol).to.equal(market.symbol);
      expect(place.user).to.be.within(0, options.users - 1);
      places++;
      if (body.clientOrderId !== undefined) {
        withCoid++;
        expect(body.clientOrderId).to.match(/^run1-[0-9]+$/);
        expect(coids.has(body.clientOrderId)).to.equal(false);
        coids.add(body.clientOrderId);
      }
      if (body.type === 'market') {
        if (body.side === 'buy') expect(Number(parseUnits(body.quoteQuantity, 2))).to.be.within(500, 6_000);
        else
          expect(Number(parseUnits(body.quantity, 3))).to.be.within(market.flow.minLots, market.flow.maxLots);
        continue;
      }
      const ticks = Number(parseUnits(body.price, 2));
      const lots = Number(parseUnits(body.quantity, 3));
      expect(lots).to.be.within(market.flow.minLots, market.flow.maxLots);
      // Every order is worth at least the market's minNotional (1 USDT): ticks × lots in 1e-5 USDT.
      expect(ticks * lots).to.be.at.least(100_000);
      const start = market.flow.midTicks;
      expect(Math.abs(ticks - start) / start).to.be.below(0.03);
      // The mid the price was set from: the walk moves it before the price is chosen.
      const mid = flow.midOf(place.market);
      const behind = body.side === 'buy' ? mid - ticks : ticks - mid;
      if (place.rests) {
        expect(body.timeInForce).to.equal('GTC');
        expect(behind).to.be.within(1, 50);
      } else {
        expect(['GTC', 'IOC']).to.include(body.timeInForce);
        expect(-behind).to.be.within(1, 5);
      }
    }
    expect(withCoid / places).to.be.closeTo(0.5, 0.03);
  });

  it('keeps each mid within 2 % of where it started', () => {
    const flow = new OrderFlow(options);
    take(flow, 200_000);
    markets.forEach((m, i) => {
      expect(Math.abs(flow.midOf(i) - m.flow.midTicks)).to.be.at.most(Math.floor(m.flow.midTicks * 0.02) + 1);
    });
  });

  it('refuses options it cannot honour', () => {
    expect(() => new OrderFlow({ ...options, markets: [] })).to.throw(RangeError);
    expect(() => new OrderFlow({ ...options, users: 0 })).to.throw(RangeError);
    expect(() => new OrderFlow({ ...options, mix: { passive: 0, cancel: 0, cross: 0, market: 0 } })).to.throw(
      RangeError,
    );
  });
});

describe('bench:e2e resting orders', () => {
  it('hands each order out once, by pick modulo the count, and nothing when empty', () => {
    const resting = new RestingOrders();
    expect(resting.take(3)).to.equal(undefined);
    for (let i = 0; i < 5; i++) resting.add(`o${i}`, i);
    expect(resting.take(7)).to.deep.equal({ orderId: 'o2', user: 2 });
    const rest = [resting.take(0), resting.take(0), resting.take(0), resting.take(0)].map((t) => t!.orderId);
    expect(rest.sort()).to.deep.equal(['o0', 'o1', 'o3', 'o4']);
    expect(resting.size).to.equal(0);
  });
});
