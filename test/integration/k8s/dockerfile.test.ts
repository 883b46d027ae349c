/**
 * The Dockerfile, checked statically (no Docker daemon is needed, and none runs in CI): multi-stage,
 * dependencies by `npm ci` from the lockfile, production dependencies only in the runtime stage, a
 * non-root numeric USER, exec-form ENTRYPOINT and CMD that run what `npm run start:api` runs, and
 * every file the Kubernetes workloads start present in the image.
 */
import { expect } from 'chai';
import { existsSync, readFileSync } from 'node:fs';
import { DEPLOYABLE, rendering, workloads } from '../../support/k8s-objects.ts';
import { REPO_ROOT } from '../../support/kustomize.ts';

interface Instruction {
  readonly keyword: string;
  readonly args: string;
  /** Index of the stage (FROM) it belongs to. */
  readonly stage: number;
}

/** Instructions with continuation lines joined; comments, blank lines and parser directives dropped. */
function parseDockerfile(text: string): Instruction[] {
  const instructions: Instruction[] = [];
  let stage = -1;
  let pending = '';
  for (const line of text.split('\n')) {
    if (pending === '' && /^\s*(#|$)/.test(line)) continue;
    if (/^\s*#/.test(line)) continue; // a comment inside a continued instruction
    pending += line.replace(/\\\s*$/, ' ');
    if (/\\\s*$/.test(line)) continue;
    const match = /^\s*(\w+)\s+(.*)$/.exec(pending);
    if (match === null) throw new Error(`cannot parse: ${pending}`);
    const keyword = match[1]!.toUpperCase();
    if (keyword === 'FROM') stage++;
    instructions.push({ keyword, args: match[2]!.trim().replace(/\s+/g, ' '), stage });
    pending = '';
  }
  return instructions;
}

/** The JSON array of an exec-form ENTRYPOINT or CMD; throws for the shell form. */
function execForm(instruction: Instruction | undefined): string[] {
  if (instruction === undefined) throw new Error('missing');
  const parsed: unknown = JSON.parse(instruction.args);
  if (!Array.isArray(parsed) || !parsed.every((item) => typeof item === 'string')) {
    throw new Error(`${instruction.keyword} is not in exec form: ${instruction.args}`);
  }
  return parsed;
}

describe('Dockerfile (static checks)', () => {
  const instructions = parseDockerfile(readFileSync(`${REPO_ROOT}Dockerfile`, 'utf8'));
  const froms = instructions.filter((i) => i.keyword === 'FROM');
  const finalStage = froms.length - 1;
  const final = instructions.filter((i) => i.stage === finalStage);
  const last = (keyword: string) => final.filter((i) => i.keyword === keyword).at(-1);
  const packageJson = JSON.parse(readFileSync(`${REPO_ROOT}package.json`, 'utf8')) as {
    scripts: Record<string, string>;
    dependencies: Record<string, string>;
  };

  it('is multi-stage, every stage named, from a slim Node image', () => {
    expect(froms.length).to.be.at.least(2);
    for (const from of froms) expect(from.args).to.match(/^node:\S+-slim AS [a-z-]+$/);
  });

  it('installs dependencies with `npm ci` from the lockfile, production only for the runtime', () => {
    const deps = instructions.filter((i) => i.keyword === 'RUN' && /\bnpm (ci|install|i)\b/.test(i.args));
    expect(deps).to.have.length(1);
    expect(deps[0]!.args)
      .to.match(/\bnpm ci\b/)
      .and.match(/--omit=dev\b/);
    const copied = instructions.filter((i) => i.stage === deps[0]!.stage && i.keyword === 'COPY');
    expect(copied[0]?.args).to.match(/package-lock\.json/);
    expect(deps[0]!.stage, 'installed in an earlier stage').to.be.lessThan(finalStage);
    const fromDeps = final.find((i) => i.keyword === 'COPY' && /node_modules/.test(i.args));
    const depsStageName = froms[deps[0]!.stage]!.args.split(' AS ')[1];
    expect(fromDeps?.args).to.equal(`--from=${depsStageName} /app/node_modules ./node_modules`);
  });

  it('runs as a non-root numeric user (what runAsNonRoot can verify), set before the entrypoint', () => {
    const user = last('USER');
    expect(user?.args).to.match(/^[1-9]\d*(:[1-9]\d*)?$/);
    expect(final.indexOf(user!)).to.be.lessThan(final.indexOf(last('ENTRYPOINT')!));
  });

  it("has exec-form ENTRYPOINT and CMD that together run `npm run start:api`'s command", () => {
    const command = [...execForm(last('ENTRYPOINT')), ...execForm(last('CMD'))];
    expect(command.join(' ')).to.equal(packageJson.scripts['start:api']);
    // From sources through tsx (`npm run build` leaves out the .lua and .sql files): a runtime dependency.
    expect(command.slice(0, 3)).to.deep.equal(['node', '--import', 'tsx']);
    expect(packageJson.dependencies).to.have.property('tsx');
  });

  it('copies only paths that exist, and every script the Kubernetes workloads start', () => {
    const copies = final.filter((i) => i.keyword === 'COPY' && !i.args.startsWith('--from='));
    const sources = copies.flatMap((i) => i.args.split(' ').slice(0, -1));
    for (const source of sources) expect(existsSync(`${REPO_ROOT}${source}`), source).to.equal(true);
    const inImage = (file: string) => sources.some((s) => file === s || file.startsWith(`${s}/`));
    for (const dir of DEPLOYABLE) {
      for (const workload of workloads(rendering(dir)).filter((w) => w.component !== undefined)) {
        const script = workload.containers[0]!.args![0]!;
        expect(inImage(script), `${workload.id} runs ${script}`).to.equal(true);
      }
    }
    for (const needed of [
      'src/processes/api-process.ts',
      'workers/matcher-thread.ts',
      'config/markets.json',
    ]) {
      expect(inImage(needed), needed).to.equal(true);
    }
  });

  it('keeps secrets, local installs, tests and git out of the build context and the image', () => {
    const ignored = readFileSync(`${REPO_ROOT}.dockerignore`, 'utf8').split('\n');
    expect(ignored).to.include.members(['.git', 'node_modules', '.env', 'test']);
    for (const i of instructions.filter((x) => x.keyword === 'ENV' || x.keyword === 'ARG')) {
      expect(i.args, i.keyword).to.not.match(/SECRET|PASSWORD|TOKEN|MYSQL_URL|REDIS_URL/i);
    }
  });

  it('the parser reads continuations and rejects the shell form (so the checks above can fail)', () => {
    const parsed = parseDockerfile('# c\nFROM a AS b\nRUN x \\\n  # note\n  y\nCMD node x.ts\n');
    expect(parsed.map((i) => [i.keyword, i.args, i.stage])).to.deep.equal([
      ['FROM', 'a AS b', 0],
      ['RUN', 'x y', 0],
      ['CMD', 'node x.ts', 0],
    ]);
    expect(() => execForm(parsed[2])).to.throw();
  });
});
