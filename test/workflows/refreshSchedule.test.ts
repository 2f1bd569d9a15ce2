import test from 'ava';
import fc from 'fast-check';
import { planRefresh, seedFraction, type RefreshSchedulePolicy, refreshGiveUpAt, refreshRetryDelay } from '../../src/workflows/refreshSchedule';
import { DEFAULT_POLICY } from '../../src/workflows/policy';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const YEAR = 365 * DAY;
const T0 = Date.UTC(2025, 0, 1);
const policy: RefreshSchedulePolicy = DEFAULT_POLICY;

test('GCASH-like 2 y / 2 y token refreshes 10–12 days before expiry', (t) => {
  const plan = planRefresh({ issuedAt: T0, accessTokenExpiry: T0 + 2 * YEAR, refreshTokenExpiry: T0 + 2 * YEAR, hasRefreshToken: true, jitterSeed: 'authorization:GCASH:c1' }, policy);
  t.is(plan.kind, 'refresh');
  t.is(plan.basis, 'lead');
  t.is(plan.deadline, T0 + 2 * YEAR);
  t.true(plan.at <= plan.deadline - 10 * DAY);
  t.true(plan.at >= plan.deadline - 12 * DAY);
  t.is(plan.at, plan.deadline - 10 * DAY - plan.jitterMs);
});

test('the earlier of the two expiries is the deadline (refresh token expiring first)', (t) => {
  const plan = planRefresh({ issuedAt: T0, accessTokenExpiry: T0 + 2 * YEAR, refreshTokenExpiry: T0 + YEAR, hasRefreshToken: true, jitterSeed: 's' }, policy);
  t.is(plan.deadline, T0 + YEAR);
  t.true(plan.at <= T0 + YEAR - 10 * DAY);
});

test('the access expiry bounds a refresh token without its own expiry', (t) => {
  const plan = planRefresh({ issuedAt: T0, accessTokenExpiry: T0 + YEAR, hasRefreshToken: true, jitterSeed: 's' }, policy);
  t.is(plan.deadline, T0 + YEAR);
});

test('no refresh token: reauth ahead of the access expiry, never a refresh', (t) => {
  const plan = planRefresh({ issuedAt: T0, accessTokenExpiry: T0 + 100 * YEAR, refreshTokenExpiry: T0 + YEAR, hasRefreshToken: false, jitterSeed: 'kakao' }, policy);
  t.is(plan.kind, 'reauth');
  // A stray refresh-token expiry is irrelevant without a refresh token.
  t.is(plan.deadline, T0 + 100 * YEAR);
  t.true(plan.at <= plan.deadline - 10 * DAY);
});

test('short-lived token (30 min / 2 h) refreshes at about half its life', (t) => {
  const plan = planRefresh({ issuedAt: T0, accessTokenExpiry: T0 + 30 * MINUTE, refreshTokenExpiry: T0 + 2 * HOUR, hasRefreshToken: true, jitterSeed: 'short' }, policy);
  t.is(plan.basis, 'short-lived');
  t.true(plan.at <= T0 + 15 * MINUTE);
  t.true(plan.at >= T0 + 15 * MINUTE - 1.5 * MINUTE);
});

test('a token that arrives already expired is overdue: act at once', (t) => {
  const plan = planRefresh({ issuedAt: T0, accessTokenExpiry: T0 - 1, hasRefreshToken: true, jitterSeed: 's' }, policy);
  t.is(plan.basis, 'overdue');
  t.true(plan.at <= T0);
});

test('seedFraction is in [0,1), deterministic and spreads similar seeds', (t) => {
  const values = Array.from({ length: 1000 }, (_, i) => seedFraction(`authorization:GCASH:customer-${i}`));
  for (const v of values) t.true(v >= 0 && v < 1);
  t.is(seedFraction('x'), seedFraction('x'));
  // Ten buckets, each should get a fair share (expected 100; loose bound so the test is about spread, not luck).
  const buckets = new Array<number>(10).fill(0);
  for (const v of values) buckets[Math.floor(v * 10)]! += 1;
  for (const b of buckets) t.true(b > 60 && b < 140, `bucket ${b}`);
});

const policyArb = fc.record({
  refreshLeadMs: fc.integer({ min: MINUTE, max: 30 * DAY }),
  jitterMaxMs: fc.integer({ min: 0, max: 5 * DAY }),
  shortLivedLifetimeMultiple: fc.integer({ min: 2, max: 10 }),
  shortLivedRefreshFraction: fc.double({ min: 0.05, max: 0.95, noNaN: true }),
});
const inputArb = fc.record({
  issuedAt: fc.integer({ min: T0, max: T0 + 50 * YEAR }),
  accessLife: fc.integer({ min: 1, max: 120 * YEAR }),
  refreshLife: fc.option(fc.integer({ min: 1, max: 120 * YEAR }), { nil: undefined }),
  hasRefreshToken: fc.boolean(),
  jitterSeed: fc.string(),
});

test('property: the plan is never after the deadline, and before it whenever the token has life left', (t) => {
  fc.assert(fc.property(inputArb, policyArb, (i, p) => {
    const plan = planRefresh({ issuedAt: i.issuedAt, accessTokenExpiry: i.issuedAt + i.accessLife, refreshTokenExpiry: i.refreshLife === undefined ? undefined : i.issuedAt + i.refreshLife, hasRefreshToken: i.hasRefreshToken, jitterSeed: i.jitterSeed }, p);
    const earlier = plan.kind === 'refresh' && i.refreshLife !== undefined ? Math.min(i.accessLife, i.refreshLife) : i.accessLife;
    return plan.deadline === i.issuedAt + earlier && plan.at < plan.deadline && plan.at >= i.issuedAt;
  }));
  t.pass();
});

test('non-rotating refresh token (TNG 2 y / 2.5 y): two refreshes, then reauth ahead of the access expiry', (t) => {
  const refreshExpiry = T0 + 2.5 * YEAR;
  const seed = 'authorization:TNG:c1';
  const first = planRefresh({ issuedAt: T0, accessTokenExpiry: T0 + 2 * YEAR, refreshTokenExpiry: refreshExpiry, hasRefreshToken: true, jitterSeed: seed }, policy);
  t.is(first.kind, 'refresh');
  t.is(first.deadline, T0 + 2 * YEAR);
  // After the first refresh the refresh token (not renewed) is the earlier deadline.
  const second = planRefresh({ issuedAt: first.at, accessTokenExpiry: first.at + 2 * YEAR, refreshTokenExpiry: refreshExpiry, hasRefreshToken: true, jitterSeed: seed }, policy);
  t.is(second.kind, 'refresh');
  t.is(second.deadline, refreshExpiry);
  t.true(second.at <= refreshExpiry - 10 * DAY);
  // The next refresh would buy days, not years: reauth before the last access token expires instead.
  const third = planRefresh({ issuedAt: second.at, accessTokenExpiry: second.at + 2 * YEAR, refreshTokenExpiry: refreshExpiry, hasRefreshToken: true, jitterSeed: seed }, policy);
  t.is(third.kind, 'reauth');
  t.is(third.deadline, second.at + 2 * YEAR);
  t.true(third.at <= third.deadline - 10 * DAY);
});

test('property: refreshes against a non-renewed refresh token end after finitely many cycles', (t) => {
  fc.assert(fc.property(fc.integer({ min: MINUTE, max: 5 * YEAR }), fc.integer({ min: MINUTE, max: 5 * YEAR }), fc.string(), policyArb, (accessLife, refreshLife, seed, p) => {
    let issuedAt = T0;
    const refreshExpiry = T0 + refreshLife;
    // Every cycle must buy at least this much time, so the number of refreshes is bounded by refreshLife / minGain.
    const minGain = Math.max(1, Math.min(Math.floor(p.refreshLeadMs / 2), Math.floor(accessLife * p.shortLivedRefreshFraction * 0.9) - 1));
    const maxCycles = Math.ceil(refreshLife / minGain) + 2;
    fc.pre(maxCycles <= 5000); // keeps the run fast; the bound itself is what is being checked
    for (let cycle = 0; cycle <= maxCycles; cycle++) {
      const plan = planRefresh({ issuedAt, accessTokenExpiry: issuedAt + accessLife, refreshTokenExpiry: refreshExpiry, hasRefreshToken: true, jitterSeed: seed }, p);
      if (plan.kind === 'reauth' || plan.at >= refreshExpiry) return true;
      if (plan.at - issuedAt < minGain) return false;
      issuedAt = plan.at;
    }
    return false;
  }));
  t.pass();
});

test('property: long-lived tokens are planned at least the lead ahead, jitter within [0, jitterMax]', (t) => {
  fc.assert(fc.property(inputArb, policyArb, (i, p) => {
    const plan = planRefresh({ issuedAt: i.issuedAt, accessTokenExpiry: i.issuedAt + i.accessLife, refreshTokenExpiry: i.refreshLife === undefined ? undefined : i.issuedAt + i.refreshLife, hasRefreshToken: i.hasRefreshToken, jitterSeed: i.jitterSeed }, p);
    const life = plan.deadline - i.issuedAt;
    if (plan.jitterMs < 0 || plan.jitterMs > p.jitterMaxMs) return false;
    if (life >= p.shortLivedLifetimeMultiple * p.refreshLeadMs && life > p.refreshLeadMs) {
      return plan.basis === 'lead' && plan.deadline - plan.at >= p.refreshLeadMs && plan.deadline - plan.at <= p.refreshLeadMs + p.jitterMaxMs
        && plan.at - i.issuedAt >= (life - p.refreshLeadMs) / 2;
    }
    // Short-lived: at the configured fraction of the life, minus at most 10 % of that offset.
    const offset = Math.floor(life * p.shortLivedRefreshFraction);
    return plan.basis === 'short-lived' && plan.at <= i.issuedAt + offset && plan.at >= i.issuedAt + offset - Math.floor(offset * 0.1);
  }));
  t.pass();
});

test('property: deterministic for a seed, and no refresh token always means reauth', (t) => {
  fc.assert(fc.property(inputArb, policyArb, (i, p) => {
    const input = { issuedAt: i.issuedAt, accessTokenExpiry: i.issuedAt + i.accessLife, refreshTokenExpiry: i.refreshLife === undefined ? undefined : i.issuedAt + i.refreshLife, hasRefreshToken: i.hasRefreshToken, jitterSeed: i.jitterSeed };
    const a = planRefresh(input, p);
    const b = planRefresh({ ...input }, { ...p });
    // With a refresh token, reauth is only chosen when the refresh token ends before the access token.
    const refreshEndsFirst = i.refreshLife !== undefined && i.refreshLife < i.accessLife;
    return JSON.stringify(a) === JSON.stringify(b) && (i.hasRefreshToken || a.kind === 'reauth') && (!i.hasRefreshToken || a.kind === 'refresh' || refreshEndsFirst);
  }));
  t.pass();
});

test('refreshGiveUpAt: the notice before the deadline, a third of the window for short-lived tokens, never before the plan', (t) => {
  const DAY_MS = 86_400_000;
  t.is(refreshGiveUpAt(0, 12 * DAY_MS, 3 * DAY_MS), 9 * DAY_MS);
  t.is(refreshGiveUpAt(0, 3 * 3_600_000, 3 * DAY_MS), 2 * 3_600_000);
  t.is(refreshGiveUpAt(10, 5, 3 * DAY_MS), 10);
});

test('refreshRetryDelay doubles from the initial interval and stays capped (hours, not minutes)', (t) => {
  const MIN = 60_000;
  t.deepEqual([1, 2, 3, 4, 5, 6, 50].map((n) => refreshRetryDelay(n, 15 * MIN, 240 * MIN)), [15, 30, 60, 120, 240, 240, 240].map((m) => m * MIN));
});
