/**
 * The pids of the Redis and MariaDB servers the system uses, to measure their CPU, when they run on
 * this machine: Redis says its own (INFO server, process_id), MariaDB names its pid file
 * (@@pid_file). `pgrep -x` is the fallback; a server on another host is not tracked.
 */
import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import type { Pool, RowDataPacket } from 'mysql2/promise';
import { pidOfProgram, type TrackedProcess } from './cpu.ts';

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

function isLocal(url: string): boolean {
  try {
    return LOCAL_HOSTS.has(new URL(url).hostname);
  } catch {
    return false;
  }
}

async function redisPid(redis: Redis): Promise<number | undefined> {
  try {
    const info = await redis.info('server');
    const match = /^process_id:(\d+)/m.exec(info);
    return match ? Number(match[1]) : pidOfProgram('redis-server');
  } catch {
    return pidOfProgram('redis-server');
  }
}

async function mariadbPid(pool: Pool): Promise<number | undefined> {
  try {
    const [rows] = await pool.query<RowDataPacket[]>('SELECT @@pid_file AS pidFile');
    const pid = Number(readFileSync(String(rows[0]?.pidFile), 'utf8').trim());
    if (Number.isSafeInteger(pid) && pid > 0) return pid;
  } catch {
    // No pid file to read (another user's, another host's): try by name.
  }
  return pidOfProgram('mariadbd', 'mysqld');
}

export async function serverProcesses(
  redis: Redis,
  pool: Pool,
  redisUrl: string,
  mysqlUrl: string,
): Promise<TrackedProcess[]> {
  const found: TrackedProcess[] = [];
  if (isLocal(redisUrl)) {
    const pid = await redisPid(redis);
    if (pid !== undefined) found.push({ name: 'redis', pid });
  }
  if (isLocal(mysqlUrl)) {
    const pid = await mariadbPid(pool);
    if (pid !== undefined) found.push({ name: 'mariadb', pid });
  }
  return found;
}
