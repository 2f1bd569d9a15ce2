/**
 * Counts what the sandbox actually received, per wallet: applyToken calls by grant type (every HTTP request,
 * identical retries included) and the tokens it issued (S answers). The sandbox keeps only its last 1 000 requests,
 * so the tally collects new entries (by sequence number) after every step and reports a gap if it ever fell behind.
 */
import type { ReceivedRequest, RunningSandbox } from '../../src/sandbox';

export interface WalletRequestCounts {
  consultCalls: number;
  authCodeCalls: number;
  refreshCalls: number;
  tokensIssuedByAuthCode: number;
  tokensIssuedByRefresh: number;
  /** Non-S answers to refresh calls (U, F, faults): each one made Temporal (or an operator) retry. */
  refreshCallsNotS: number;
}

const emptyCounts = (): WalletRequestCounts => ({
  consultCalls: 0,
  authCodeCalls: 0,
  refreshCalls: 0,
  tokensIssuedByAuthCode: 0,
  tokensIssuedByRefresh: 0,
  refreshCallsNotS: 0,
});

export class SandboxRequestTally {
  private lastSeq = 0;
  private readonly byWallet = new Map<string, WalletRequestCounts>();
  /** Requests that fell out of the sandbox's ring buffer before the tally saw them. */
  missedRequests = 0;

  constructor(private readonly sandbox: RunningSandbox) {}

  collect(): void {
    const fresh = this.sandbox.admin.requests().filter((r) => r.seq > this.lastSeq);
    if (fresh.length === 0) return;
    const firstSeq = fresh[0]!.seq;
    if (firstSeq > this.lastSeq + 1) this.missedRequests += firstSeq - this.lastSeq - 1;
    for (const request of fresh) this.count(request);
    this.lastSeq = fresh[fresh.length - 1]!.seq;
  }

  counts(wallet: string): WalletRequestCounts {
    return { ...(this.byWallet.get(wallet) ?? emptyCounts()) };
  }

  private count(request: ReceivedRequest): void {
    const body = (request.body ?? {}) as { customerBelongsTo?: unknown; grantType?: unknown };
    const wallet = typeof body.customerBelongsTo === 'string' ? body.customerBelongsTo : '(unknown)';
    let counts = this.byWallet.get(wallet);
    if (!counts) {
      counts = emptyCounts();
      this.byWallet.set(wallet, counts);
    }
    const issued = request.resultStatus === 'S';
    if (request.endpoint === 'consult') counts.consultCalls += 1;
    if (request.endpoint !== 'applyToken') return;
    if (body.grantType === 'REFRESH_TOKEN') {
      counts.refreshCalls += 1;
      if (issued) counts.tokensIssuedByRefresh += 1;
      else counts.refreshCallsNotS += 1;
    } else {
      counts.authCodeCalls += 1;
      if (issued) counts.tokensIssuedByAuthCode += 1;
    }
  }
}
