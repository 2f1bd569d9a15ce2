/**
 * MERCHANTS_FILE (README "Several merchants"): parsed into one connection per merchant, every problem named at once
 * (merchant and field, never a key), and the ANTOM_* variables as the one-merchant case (`default`).
 */
import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { merchantPlatforms, notificationKeysOfMerchants } from '../src/api/apiService';
import { ConfigError, loadConfig } from '../src/config';
import { loadMerchantsFile } from '../src/merchantsFile';
import { fixtureKeyPaths } from './support/fixtureKeys';

const shopA = { id: 'shop-a', platform: 'antom', clientId: 'CLIENT_A', region: 'sea', privateKeys: { 1: fixtureKeyPaths.merchantPrivatePkcs8Pem }, publicKeys: { 1: fixtureKeyPaths.antomPublicPem } };
const shopB = {
  id: 'shop-b', platform: 'alipayplus', clientId: 'CLIENT_B', baseUrl: 'https://open-sea.alipayplus.example', authClientName: 'Shop B Ltd',
  privateKeys: { 1: fixtureKeyPaths.merchantPrivatePkcs8Pem, 2: fixtureKeyPaths.merchantPrivateV2Pem }, publicKeys: { 1: fixtureKeyPaths.antomPublicPem },
};

function file(content: unknown): string {
  const path = join(mkdtempSync(join(tmpdir(), 'antom-auth-merchants-')), 'merchants.json');
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

test('MERCHANTS_FILE: each merchant with its platform, client-id, endpoint and keys; the newest key signs unless named', (t) => {
  const config = loadConfig({ MERCHANTS_FILE: file({ merchants: [shopA, shopB] }) });
  t.deepEqual(config.merchants.map((m) => [m.id, m.platform, m.clientId, m.region ?? m.baseUrl]), [
    ['shop-a', 'antom', 'CLIENT_A', 'sea'],
    ['shop-b', 'alipayplus', 'CLIENT_B', 'https://open-sea.alipayplus.example'],
  ]);
  t.is(config.merchants[1]!.keys.signingKeyVersion, '2');
  t.is(config.merchants[1]!.alipayPlusAuthClientName, 'Shop B Ltd');
  t.is(config.antom, undefined);
  // The API side: notification keys by client-id, the routes' merchants with their platforms.
  const keys = notificationKeysOfMerchants(config.merchants);
  t.deepEqual([...keys.merchants!.keys()], ['CLIENT_A', 'CLIENT_B']);
  t.is(keys.merchants!.get('CLIENT_B')!.alipayPlusResponseSigner!.keyVersion, '2');
  t.deepEqual(keys.clientIds, [], 'no default merchant: no default keys');
  t.deepEqual([...merchantPlatforms(config.merchants)], [['shop-a', 'antom'], ['shop-b', 'alipayplus']]);
});

test('relative key paths are relative to the file', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'antom-auth-merchants-'));
  writeFileSync(join(dir, 'merchants.json'), JSON.stringify({ merchants: [{ ...shopA, privateKeys: { 1: 'keys/a.pem' } }] }));
  const { merchants, problems } = loadMerchantsFile(join(dir, 'merchants.json'));
  t.deepEqual(problems, []);
  t.is(merchants[0]!.keys.privateKeys[0]!.path, join(dir, 'keys', 'a.pem'));
});

test('the ANTOM_* variables are the one-merchant case: merchant `default`', (t) => {
  const config = loadConfig({ ANTOM_REGION: 'sea', ANTOM_CLIENT_ID: 'C', ANTOM_PRIVATE_KEY_FILE: fixtureKeyPaths.merchantPrivatePkcs8Pem, ANTOM_PUBLIC_KEY_FILE: fixtureKeyPaths.antomPublicPem });
  t.deepEqual(config.merchants.map((m) => [m.id, m.clientId, m.platform]), [['default', 'C', undefined]]);
  const keys = notificationKeysOfMerchants(config.merchants);
  t.deepEqual(keys.clientIds, ['C']);
  t.is(keys.merchants, undefined);
  t.deepEqual(loadConfig({}).merchants, [], 'nothing configured: the embedded sandbox');
});

test('every problem at once, naming the merchant and field; never both MERCHANTS_FILE and ANTOM_*', (t) => {
  const error = t.throws(() => loadConfig({
    ANTOM_REGION: 'sea', ANTOM_CLIENT_ID: 'C', ANTOM_PRIVATE_KEY_FILE: fixtureKeyPaths.merchantPrivatePkcs8Pem, ANTOM_PUBLIC_KEY_FILE: fixtureKeyPaths.antomPublicPem,
    MERCHANTS_FILE: file({ merchants: [
      { ...shopA, region: undefined },
      { ...shopB, authClientName: undefined, signingKeyVersion: '7' },
      { ...shopA, clientId: 'CLIENT_B' },
    ] }),
  }), { instanceOf: ConfigError });
  t.deepEqual(error.problems, [
    'MERCHANTS_FILE: set either MERCHANTS_FILE or ANTOM_BASE_URL / ANTOM_REGION (the single merchant), not both; name that merchant `default` in the file to keep its authorizations',
    'MERCHANTS_FILE: merchants[0] (shop-a): baseUrl or region is required',
    'MERCHANTS_FILE: merchants[1] (shop-b): authClientName is required for an alipayplus merchant (Alipay+ prepare shows it on the consent page)',
    'MERCHANTS_FILE: merchants[1] (shop-b): signingKeyVersion 7 is not among its privateKeys (1, 2)',
    'MERCHANTS_FILE: two merchants have id shop-a: each must be unique',
    'MERCHANTS_FILE: two merchants have clientId CLIENT_B: each must be unique',
  ]);
});

test('a malformed file or entry is named, not thrown', (t) => {
  t.regex(loadMerchantsFile('/nonexistent/merchants.json').problems[0]!, /^MERCHANTS_FILE: cannot read \/nonexistent\/merchants\.json \(ENOENT\)$/);
  t.regex(loadMerchantsFile(file('{ not json')).problems[0]!, /^MERCHANTS_FILE: .* is not JSON/);
  t.deepEqual(loadMerchantsFile(file({ merchants: [] })).problems, ['MERCHANTS_FILE: merchants: lists no merchant']);
  const { problems } = loadMerchantsFile(file({ merchants: [{ ...shopA, id: 'Shop:A', platform: 'paypal', privateKeys: {}, extra: 1 }] }));
  t.true(problems.some((p) => p.startsWith('MERCHANTS_FILE: merchants[0].id: must be a merchant id')), problems.join('\n'));
  t.true(problems.some((p) => p.startsWith('MERCHANTS_FILE: merchants[0].platform: ')), problems.join('\n'));
  t.true(problems.some((p) => p === 'MERCHANTS_FILE: merchants[0].privateKeys: lists no key'), problems.join('\n'));
  t.true(problems.some((p) => p.includes('extra')), problems.join('\n'));
});
