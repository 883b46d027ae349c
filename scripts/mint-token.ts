/**
 * npm run token -- <userId> [admin] [--expires-in seconds]
 * Prints a bearer token signed with the configured JWT_SECRET (the documented development default
 * unless set), for the quick start and manual testing.
 */
import { parseArgs } from 'node:util';
import { mintToken } from '../src/api/auth.ts';
import { loadConfig } from '../src/config/config.ts';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { 'expires-in': { type: 'string', default: '86400' } },
});
const userId = Number(positionals[0]);
if (!Number.isSafeInteger(userId) || userId < 1) {
  console.error('usage: npm run token -- <userId> [admin] [--expires-in seconds]');
  process.exit(2);
}
const config = loadConfig();
const token = await mintToken(config.auth.jwtSecret, {
  userId,
  role: positionals[1] === 'admin' ? 'admin' : undefined,
  expiresIn: Number(values['expires-in']),
});
console.log(token);
