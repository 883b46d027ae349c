import { expect } from 'chai';
import { readdirSync } from 'node:fs';
import { ALL_SCRIPTS } from '../../../src/redis/all-scripts.ts';
import { BALANCE_BATCH_SCRIPTS, BALANCE_SCRIPTS } from '../../../src/redis/balance-scripts.ts';
import { INTAKE_SCRIPTS } from '../../../src/redis/intake-scripts.ts';
import { READ_MODEL_SCRIPTS } from '../../../src/redis/read-model-scripts.ts';
import { createKeys, KeyError } from '../../../src/redis/keys.ts';
import { loadLuaScript, ScriptLoadError } from '../../../src/redis/scripts.ts';

const LUA_DIR = new URL('../../../src/redis/lua/', import.meta.url);

describe('redis/scripts: the Lua files and the key builder', () => {
  const files = readdirSync(LUA_DIR).filter((name) => name.endsWith('.lua'));

  // Every client defines ALL_SCRIPTS when it is created (all-scripts.ts): none may be left out.
  const allScripts = Object.values(ALL_SCRIPTS);

  it('registers every script file, each named <name>-<numberOfKeys>.lua', () => {
    const registered = allScripts.map((script) => script.file);
    expect([...registered].sort()).to.deep.equal([...files].sort());
    for (const script of allScripts) {
      expect(script.file).to.match(new RegExp(`^[a-z-]+-${script.numberOfKeys}\\.lua$`));
    }
  });

  for (const script of Object.values(BALANCE_SCRIPTS)) {
    it(`${script.file}: its header lists its KEYS and ARGV, which match what it uses and checks`, () => {
      const header = /^--\[\[([\s\S]*?)\]\]/.exec(script.lua)?.[1] ?? '';
      const listed = (name: string) =>
        [...header.matchAll(new RegExp(`^ {4}${name}\\[(\\d+)\\]`, 'gm'))].map((m) => Number(m[1]));
      const numbered = (count: number) => Array.from({ length: count }, (_, i) => i + 1);
      expect(listed('KEYS')).to.deep.equal(numbered(script.numberOfKeys));
      const argc = Number(/check_arity\((\d+)\)/.exec(script.lua)?.[1]);
      expect(listed('ARGV')).to.deep.equal(numbered(argc));
      const body = script.lua.slice(script.lua.lastIndexOf('-- end include'));
      const used = (name: string) =>
        Math.max(...[...body.matchAll(new RegExp(`${name}\\[(\\d+)\\]`, 'g'))].map((m) => Number(m[1])));
      expect(used('KEYS')).to.equal(script.numberOfKeys);
      expect(used('ARGV')).to.equal(argc);
      expect(header).to.match(/Output:/);
      expect(script.lua).not.to.match(/@include/);
    });
  }

  // The intake scripts take a variable number of field/value pairs after their fixed arguments.
  for (const script of Object.values(INTAKE_SCRIPTS)) {
    it(`${script.file}: its header lists its KEYS and its first ARGV, and what it replies`, () => {
      const header = /^--\[\[([\s\S]*?)\]\]/.exec(script.lua)?.[1] ?? '';
      const keys = [...header.matchAll(/^ {4}KEYS\[(\d+)\]/gm)].map((m) => Number(m[1]));
      expect(keys).to.deep.equal(Array.from({ length: script.numberOfKeys }, (_, i) => i + 1));
      expect(header).to.match(/^ {4}ARGV\[1\]/m);
      expect(header).to.match(/Output:/);
      const used = [...script.lua.matchAll(/KEYS\[(\d+)\]/g)].map((m) => Number(m[1]));
      expect(Math.max(...used)).to.equal(script.numberOfKeys);
    });
  }

  it("balance-batch-0.lua: declares no keys (one Redis only) and runs the single scripts' functions", () => {
    const { lua, numberOfKeys } = BALANCE_BATCH_SCRIPTS.balanceBatch;
    expect(numberOfKeys).to.equal(0);
    expect(lua.slice(lua.lastIndexOf('-- end include'))).not.to.match(/KEYS\[/);
    const header = /^--\[\[([\s\S]*?)\]\]/.exec(lua)?.[1] ?? '';
    for (const opcode of ['H', 'S', 'R'])
      expect(header).to.match(new RegExp(`^ {4}${opcode} balances holds`, 'm'));
    expect(header).to.match(/Output:/);
    // The single scripts are thin wrappers over the same functions: one definition of each operation.
    for (const [name, op] of [
      ['balanceHold', 'hold_op'],
      ['balanceSettle', 'settle_op'],
      ['balanceRelease', 'release_op'],
    ] as const) {
      expect(BALANCE_SCRIPTS[name].lua).to.match(new RegExp(`\\nreturn ${op}\\(`));
      expect(lua).to.include(`local function ${op}(`);
    }
  });

  it('read-model-apply-0.lua: declares no keys (one Redis only), documents its operations and reply', () => {
    const { lua, numberOfKeys } = READ_MODEL_SCRIPTS.readModelApply;
    expect(numberOfKeys).to.equal(0);
    expect(lua).not.to.match(/KEYS\[/);
    const header = /^--\[\[([\s\S]*?)\]\]/.exec(lua)?.[1] ?? '';
    for (const opcode of ['S', 'E', 'Z', 'R', 'L'])
      expect(header).to.match(new RegExp(`^ {4}${opcode} key`, 'm'));
    expect(header).to.match(/Output:/);
  });

  it('refuses a script file named without its number of keys, and a file it cannot read', () => {
    expect(() => loadLuaScript(LUA_DIR, 'deposit.lua')).to.throw(ScriptLoadError, /<name>-<numberOfKeys>/);
    expect(() => loadLuaScript(new URL('includes/', LUA_DIR), 'missing-1.lua')).to.throw(
      ScriptLoadError,
      /cannot read/,
    );
  });

  it('builds every key of a symbol with {SYMBOL} and every key of a user with {u:ID}', () => {
    const keys = createKeys('ex');
    expect(keys.orderStream('BTC-USDT')).to.equal('ex:orders:{BTC-USDT}');
    expect(keys.depth('BTC-USDT')).to.equal('ex:depth:{BTC-USDT}');
    expect(keys.recentTrades('BTC-USDT')).to.equal('ex:trades:{BTC-USDT}');
    expect(keys.shardLease(7)).to.equal('ex:lease:{shard:7}');
    expect([
      keys.balances(42),
      keys.holds(42),
      keys.cursor(42),
      keys.deposits(42),
      keys.withdrawals(42),
    ]).to.deep.equal([
      'ex:bal:{u:42}',
      'ex:holds:{u:42}',
      'ex:cursor:{u:42}',
      'ex:deposits:{u:42}',
      'ex:withdrawals:{u:42}',
    ]);
    expect(keys.pattern).to.equal('ex:*');
  });

  it('refuses names that would break a hash tag or another prefix', () => {
    expect(() => createKeys('Ex')).to.throw(KeyError);
    expect(() => createKeys('ex:{x}')).to.throw(KeyError);
    const keys = createKeys('ex');
    for (const symbol of ['', 'btc-usdt', 'BTC}-USDT', 'BTC-{USDT}', 'BTCUSDT']) {
      expect(() => keys.orderStream(symbol), symbol).to.throw(KeyError);
    }
    for (const userId of [0, -1, 1.5, Number.NaN, 2 ** 53]) {
      expect(() => keys.balances(userId), String(userId)).to.throw(KeyError);
    }
    expect(() => keys.shardLease(-1)).to.throw(KeyError);
  });
});
