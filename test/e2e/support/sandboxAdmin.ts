/**
 * The sandbox's HTTP admin API (src/sandbox/adminApi.ts) as the end-to-end tests use it: over loopback HTTP, like an
 * operator's script, not through the in-process handle.
 */
import type { GrantView, NotificationView, ReceivedRequest, RunningSandbox, WalletPolicy } from '../../../src/sandbox';

async function adminCall<T>(sandbox: RunningSandbox, method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${sandbox.adminUrl}${path}`, {
    method,
    ...(method === 'POST' ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body ?? {}) } : {}),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`sandbox admin ${method} ${path}: HTTP ${response.status} ${text}`);
  return JSON.parse(text) as T;
}

export const adminPost = <T = unknown>(sandbox: RunningSandbox, path: string, body?: unknown) => adminCall<T>(sandbox, 'POST', path, body);
export const adminGet = <T>(sandbox: RunningSandbox, path: string) => adminCall<T>(sandbox, 'GET', path);

export const receivedRequests = (sandbox: RunningSandbox) => adminGet<ReceivedRequest[]>(sandbox, '/requests');
export const grants = (sandbox: RunningSandbox) => adminGet<GrantView[]>(sandbox, '/tokens');
export const notifications = (sandbox: RunningSandbox) => adminGet<NotificationView[]>(sandbox, '/notifications');
export const setWalletPolicy = (sandbox: RunningSandbox, wallet: string, policy: WalletPolicy) => adminPost(sandbox, '/wallet-policies', { wallet, policy });

/** The applyToken calls the sandbox received for one authorization's grants, oldest first. */
export interface ApplyTokenCall {
  seq: number;
  at: number;
  grantType: string;
  /** Masked as the sandbox logs it (first 4 … last 2 characters). */
  refreshToken?: string;
  resultStatus?: string;
  resultCode?: string;
}

export function applyTokenCalls(requests: readonly ReceivedRequest[], customerBelongsTo?: string): ApplyTokenCall[] {
  return requests
    .filter((r) => r.endpoint === 'applyToken')
    .map((r) => ({ r, body: (r.body ?? {}) as Record<string, unknown> }))
    .filter(({ body }) => customerBelongsTo === undefined || body.customerBelongsTo === customerBelongsTo)
    .map(({ r, body }) => ({
      seq: r.seq,
      at: r.at,
      grantType: String(body.grantType),
      ...(typeof body.refreshToken === 'string' ? { refreshToken: body.refreshToken } : {}),
      ...(r.resultStatus ? { resultStatus: r.resultStatus } : {}),
      ...(r.resultCode ? { resultCode: r.resultCode } : {}),
    }));
}

/** A wallet whose tokens live seconds, so a test sees refresh cycles in real time (refresh at half the life). */
export function secondsWallet(accessTokenSeconds: number, refreshTokenSeconds: number): WalletPolicy {
  return { accessTokenLifetimeMs: accessTokenSeconds * 1000, refreshTokenLifetimeMs: refreshTokenSeconds * 1000, rotateRefreshToken: true };
}
