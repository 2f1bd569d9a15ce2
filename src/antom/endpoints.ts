/**
 * Where each call goes (antom-api.md §1, §3, §4): the platform (Antom or Alipay+ acquirer side), the region's origin,
 * and the endpoint's path. The path returned here is the exact path that gets signed, so it is the single source
 * for both the URL and the string-to-sign.
 */

export type Platform = 'antom' | 'alipayplus';

export type AntomEndpointName = 'consult' | 'applyToken' | 'revoke';
export type AlipayPlusEndpointName = 'prepare' | 'applyToken' | 'cancelToken';

/**
 * Documented gateways by region. The names match ANTOM_REGION in config.ts; a region implies its platform.
 * Antom uses the "-global" domains for online payments (the in-store aliases are not used).
 */
export const REGIONS = {
  na: { platform: 'antom', origin: 'https://open-na-global.alipay.com' },
  /** Merchants contracted with Antom's US entity. */
  us: { platform: 'antom', origin: 'https://open.antglobal-us.com' },
  sea: { platform: 'antom', origin: 'https://open-sea-global.alipay.com' },
  eu: { platform: 'antom', origin: 'https://open-de-global.alipay.com' },
  'aps-sea': { platform: 'alipayplus', origin: 'https://open-sea.alipayplus.com' },
  'aps-na': { platform: 'alipayplus', origin: 'https://open-na.alipayplus.com' },
} as const satisfies Record<string, { platform: Platform; origin: string }>;

export type Region = keyof typeof REGIONS;

const ANTOM_ENDPOINTS: readonly AntomEndpointName[] = ['consult', 'applyToken', 'revoke'];
const ALIPAY_PLUS_ENDPOINTS: readonly AlipayPlusEndpointName[] = ['prepare', 'applyToken', 'cancelToken'];

/** The official SDKs switch to the sandbox path for client-ids with this prefix; we do the same. */
export const SANDBOX_CLIENT_ID_PREFIX = 'SANDBOX_';

/** A wrong origin, region or endpoint is a deployment mistake: it is thrown at construction, never per call. */
export class EndpointConfigurationError extends Error {
  override readonly name = 'EndpointConfigurationError';
}

export interface OriginOptions {
  /** Explicit origin (e.g. the local sandbox `http://127.0.0.1:4010`). Wins over `region`. */
  readonly baseUrl?: string;
  readonly region?: string;
}

export interface ResolvedOrigin {
  /** `scheme://host[:port]`. */
  readonly origin: string;
  /** The platform the region implies; undefined for an explicit baseUrl. */
  readonly platform?: Platform;
}

/**
 * Resolves the origin all calls of a client go to. A base URL with a path is rejected: Antom signs the path it
 * receives, so a proxy prefix would make every signature wrong.
 */
export function resolveOrigin(options: OriginOptions): ResolvedOrigin {
  if (options.baseUrl !== undefined) return { origin: parseOrigin(options.baseUrl) };
  if (options.region === undefined) throw new EndpointConfigurationError('either baseUrl or region is required');
  if (!Object.hasOwn(REGIONS, options.region)) {
    throw new EndpointConfigurationError(`unknown region "${options.region}" (known: ${Object.keys(REGIONS).join(', ')})`);
  }
  return REGIONS[options.region as Region];
}

/** The platform of a client: explicit, else implied by the region, else Antom. A contradiction is an error. */
export function resolvePlatform(explicit: Platform | undefined, resolved: ResolvedOrigin): Platform {
  if (explicit !== undefined && resolved.platform !== undefined && explicit !== resolved.platform) {
    throw new EndpointConfigurationError(`platform ${explicit} does not match the region's platform ${resolved.platform}`);
  }
  return explicit ?? resolved.platform ?? 'antom';
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
export function usesSandboxPath(platform: Platform, clientId: string, sandbox: boolean | 'auto' | undefined): boolean {
  if (platform === 'alipayplus') {
    if (sandbox === true) throw new EndpointConfigurationError('Alipay+ has no sandbox path; use baseUrl instead');
    return false;
  }
  if (sandbox === undefined || sandbox === 'auto') return clientId.startsWith(SANDBOX_CLIENT_ID_PREFIX);
  return sandbox;
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
