import test from 'ava';
import { Writable } from 'node:stream';
import { createLogger, maskSecret } from '../src/logger';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({ write(chunk, _enc, done) { lines.push(String(chunk)); done(); } });
  return { lines, logger: createLogger({ level: 'info' }, stream) };
}

test('tokens, authCodes and keys are redacted wherever they sit in a logged object', (t) => {
  const { lines, logger } = capture();
  const secrets = { accessToken: 'AT-plain-123456789', refreshToken: 'RT-plain-123456789', authCode: 'AC-plain-12345' };
  logger.info({ ...secrets, nested: { tokens: { ...secrets } }, deep: { a: { b: { accessToken: 'AT-deep-secret' } } } }, 'event');
  logger.info({ req: { headers: { authorization: 'Bearer API-KEY-SECRET', 'agent-token': 'AGENT-SECRET' } } }, 'http');
  const out = lines.join('');
  for (const s of ['AT-plain-123456789', 'RT-plain-123456789', 'AC-plain-12345', 'AT-deep-secret', 'API-KEY-SECRET', 'AGENT-SECRET']) {
    t.false(out.includes(s), `${s} leaked`);
  }
  t.true(out.includes('[redacted]'));
});

test('errors are logged by type and message only', (t) => {
  const { lines, logger } = capture();
  const err = Object.assign(new Error('boom'), { requestBody: '{"refreshToken":"RT-in-error"}' });
  logger.error({ err }, 'failed');
  const out = lines.join('');
  t.true(out.includes('boom'));
  t.false(out.includes('RT-in-error'));
});

test('maskSecret never reveals more than a few characters', (t) => {
  t.is(maskSecret('short'), '*****');
  t.is(maskSecret('ABCDEFGHIJKLMNOPQRSTUVWXYZ'), 'ABCD…YZ');
  t.is(maskSecret(undefined), '');
});
