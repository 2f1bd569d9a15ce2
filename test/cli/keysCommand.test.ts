// `antom-auth keys` through the real binary: reencrypt moves a projection written under the old key and reports the
// counts; a second run has nothing to do; a bad ENCRYPTION_KEYS or subcommand is a usage error that echoes no key.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import test from 'ava';
import { Redis } from 'ioredis';
import { generateEncryptionKey, parseKeyRingSpec } from '../../src/codec/keyRing';
import { redisKeyReferences } from '../../src/store/encryptionKeyMigration';
import { redisKeys } from '../../src/store/redisKeys';
import { TokenProjectionStore } from '../../src/store/tokenProjection';

const BIN = resolve(__dirname, '..', '..', 'bin', 'antom-auth.js');
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

function run(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done, reject) => {
    execFile(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, ...env } }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : NaN) : 0;
      if (Number.isNaN(code)) reject(error);
      else done({ code, stdout, stderr });
    });
  });
}

test('keys reencrypt: counts, idempotent; usage errors name the problem, never a key', async (t) => {
  t.timeout(300_000);
  const prefix = `test:cli-keys:${randomBytes(6).toString('hex')}:`;
  const redis = new Redis(REDIS_URL);
  t.teardown(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });
  const k1 = `k1:${generateEncryptionKey()}`;
  const k2 = `k2:${generateEncryptionKey()}`;
  await new TokenProjectionStore(redis, { keyRing: parseKeyRingSpec(k1), keys: redisKeys(prefix) }).put({
    workflowId: 'authorization:GCASH:c1', wallet: 'GCASH', customerId: 'c1', accessToken: 'tok-1',
    accessTokenExpiry: new Date(Date.now() + 3_600_000).toISOString(), state: 'ACTIVE', updatedAt: new Date().toISOString(), version: 1,
  });
  const env = { REDIS_URL, REDIS_KEY_PREFIX: prefix, ENCRYPTION_KEYS: `${k2},${k1}` };
  const first = await run(['keys', 'reencrypt'], env);
  t.is(first.code, 0, first.stderr);
  t.regex(first.stdout, /re-encrypted: 1 token projection/);
  t.deepEqual((await redisKeyReferences({ redis, keys: redisKeys(prefix) })).tokenProjections, { k2: 1 });
  t.regex((await run(['keys', 'reencrypt'], env)).stdout, /re-encrypted: 0 token projection/);

  t.is((await run(['keys', 'rotate'], env)).code, 2);
  const badKey = await run(['keys', 'reencrypt'], { ...env, ENCRYPTION_KEYS: 'k9:not-base64!' });
  t.is(badKey.code, 2);
  t.regex(badKey.stderr, /ENCRYPTION_KEYS: key "k9"/);
  t.false(badKey.stderr.includes('not-base64!'));
});
