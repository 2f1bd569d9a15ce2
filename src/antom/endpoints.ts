/**
 * Where each call goes (antom-api.md §1, §3, §4): the platform (Antom or Alipay+ acquirer side), the region's origin,
 * and the endpoint's path. The path returned here is the exact path that gets signed, so it is the single source
 * for both the URL and the string-to-sign.
 */

export type Platform = 'antom' | 'alipayplus';

export type AntomEndpointName = 'consult' | 'applyToken' | 'revoke';
export type AlipayPlusEndpointName = 'prepare' | 'applyToken' | 'cancelToken';

/** Antom regional gateways for online payments (the "-global" domains; the in-store aliases are not used). */
export const ANTOM_REGION_ORIGINS = {
  'north-america': 'https://open-na-global.alipay.com',
  /** Merchants contracted with the US entity. */
  us: 'https://open.antglobal-us.com',
  asia: 'https://open-sea-global.alipay.com',
  europe: 'https://open-de-global.alipay.com',
} as const;

export const ALIPAY_PLUS_REGION_ORIGINS = {
  asia: 'https://open-sea.alipayplus.com',
  'north-america': 'https://open-na.alipayplus.com',
} as const;

export type AntomRegion = keyof typeof ANTOM_REGION_ORIGINS;
export type AlipayPlusRegion = keyof typeof ALIPAY_PLUS_REGION_ORIGINS;

const ANTOM_ENDPOINTS: readonly AntomEndpointName[] = ['consult', 'applyToken', 'revoke'];
const ALIPAY_PLUS_ENDPOINTS: readonly AlipayPlusEndpointName[] = ['prepare', 'applyToken', 'cancelToken'];

/** The official SDKs switch to the sandbox path for client-ids with this prefix; we do the same. */
export const SANDBOX_CLIENT_ID_PREFIX = 'SANDBOX_';

/** A wrong origin, region or endpoint is a deployment mistake: it is thrown at construction, never per call. */
export class EndpointConfigurationError extends Error {
  override readonly name = 'EndpointConfigurationError';
}

export interface OriginOptions {
  readonly platform: Platform;
  /** Explicit origin (e.g. the local sandbox `http://127.0.0.1:4010`). Wins over `region`. */
  readonly baseUrl?: string;
  readonly region?: string;
}

/**
 * Resolves the origin (`scheme://host[:port]`) all calls of a client go to. A base URL with a path is rejected:
 * Antom signs the path it receives, so a proxy prefix would make every signature wrong.
 */
export function resolveOrigin(options: OriginOptions): string {
  if (options.baseUrl !== undefined) return parseOrigin(options.baseUrl);
  if (options.region === undefined) throw new EndpointConfigurationError('either baseUrl or region is required');
  const table: Readonly<Record<string, string>> =
    options.platform === 'antom' ? ANTOM_REGION_ORIGINS : ALIPAY_PLUS_REGION_ORIGINS;
  const origin = Object.hasOwn(table, options.region) ? table[options.region] : undefined;
  if (origin === undefined) {
    throw new EndpointConfigurationError(
      `unknown ${options.platform} region "${options.region}" (known: ${Object.keys(table).join(', ')})`,
    );
  }
  return origin;
}

function parseOrigin(baseUrl: string): string {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new EndpointConfigurationError(`baseUrl "${baseUrl}" is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new EndpointConfigurationError(`baseUrl "${baseUrl}" must be http(s)`);
  }
  if ((url.pathname !== '/' && url.pathname !== '') || url.search !== '' || url.hash !== '') {
    throw new EndpointConfigurationError(`baseUrl "${baseUrl}" must be an origin without path, query or fragment`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new EndpointConfigurationError('baseUrl must not carry credentials');
  }
  return url.origin;
}

/** Whether Antom's sandbox path is used: explicit setting first, else the SDKs' client-id convention. */
export function usesSandboxPath(platform: Platform, clientId: string, sandbox: boolean | undefined): boolean {
  if (platform === 'alipayplus') {
    if (sandbox === true) throw new EndpointConfigurationError('Alipay+ has no sandbox path; use baseUrl instead');
    return false;
  }
  return sandbox ?? clientId.startsWith(SANDBOX_CLIENT_ID_PREFIX);
}

export function isEndpointOf(platform: Platform, name: string): boolean {
  const names: readonly string[] = platform === 'antom' ? ANTOM_ENDPOINTS : ALIPAY_PLUS_ENDPOINTS;
  return names.includes(name);
}

/** The path that is both requested and signed, e.g. `/ams/sandbox/api/v1/authorizations/consult`. */
export function endpointPath(platform: Platform, name: AntomEndpointName | AlipayPlusEndpointName, sandbox = false): string {
  if (!isEndpointOf(platform, name)) {
    throw new EndpointConfigurationError(`${platform} has no endpoint "${name}"`);
  }
  if (platform === 'alipayplus') return `/aps/api/v1/authorizations/${name}`;
  return sandbox ? `/ams/sandbox/api/v1/authorizations/${name}` : `/ams/api/v1/authorizations/${name}`;
}
