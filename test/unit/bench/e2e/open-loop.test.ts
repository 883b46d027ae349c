import { expect } from 'chai';
import { runOpenLoop, Timetable, type OpenLoopClock } from '../../../../scripts/bench/e2e/open-loop.ts';

/** A clock that only moves when the loop sleeps, by as much as a script says (late wake-ups included). */
function scriptedClock(extraDelays: number[]): OpenLoopClock & { readonly sleeps: number[] } {
  let now = 0;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    sleep: (ms, fn) => {
      sleeps.push(ms);
      now += ms + (extraDelays.shift() ?? 0);
      queueMicrotask(fn);
    },
  };
}

describe('bench:e2e open-loop timetable', () => {
  it('puts request i at start + i / rate, whatever came before', () => {
    const t = new Timetable(4, 10, 1_000);
    expect(t.dueAt(0)).to.equal(1_000);
    expect(t.dueAt(1)).to.equal(1_250);
    expect(t.dueAt(9)).to.equal(3_250);
    expect(t.endMs).to.equal(3_250);
  });

  it('counts the requests due by a time, boundaries included, capped at the total', () => {
    const t = new Timetable(3, 7, 0);
    expect(t.dueBy(-1)).to.equal(0);
    expect(t.dueBy(0)).to.equal(1);
    // 1000/3 ms is not a float boundary: the count follows dueAt exactly.
    expect(t.dueBy(t.dueAt(1))).to.equal(2);
    expect(t.dueBy(t.dueAt(1) - 1e-9)).to.equal(1);
    expect(t.dueBy(1_000)).to.equal(4);
    expect(t.dueBy(1e9)).to.equal(7);
    for (let i = 0; i < 7; i++) expect(t.dueBy(t.dueAt(i))).to.equal(i + 1);
  });

  it('refuses a rate that is not positive and a bad total', () => {
    expect(() => new Timetable(0, 1, 0)).to.throw(RangeError);
    expect(() => new Timetable(Infinity, 1, 0)).to.throw(RangeError);
    expect(() => new Timetable(1, -1, 0)).to.throw(RangeError);
  });

  it('sends every request once, in order, with its own due time, even after a late wake-up', async () => {
    // The third sleep wakes up 100 ms late: the 10 requests due meanwhile go out at once, each still
    // carrying the time it was due (that is what keeps a stall visible in the latencies).
    const clock = scriptedClock([0, 0, 100]);
    const sent: Array<[number, number, number]> = [];
    const t = new Timetable(100, 30, 0);
    await runOpenLoop(t, (i, dueAt) => sent.push([i, dueAt, clock.now()]), clock);
    expect(sent.map(([i]) => i)).to.deep.equal(Array.from({ length: 30 }, (_, i) => i));
    for (const [i, dueAt, at] of sent) {
      expect(dueAt).to.equal(t.dueAt(i));
      expect(at).to.be.at.least(dueAt);
    }
    const burst = sent.filter(([, , at]) => at === sent[3]![2]);
    expect(burst.length).to.be.greaterThan(9);
    // Never sleeps longer than until the next request is due.
    expect(Math.max(...clock.sleeps)).to.be.at.most(10 + 1e-9);
  });

  it('resolves at once for an empty timetable', async () => {
    let sent = 0;
    await runOpenLoop(new Timetable(10, 0, 0), () => sent++, scriptedClock([]));
    expect(sent).to.equal(0);
  });
});
