/**
 * MERCHANTS_FILE: several merchants, each its own Antom or Alipay+ account, in one deployment. A JSON file:
 *
 *   { "merchants": [
 *       { "id": "shop-ph", "platform": "antom", "clientId": "SANDBOX_5Y…", "region": "sea",
 *         "privateKeys": { "1": "keys/shop-ph.pem" }, "publicKeys": { "1": "keys/antom-sea.pem" } },
 *       { "id": "kr-acquirer", "platform": "alipayplus", "clientId": "2188…", "baseUrl": "https://…",
 *         "privateKeys": { "1": "keys/kr-1.pem", "2": "keys/kr-2.pem" }, "signingKeyVersion": "2",
 *         "publicKeys": { "1": "keys/alipayplus.pem" }, "authClientName": "Example Korea Ltd" } ] }
 *
 * Per merchant: `id` (goes into the workflow id of its customers; `default` is the id the single-merchant ANTOM_*
 * variables have, so naming a merchant `default` keeps authorizations linked before), `platform`, `clientId`, where
 * to call (`baseUrl` or `region`), the key files by keyVersion (relative paths are relative to the file), optional
 * `signingKeyVersion` (default the highest), `authClientName` (Alipay+, required: prepare needs it), `agentToken`,
 * `sandboxPath` (auto | true | false). Every problem is reported at once, naming the merchant and field, never a
 * key's contents. The key files themselves are read where they are used (signatureKeys.ts), like the ANTOM_* ones.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { KEY_VERSION_PATTERN, KEY_VERSION_RULE, newestKeyVersion, type KeyFileSource } from './antom/signatureKeys';
import { MERCHANT_ID_PATTERN, MERCHANT_ID_RULE } from './workflows/authorizationIdentity';

export const MERCHANT_REGIONS = ['na', 'us', 'sea', 'eu', 'aps-sea', 'aps-na'] as const;
export type MerchantPlatform = 'antom' | 'alipayplus';

/** One merchant's connection, as config.ts's AntomConnection plus its id and platform. */
export interface MerchantEntry {
  readonly id: string;
  readonly platform: MerchantPlatform;
  readonly clientId: string;
  readonly baseUrl?: string;
  readonly region?: (typeof MERCHANT_REGIONS)[number];
  readonly sandboxPath: 'auto' | boolean;
  readonly keys: { readonly privateKeys: readonly KeyFileSource[]; readonly signingKeyVersion: string; readonly publicKeys: readonly KeyFileSource[] };
  readonly agentToken?: string;
  readonly alipayPlusAuthClientName?: string;
}

const keyFiles = z.record(z.string().regex(KEY_VERSION_PATTERN, `keyVersion ${KEY_VERSION_RULE}`), z.string().trim().min(1)).refine((files) => Object.keys(files).length > 0, 'lists no key');

const merchantSchema = z.strictObject({
  id: z.string().regex(MERCHANT_ID_PATTERN, MERCHANT_ID_RULE),
  platform: z.enum(['antom', 'alipayplus']),
  clientId: z.string().trim().min(1).max(64),
  baseUrl: z.url({ protocol: /^https?$/ }).optional(),
  region: z.enum(MERCHANT_REGIONS).optional(),
  privateKeys: keyFiles,
  signingKeyVersion: z.string().regex(KEY_VERSION_PATTERN, KEY_VERSION_RULE).optional(),
  publicKeys: keyFiles,
  authClientName: z.string().trim().min(1).max(256).optional(),
  agentToken: z.string().min(1).optional(),
  sandboxPath: z.union([z.literal('auto'), z.boolean()]).optional(),
});

const fileSchema = z.strictObject({ merchants: z.array(merchantSchema).min(1, 'lists no merchant') });

/**
 * Reads and checks MERCHANTS_FILE. Returns the merchants, or the problems (each starting with `MERCHANTS_FILE:`).
 * `text` is for tests; by default the file is read.
 */
export function loadMerchantsFile(path: string, text?: string): { merchants: MerchantEntry[]; problems: string[] } {
  const at = (where: string, problem: string) => `MERCHANTS_FILE: ${where}${problem}`;
  let raw: unknown;
  try {
    raw = JSON.parse(text ?? readFileSync(path, 'utf8'));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { merchants: [], problems: [at('', code ? `cannot read ${path} (${code})` : `${path} is not JSON (${(error as Error).message.split('\n')[0]})`)] };
  }
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) {
    return { merchants: [], problems: parsed.error.issues.map((issue) => at(issue.path.length > 0 ? `${formatPath(issue.path)}: ` : '', issue.message)) };
  }
  const problems: string[] = [];
  const base = dirname(resolve(path));
  const merchants = parsed.data.merchants.map((m, index): MerchantEntry => {
    const where = `merchants[${index}] (${m.id})`;
    if (!m.baseUrl && !m.region) problems.push(at(`${where}: `, 'baseUrl or region is required'));
    if (m.platform === 'alipayplus' && !m.authClientName) problems.push(at(`${where}: `, 'authClientName is required for an alipayplus merchant (Alipay+ prepare shows it on the consent page)'));
    const sources = (field: 'privateKeys' | 'publicKeys') =>
      Object.entries(m[field]).map(([keyVersion, file]): KeyFileSource => ({ variable: `MERCHANTS_FILE ${m.id}.${field}["${keyVersion}"]`, keyVersion, path: isAbsolute(file) ? file : resolve(base, file) }));
    const privateKeys = sources('privateKeys');
    const signingKeyVersion = m.signingKeyVersion ?? newestKeyVersion(privateKeys)!;
    if (!privateKeys.some((s) => s.keyVersion === signingKeyVersion)) {
      problems.push(at(`${where}: `, `signingKeyVersion ${signingKeyVersion} is not among its privateKeys (${privateKeys.map((s) => s.keyVersion).join(', ')})`));
    }
    return {
      id: m.id,
      platform: m.platform,
      clientId: m.clientId,
      ...(m.baseUrl ? { baseUrl: m.baseUrl } : {}),
      ...(m.region ? { region: m.region } : {}),
      sandboxPath: m.sandboxPath ?? 'auto',
      keys: { privateKeys, signingKeyVersion, publicKeys: sources('publicKeys') },
      ...(m.agentToken ? { agentToken: m.agentToken } : {}),
      ...(m.authClientName ? { alipayPlusAuthClientName: m.authClientName } : {}),
    };
  });
  // Ids name workflows; client-ids route notifications: each must name one merchant.
  for (const field of ['id', 'clientId'] as const) {
    const seen = new Set<string>();
    for (const merchant of merchants) {
      if (seen.has(merchant[field])) problems.push(at('', `two merchants have ${field} ${merchant[field]}: each must be unique`));
      seen.add(merchant[field]);
    }
  }
  return { merchants, problems };
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.map((part, i) => (typeof part === 'number' ? `[${part}]` : i === 0 ? String(part) : `.${String(part)}`)).join('');
}
