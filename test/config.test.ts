import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, KNOBS, loadConfig } from '../src/config';

test('defaults give a working development configuration', (t) => {
  const config = loadConfig({});
  t.is(config.redis.url, 'redis://127.0.0.1:6379');
  t.is(config.temporal.taskQueue, 'antom-auth');
  t.is(config.antom, undefined, 'no Antom endpoint configured means the embedded sandbox');
  t.is(config.api.publicBaseUrl, 'http://127.0.0.1:8080');
  t.is(config.api.resultPageUrl, 'http://127.0.0.1:8080/demo/result');
  t.false(config.api.demoEnabled);
});

test('every problem is reported at once, naming the variable', (t) => {
  const error = t.throws(() => loadConfig({ REDIS_URL: 'http://x', API_PORT: 'eighty', LOG_LEVEL: 'loud' }), { instanceOf: ConfigError });
  t.regex(error.message, /REDIS_URL/);
  t.regex(error.message, /API_PORT/);
  t.regex(error.message, /LOG_LEVEL/);
  t.is(error.problems.length, 3);
});

test('an Antom endpoint needs client-id and both keys', (t) => {
  const error = t.throws(() => loadConfig({ ANTOM_REGION: 'sea' }), { instanceOf: ConfigError });
  t.deepEqual(error.problems.map((p) => p.split(':')[0]).sort(), ['ANTOM_CLIENT_ID', 'ANTOM_PRIVATE_KEY_FILE', 'ANTOM_PUBLIC_KEY_FILE']);
});

test('short API keys are rejected without echoing them', (t) => {
  const error = t.throws(() => loadConfig({ API_KEYS: 'short-secret,0123456789abcdef' }), { instanceOf: ConfigError });
  t.notRegex(error.message, /short-secret/);
  t.regex(error.message, /API_KEYS/);
});

test('RESULT_PAGE_URL must be an absolute http(s) URL: the wallet redirect builds its Location on it', (t) => {
  for (const value of ['/demo/result', 'shop.example/linked', 'javascript:alert(1)']) {
    const error = t.throws(() => loadConfig({ RESULT_PAGE_URL: value }), { instanceOf: ConfigError }, value);
    t.regex(error.message, /RESULT_PAGE_URL/);
  }
  t.is(loadConfig({ RESULT_PAGE_URL: 'https://shop.example/linked?lang=en' }).api.resultPageUrl, 'https://shop.example/linked?lang=en');
});

test('CODEC_CORS_ORIGIN must be an origin exactly as a browser sends it (it is compared with the Origin header as text)', (t) => {
  for (const value of ['http://localhost:8233/', 'localhost:8233', 'http://ui.example/temporal', 'HTTP://UI.example']) {
    const error = t.throws(() => loadConfig({ CODEC_CORS_ORIGIN: value }), { instanceOf: ConfigError }, value);
    t.regex(error.message, /CODEC_CORS_ORIGIN/);
  }
  t.is(loadConfig({ CODEC_CORS_ORIGIN: 'https://temporal.example:8443' }).api.codecCorsOrigin, 'https://temporal.example:8443');
});

test('secret values never appear in config errors', (t) => {
  const error = t.throws(() => loadConfig({ ANTOM_AGENT_TOKEN: 'x'.repeat(200) + 'SECRET-AGENT' }), { instanceOf: ConfigError });
  t.notRegex(error.message, /SECRET-AGENT/);
});

test('the README configuration table lists every knob with its default', (t) => {
  const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
  for (const [name, knob] of Object.entries(KNOBS)) {
    const row = readme.split('\n').find((line) => line.startsWith(`| \`${name}\` |`));
    t.truthy(row, `README lacks a row for ${name}`);
    if ('default' in knob) t.true(row!.includes(`\`${knob.default}\``), `README row for ${name} lacks its default ${knob.default}`);
  }
});

test('webhooks: off by default; WEBHOOK_URL needs WEBHOOK_SECRETS of ≥ 32 characters, errors never echo a secret', (t) => {
  t.is(loadConfig({}).webhooks, undefined);
  const good = 'a'.repeat(32);
  const other = 'b'.repeat(40);
  t.deepEqual(loadConfig({ WEBHOOK_URL: 'https://merchant.example/hooks', WEBHOOK_SECRETS: `${good},${other}` }).webhooks, {
    url: 'https://merchant.example/hooks',
    secrets: [good, other],
    timeoutMs: 10_000,
  });
  t.deepEqual(t.throws(() => loadConfig({ WEBHOOK_URL: 'https://merchant.example/hooks' }), { instanceOf: ConfigError }).problems, [
    'WEBHOOK_SECRETS: required when WEBHOOK_URL is set (deliveries are always signed)',
  ]);
  t.deepEqual(t.throws(() => loadConfig({ WEBHOOK_SECRETS: good }), { instanceOf: ConfigError }).problems, [
    'WEBHOOK_URL: required when WEBHOOK_SECRETS is set (where should the webhooks go?)',
  ]);
  const weak = t.throws(() => loadConfig({ WEBHOOK_URL: 'https://merchant.example/hooks', WEBHOOK_SECRETS: `${good},too-short-secret,${good}` }), { instanceOf: ConfigError });
  t.deepEqual(weak.problems, ['WEBHOOK_SECRETS: secret 2 is shorter than 32 characters', 'WEBHOOK_SECRETS: a secret appears twice']);
  t.false(weak.message.includes('too-short-secret'));
  t.false(weak.message.includes(good));
  t.truthy(t.throws(() => loadConfig({ WEBHOOK_URL: 'ftp://merchant.example', WEBHOOK_SECRETS: good }), { instanceOf: ConfigError }).problems[0]!.startsWith('WEBHOOK_URL'));
  t.truthy(t.throws(() => loadConfig({ WEBHOOK_URL: 'https://m.example', WEBHOOK_SECRETS: good, WEBHOOK_TIMEOUT_MS: '90000' }), { instanceOf: ConfigError }).problems[0]!.startsWith('WEBHOOK_TIMEOUT_MS'));
});
