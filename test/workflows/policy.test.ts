import test from 'ava';
import { DEFAULT_POLICY, InvalidPolicyError, resolvePolicy } from '../../src/workflows/policy';

test('defaults follow the protocol: 15 min wait, 10 day lead, 1 min authCode budget', (t) => {
  const p = resolvePolicy(undefined);
  t.is(p.authorizationWaitMs, 15 * 60_000);
  t.is(p.refreshLeadMs, 10 * 24 * 3600_000);
  t.is(p.authCodeApplyBudgetMs, 60_000);
  t.deepEqual(p, { ...DEFAULT_POLICY });
});

test('overrides replace only their keys', (t) => {
  const p = resolvePolicy({ refreshLeadMs: 1000, maxReconsults: 1, jitterMaxMs: undefined });
  t.is(p.refreshLeadMs, 1000);
  t.is(p.maxReconsults, 1);
  t.is(p.jitterMaxMs, DEFAULT_POLICY.jitterMaxMs);
});

test('bad overrides fail loudly', (t) => {
  t.throws(() => resolvePolicy({ authCodeApplyBudgetMs: 120_000 }), { instanceOf: InvalidPolicyError });
  t.throws(() => resolvePolicy({ refreshLeadMs: 0 }), { instanceOf: InvalidPolicyError });
  t.throws(() => resolvePolicy({ refreshLeadMs: -1 }), { instanceOf: InvalidPolicyError });
  t.throws(() => resolvePolicy({ shortLivedRefreshFraction: 1 }), { instanceOf: InvalidPolicyError });
  t.throws(() => resolvePolicy({ shortLivedLifetimeMultiple: 1 }), { instanceOf: InvalidPolicyError });
  t.throws(() => resolvePolicy({ retryMaximumIntervalMs: 1, retryInitialIntervalMs: 2 }), { instanceOf: InvalidPolicyError });
  t.throws(() => resolvePolicy({ maxReconsults: 1.5 }), { instanceOf: InvalidPolicyError });
  t.throws(() => resolvePolicy({ nope: 1 } as never), { instanceOf: InvalidPolicyError, message: /unknown policy key nope/ });
  t.throws(() => resolvePolicy({ consultBudgetMs: Number.NaN }), { instanceOf: InvalidPolicyError });
});
