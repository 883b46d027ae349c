/**
 * Where the CPU goes while the benchmark runs: every part shares the same cores (load generator,
 * API and matcher processes, Redis, MariaDB), so a throughput ceiling is only understood with the
 * split. Linux only: a process's user + system time from /proc/<pid>/stat (all its threads), the
 * machine's busy time from /proc/stat. Elsewhere the readings are simply absent.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface TrackedProcess {
  readonly name: string;
  readonly pid: number;
}

/** Clock ticks per second of /proc's times (USER_HZ, almost always 100). */
function clockTicks(): number {
  try {
    const hz = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return hz > 0 ? hz : 100;
  } catch {
    return 100;
  }
}

const CLK_TCK = clockTicks();

/** Seconds of CPU (user + system, every thread) the process has used; undefined when it is gone. */
export function processCpuSeconds(pid: number): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces and parentheses: count fields after its last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return Number.isFinite(utime) && Number.isFinite(stime) ? (utime + stime) / CLK_TCK : undefined;
}

/** The machine's busy and total CPU seconds over all cores since boot. */
export function machineCpuSeconds(): { busy: number; total: number } | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
    const values = line.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal (guest time is already in user).
    const [user, nice, system, idle, iowait, irq, softirq, steal] = values.map((v) => v || 0);
    const busy = user! + nice! + system! + irq! + softirq! + steal!;
    return { busy: busy / CLK_TCK, total: (busy + idle! + iowait!) / CLK_TCK };
  } catch {
    return undefined;
  }
}

export interface CpuReading {
  readonly atMs: number;
  readonly byName: ReadonlyMap<string, number>;
  readonly machine: { busy: number; total: number } | undefined;
}

/** Reads every tracked process (summing processes of the same name) and the machine. */
export function readCpu(processes: readonly TrackedProcess[], atMs = performance.now()): CpuReading {
  const byName = new Map<string, number>();
  for (const { name, pid } of processes) {
    const seconds = processCpuSeconds(pid);
    if (seconds !== undefined) byName.set(name, (byName.get(name) ?? 0) + seconds);
  }
  return { atMs, byName, machine: machineCpuSeconds() };
}

/** CPU use between two readings, in % of one core, per name; `machine` is the whole box's busy %, `other` what no tracked process explains. */
export interface CpuSplit {
  readonly seconds: number;
  readonly percent: Readonly<Record<string, number>>;
  readonly machinePercent: number | null;
  readonly otherPercent: number | null;
  readonly cores: number | null;
}

export function cpuBetween(a: CpuReading, b: CpuReading): CpuSplit {
  const seconds = (b.atMs - a.atMs) / 1000;
  const percent: Record<string, number> = {};
  let tracked = 0;
  for (const [name, after] of b.byName) {
    const before = a.byName.get(name);
    if (before === undefined || seconds <= 0) continue;
    percent[name] = (100 * (after - before)) / seconds;
    tracked += percent[name];
  }
  let machinePercent: number | null = null;
  let cores: number | null = null;
  if (a.machine && b.machine && b.machine.total > a.machine.total && seconds > 0) {
    cores = (b.machine.total - a.machine.total) / seconds;
    machinePercent = (100 * (b.machine.busy - a.machine.busy)) / seconds;
  }
  return {
    seconds,
    percent,
    machinePercent,
    otherPercent: machinePercent === null ? null : Math.max(0, machinePercent - tracked),
    cores: cores === null ? null : Math.round(cores),
  };
}

/** The pid of the first process named exactly `name` (pgrep -x), if any. */
export function pidOfProgram(...names: string[]): number | undefined {
  for (const name of names) {
    try {
      const out = execFileSync('pgrep', ['-x', name], { encoding: 'utf8' }).trim().split('\n')[0];
      if (out !== undefined && /^[0-9]+$/.test(out)) return Number(out);
    } catch {
      // pgrep exits 1 when nothing matches.
    }
  }
  return undefined;
}
