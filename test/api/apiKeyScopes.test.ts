/**
 * Issue 14 #1, least-privilege API keys: API_KEYS entries `<id>:<scope>[+<scope>…]:<secret>` (or a bare key with every
 * scope) are parsed and validated without echoing a secret; every keyed route admits only its scopes (403 naming the
 * missing scope, not 401), over real HTTP; the token-read audit line names the key id; codec sessions need the
 * operator scope.
 */
import test from 'ava';
import { API_SCOPES, parseApiKeys } from '../../src/apiKeys';
import { ConfigError, loadConfig } from '../../src/config';
import { startApiHarness, type ApiHarness } from './apiHarness';

const SECRETS = {
  payments: 'payments-secret-0123456789abcdef',
  backend: 'backend-secret-0123456789abcdef',
  ops: 'operator-secret-0123456789abcdef',
  scraper: 'scraper-secret-0123456789abcdef',
  dev: 'bare-dev-secret-0123456789abcdef',
};
const API_KEYS = [
  `payments:tokens:read:${SECRETS.payments}`,
  `backend:authorizations:${SECRETS.backend}`,
  `ops:operator:${SECRETS.ops}`,
  `prometheus:metrics:${SECRETS.scraper}`,
  SECRETS.dev,
].join(',');

test('API_KEYS: scoped entries, bare keys with every scope, "*"; the first colon ends the id and the last starts the secret', (t) => {
  const config = loadConfig({ API_KEYS: `${API_KEYS}, all:*:${'s'.repeat(20)} ,both:authorizations+tokens:read:${'b'.repeat(16)}` });
  t.deepEqual(config.api.keys.map((key) => [key.id, key.scopes, key.bare]), [
    ['payments', ['tokens:read'], false],
    ['backend', ['authorizations'], false],
    ['ops', ['operator'], false],
    ['prometheus', ['metrics'], false],
    ['key5', [...API_SCOPES], true],
    ['all', [...API_SCOPES], false],
    ['both', ['tokens:read', 'authorizations'], false],
  ]);
  t.is(config.api.keys[0]!.secret, SECRETS.payments);
});

test('API_KEYS problems name the entry and id, never a secret or text that may be part of one', (t) => {
  const secret = 'this-is-the-secret-value-0123';
  const cases: [string, RegExp][] = [
    [`short-secret`, /entry 1 \(a bare key\): the secret must be at least 16 characters/],
    [`ops:${secret}`, /entry 1: expected <id>:<scope>\[\+<scope>…\]:<secret>/],
    [`ops:operatr:${secret}`, /entry 1 \(id "ops"\): scope 1 is not one of tokens:read, authorizations, operator, metrics, \*/],
    [`ops:operator+${secret.slice(0, 10)}:${secret}`, /scope 2 is not one of/],
    [`o p s:operator:${secret}`, /entry 1: the id must be 1-64 characters/],
    [`ops:operator:short`, /entry 1 \(id "ops"\): the secret must be at least 16 characters/],
    [`ops:operator:${secret},ops:metrics:${secret}x`, /the id "ops" is used by more than one key/],
    [`a:operator:${secret},b:metrics:${secret}`, /keys "a" and "b" have the same secret/],
    [`a:operator:${secret},,b:metrics:${secret}x`, /entry 2 is empty/],
    [`ops:tokens:read+operator:${secret} x`, /must not contain whitespace/],
  ];
  for (const [value, problem] of cases) {
    const error = t.throws(() => loadConfig({ API_KEYS: value }), { instanceOf: ConfigError }, value);
    t.regex(error.message, /API_KEYS: /, value);
    t.regex(error.message, problem, value);
    t.false(error.message.includes(secret), `no secret in: ${error.message}`);
    t.false(error.message.includes(secret.slice(0, 10)), `no part of a secret in: ${error.message}`);
  }
  t.deepEqual(parseApiKeys(''), { keys: [], problems: [] });
});

async function listening(t: import('ava').ExecutionContext): Promise<{ h: ApiHarness; call: (who: keyof typeof SECRETS, method: string, path: string, body?: unknown) => Promise<Response> }> {
  const h = await startApiHarness(t, { settings: { keys: parseApiKeys(API_KEYS).keys } });
  const url = await h.app.listen({ host: '127.0.0.1', port: 0 });
  const call = (who: keyof typeof SECRETS, method: string, path: string, body?: unknown) =>
    fetch(`${url}${path}`, {
      method,
      headers: { authorization: `Bearer ${SECRETS[who]}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  return { h, call };
}

const ROUTES: [method: string, path: string, body: unknown, scopes: string[]][] = [
  ['POST', '/authorizations', { wallet: 'GCASH', customerId: 'cust-1' }, ['authorizations']],
  ['GET', '/authorizations/GCASH/cust-1', undefined, ['authorizations']],
  ['GET', '/authorizations/GCASH/cust-1/qr.svg', undefined, ['authorizations']],
  ['DELETE', '/authorizations/GCASH/cust-1', undefined, ['authorizations']],
  ['POST', '/authorizations/GCASH/cust-1/refresh', {}, ['authorizations']],
  ['POST', '/authorizations/GCASH/cust-1/retry', {}, ['authorizations', 'operator']],
  ['POST', '/operator/retry', {}, ['operator']],
  ['GET', '/operator/notifications/unrouted', undefined, ['operator']],
  ['GET', '/authorizations/GCASH/cust-1/token', undefined, ['tokens:read']],
  ['GET', `/tokens/expiring?before=${encodeURIComponent('2030-01-01T00:00:00Z')}`, undefined, ['authorizations']],
  ['POST', '/codec/encode', { payloads: [] }, ['operator']],
  ['POST', '/codec/decode', { payloads: [] }, ['operator']],
  ['GET', '/metrics', undefined, ['metrics', 'operator']],
];
const SCOPES_OF: Record<keyof typeof SECRETS, string[]> = {
  payments: ['tokens:read'], backend: ['authorizations'], ops: ['operator'], scraper: ['metrics'], dev: [...API_SCOPES],
};

test('every keyed route admits only its scopes: 403 with a JSON error naming the missing scope and the key id, over real HTTP', async (t) => {
  const { call } = await listening(t);
  for (const who of Object.keys(SECRETS) as (keyof typeof SECRETS)[]) {
    for (const [method, path, body, scopes] of ROUTES) {
      const response = await call(who, method, path, body);
      const what = `${who} ${method} ${path}`;
      if (scopes.some((scope) => SCOPES_OF[who].includes(scope))) {
        t.false([401, 403].includes(response.status), `${what} is admitted (got ${response.status})`);
        continue;
      }
      t.is(response.status, 403, what);
      const error = (await response.json() as { error: { code: string; message: string } }).error;
      t.is(error.code, 'insufficient-scope', what);
      t.true(error.message.includes(scopes.join(' or ')), `${what}: ${error.message}`);
      t.true(error.message.includes(`"${who === 'scraper' ? 'prometheus' : who}"`), `${what} names the key id`);
      t.false(error.message.includes(SECRETS[who]), what);
      t.regex(String(response.headers.get('www-authenticate')), /error="insufficient_scope"/);
    }
  }
  // An unknown key is still 401, not 403.
  const unknown = await fetch(`${(await listening(t)).h.app.listeningOrigin}/authorizations/GCASH/cust-1/token`, { headers: { authorization: 'Bearer not-a-configured-key-000000' } });
  t.is(unknown.status, 401);
});

test('/readyz shows dependency details only to a key with the operator or metrics scope', async (t) => {
  const { call } = await listening(t);
  for (const [who, details] of [['payments', false], ['backend', false], ['ops', true], ['scraper', true], ['dev', true]] as const) {
    const body = await (await call(who, 'GET', '/readyz')).json() as { checks?: unknown };
    t.is(body.checks !== undefined, details, who);
  }
});

test('the token-read audit line names the key id that read the token, never the key', async (t) => {
  const { h, call } = await listening(t);
  h.operations.tokens.set('GCASH/cust-1', { workflowId: 'authorization:GCASH:cust-1', accessToken: 'AT-scoped-read-0001', accessTokenExpiry: '2030-01-01T00:00:00Z', state: 'ACTIVE' });
  t.is((await call('payments', 'GET', '/authorizations/GCASH/cust-1/token')).status, 200);
  t.is((await call('dev', 'GET', '/authorizations/GCASH/cust-1/token')).status, 200);
  const audits = h.logs.filter((line) => line.includes('"audit":"token-read"')).map((line) => JSON.parse(line) as { apiKeyId?: string });
  t.deepEqual(audits.map((line) => line.apiKeyId), ['payments', 'key5']);
  const logs = h.logs.join('');
  for (const secret of Object.values(SECRETS)) t.false(logs.includes(secret));
  t.false(logs.includes('AT-scoped-read-0001'));
});

test('codec sessions: only a key with the operator scope opens one (bearer 403 JSON, login form 403 page); the session then decodes', async (t) => {
  const { call, h } = await listening(t);
  for (const who of ['payments', 'backend', 'scraper'] as const) {
    const response = await call(who, 'POST', '/codec/session');
    t.is(response.status, 403, who);
    t.regex((await response.json() as { error: { message: string } }).error.message, /lacks the scope this route needs: operator/);
    t.is(response.headers.get('set-cookie'), null, who);
  }
  const form = await h.app.inject({
    method: 'POST', url: '/codec/session', headers: { 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'same-origin' },
    payload: `apiKey=${SECRETS.backend}`,
  });
  t.is(form.statusCode, 403);
  t.regex(form.body, /lacks the scope this route needs: operator/);
  t.is(form.headers['set-cookie'], undefined);

  const opened = await call('ops', 'POST', '/codec/session');
  t.is(opened.status, 200);
  const cookie = String(opened.headers.get('set-cookie')).split(';')[0]!;
  t.regex(cookie, /=v2\.ops\.operator\./);
  const decoded = await h.app.inject({ method: 'POST', url: '/codec/decode', headers: { cookie, 'content-type': 'application/json' }, payload: { payloads: [] } });
  t.is(decoded.statusCode, 200);
});
