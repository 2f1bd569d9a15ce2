// consult/prepare, revoke/cancelToken and the Redis projection activities against the sandbox and real Redis.
import test from 'ava';
import type { ApplicationFailure } from '@temporalio/common';
import { createActivities, createActivityStore } from '../../src/activities';
import { assertNotStoredIn, consultAndApprove, createHarness, MERCHANT, SUB_MERCHANT, uniqueAuthState, webConsult } from './activityHarness';

test('consult (Antom): indexes authState → workflowId, returns the URL, sends the merchant options as given', async (t) => {
  const h = await createHarness(t);
  const authState = uniqueAuthState('consult');
  const workflowId = 'authorization:GCASH:customer-42';
  const link = await h.run('consult', {
    profile: 'antom', wallet: 'GCASH', authState,
    options: webConsult({ merchantRegion: 'SG', authNotifyUrl: 'https://merchant.example/notify' }),
  }, { workflowId });
  t.is(link.authState, authState);
  t.truthy(link.normalUrl, 'a WEB consult yields a normal URL');
  t.false(Number.isNaN(Date.parse(link.consultedAt)));
  t.is(await h.store.authStateIndex.get(authState), workflowId);
  const [request] = h.sandbox.admin.requests().filter((r) => r.endpoint === 'consult');
  const body = request!.body as Record<string, unknown>;
  t.deepEqual(body.scopes, ['AGREEMENT_PAY'], 'auto debit scope by default');
  t.is(body.customerBelongsTo, 'GCASH');
  t.is(body.merchantRegion, 'SG');
  t.is(body.authNotifyUrl, 'https://merchant.example/notify');
  t.is(body.authState, authState);
  // The returned link is the one the customer can approve.
  t.notThrows(() => h.sandbox.admin.approve({ authState, clientId: MERCHANT }));
});

test('prepare (Alipay+): authClientId and the configured legal name are sent; the index is written first', async (t) => {
  const h = await createHarness(t);
  const authState = uniqueAuthState('prepare');
  const link = await h.run('consult', { profile: 'alipayplus', wallet: 'GCASH', authState, options: webConsult({ authClientId: SUB_MERCHANT }) }, { workflowId: 'authorization:GCASH:aps-1' });
  t.is(link.authState, authState);
  t.true(Boolean(link.normalUrl ?? link.qrCodeValue ?? link.schemeUrl));
  const [request] = h.sandbox.admin.requests().filter((r) => r.endpoint === 'prepare');
  const body = request!.body as Record<string, unknown>;
  t.is(body.authClientId, SUB_MERCHANT);
  t.is(body.authClientName, 'Sub Merchant One Ltd');
  t.true(request!.path.startsWith('/aps/'));
  t.is(await h.store.authStateIndex.get(authState), 'authorization:GCASH:aps-1');
});

test('prepare without an auth client legal name → CONFIGURATION_ERROR before anything is sent', async (t) => {
  const h = await createHarness(t);
  const bare = { ...h.deps };
  delete bare.alipayPlusAuthClient;
  const failure = (await t.throwsAsync(
    h.run('consult', { profile: 'alipayplus', wallet: 'GCASH', authState: uniqueAuthState(), options: webConsult({ authClientId: SUB_MERCHANT }) }, {}, createActivities(bare)),
  )) as ApplicationFailure;
  t.is(failure.type, 'CONFIGURATION_ERROR');
  t.true(failure.nonRetryable);
  t.is(h.requestsTo('prepare'), 0);
});

test('revoke: a live token is revoked (alreadyRevoked false); revoking it again → alreadyRevoked true', async (t) => {
  const h = await createHarness(t);
  const { authCode } = await consultAndApprove(h, 'GCASH');
  const tokens = await h.run('applyToken', { requestId: 'exchange-1', profile: 'antom', wallet: 'GCASH', grantType: 'AUTHORIZATION_CODE', authCode });
  const first = await h.run('revoke', { profile: 'antom', wallet: 'GCASH', accessToken: tokens.accessToken }, { activityId: 'r1' });
  t.deepEqual(first, { alreadyRevoked: false });
  t.false(h.sandbox.admin.isAccessTokenUsable(tokens.accessToken));
  // INVALID_ACCESS_TOKEN: the retry after a lost success response, or a token the wallet already dropped.
  const again = await h.run('revoke', { profile: 'antom', wallet: 'GCASH', accessToken: tokens.accessToken }, { activityId: 'r2' });
  t.deepEqual(again, { alreadyRevoked: true });
  t.is(h.requestsTo('revoke'), 2);
  t.false(h.logLines.join('\n').includes(tokens.accessToken));
});

test('cancelToken (Alipay+): revokes with authClientId; an unknown token is already revoked', async (t) => {
  const h = await createHarness(t);
  const { authCode } = await consultAndApprove(h, 'GCASH', 'alipayplus', { authClientId: SUB_MERCHANT });
  const tokens = await h.run('applyToken', { requestId: 'exchange-1', profile: 'alipayplus', wallet: 'GCASH', grantType: 'AUTHORIZATION_CODE', authCode, authClientId: SUB_MERCHANT });
  t.deepEqual(await h.run('revoke', { profile: 'alipayplus', wallet: 'GCASH', accessToken: tokens.accessToken, authClientId: SUB_MERCHANT }), { alreadyRevoked: false });
  t.false(h.sandbox.admin.isAccessTokenUsable(tokens.accessToken));
  t.deepEqual(
    await h.run('revoke', { profile: 'alipayplus', wallet: 'GCASH', accessToken: 'never-issued-token-000000000000', authClientId: SUB_MERCHANT }),
    { alreadyRevoked: true },
  );
  t.is(h.requestsTo('cancelToken'), 2);
});

test('projectToken → readable by the payment path, encrypted at rest, in the lifecycle index; removeProjection clears all', async (t) => {
  const h = await createHarness(t);
  const { authCode } = await consultAndApprove(h, 'GCASH');
  const tokens = await h.run('applyToken', { requestId: 'exchange-1', profile: 'antom', wallet: 'GCASH', grantType: 'AUTHORIZATION_CODE', authCode });
  const workflowId = 'authorization:GCASH:customer-7';
  const nextRefreshAt = new Date(Date.parse(tokens.accessTokenExpiry) - 10 * 86_400_000).toISOString();
  await h.run('projectToken', { workflowId, wallet: 'GCASH', customerId: 'customer-7', tokens, nextRefreshAt, state: 'ACTIVE', version: 1, authorizationId: 'authorization-1' });

  const projected = await h.store.tokenProjection.get(workflowId);
  t.is(projected?.accessToken, tokens.accessToken);
  t.is(projected?.accessTokenExpiry, tokens.accessTokenExpiry);
  t.is(projected?.nextRefreshAt, nextRefreshAt);
  t.is(projected?.state, 'ACTIVE');
  t.is(await h.store.tokenProjection.workflowIdForAccessToken(tokens.accessToken), workflowId);
  const expiring = await h.store.tokenProjection.expiringBefore(Date.parse(tokens.accessTokenExpiry) + 1);
  t.deepEqual(expiring.map((m) => m.workflowId), [workflowId]);
  await assertNotStoredIn(t, h, [tokens.accessToken, tokens.refreshToken!, authCode]);

  // An older version (a late attempt) never rolls the token back.
  await h.run('projectToken', { workflowId, wallet: 'GCASH', customerId: 'customer-7', tokens: { ...tokens, accessToken: 'older-token-aaaaaaaaaaaaaaaaaaaaa' }, state: 'ACTIVE', version: 0, authorizationId: 'authorization-1' });
  t.is((await h.store.tokenProjection.get(workflowId))?.accessToken, tokens.accessToken);

  await h.run('removeProjection', { workflowId, wallet: 'GCASH', customerId: 'customer-7' });
  t.is(await h.store.tokenProjection.get(workflowId), undefined);
  t.is(await h.store.tokenProjection.workflowIdForAccessToken(tokens.accessToken), undefined);
  t.deepEqual(await h.store.tokenProjection.expiringBefore(Date.parse(tokens.accessTokenExpiry) + 1), []);
  // A new authorization under the same workflow id (relink after revoke) starts its versions again and must project.
  await h.run('projectToken', { workflowId, wallet: 'GCASH', customerId: 'customer-7', tokens, state: 'ACTIVE', version: 1, authorizationId: 'authorization-1' });
  t.is((await h.store.tokenProjection.get(workflowId))?.accessToken, tokens.accessToken);
});

test('removeProjection with the last version: a projectToken of that version landing afterwards cannot bring the token back', async (t) => {
  const h = await createHarness(t);
  const tokens = { accessToken: 'revoked-access-token-xxxxxxxxxxxxxxxx', accessTokenExpiry: '2030-01-01T00:00:00.000Z', obtainedAt: '2026-01-01T00:00:00.000Z' };
  const workflowId = 'authorization:GCASH:customer-late';
  const project = { workflowId, wallet: 'GCASH', customerId: 'customer-late', tokens, state: 'ACTIVE', version: 1_767_225_600_000, authorizationId: 'authorization-1' };
  await h.run('projectToken', project);
  await h.run('removeProjection', { workflowId, wallet: 'GCASH', customerId: 'customer-late', version: project.version });
  // The reproject handler's write (or an attempt that outlived its timeout) arrives after the revoke's removal.
  await h.run('projectToken', project, { activityId: 'late' });
  t.is(await h.store.tokenProjection.get(workflowId), undefined, 'the revoked token is not readable by the payment path');
  t.is(await h.store.tokenProjection.workflowIdForAccessToken(tokens.accessToken), undefined);
  // The next authorization under this id adopts its token later, so its version is higher and it projects.
  await h.run('projectToken', { ...project, tokens: { ...tokens, accessToken: 'relinked-access-token-xxxxxxxxxxxxxx' }, version: project.version + 60_000 }, { activityId: 'next' });
  t.is((await h.store.tokenProjection.get(workflowId))?.accessToken, 'relinked-access-token-xxxxxxxxxxxxxx');
});

test('projection activities with Redis down fail retryably as STORE_UNAVAILABLE; bad input fails non-retryably', async (t) => {
  const h = await createHarness(t);
  const dead = createActivities({ ...h.deps, store: createActivityStore({ redis: h.deadRedis(), keyRing: h.keyRing, keyPrefix: h.prefix }) });
  const tokens = { accessToken: 'secret-access-token-xxxxxxxxxxxxxxxx', accessTokenExpiry: '2030-01-01T00:00:00.000Z', obtainedAt: '2026-01-01T00:00:00.000Z' };
  const input = { workflowId: 'authorization:GCASH:c', wallet: 'GCASH', customerId: 'c', tokens, state: 'ACTIVE', version: 1, authorizationId: 'authorization-1' };
  const down = (await t.throwsAsync(h.run('projectToken', input, {}, dead))) as ApplicationFailure;
  t.is(down.type, 'STORE_UNAVAILABLE');
  t.false(down.nonRetryable);
  const removeDown = (await t.throwsAsync(h.run('removeProjection', { workflowId: 'w', wallet: 'GCASH', customerId: 'c' }, {}, dead))) as ApplicationFailure;
  t.is(removeDown.type, 'STORE_UNAVAILABLE');
  const bad = (await t.throwsAsync(h.run('projectToken', { ...input, tokens: { ...tokens, accessTokenExpiry: 'next tuesday' } }))) as ApplicationFailure;
  t.is(bad.type, 'INVALID_ACTIVITY_INPUT');
  t.true(bad.nonRetryable);
  for (const failure of [down, removeDown, bad]) t.false(failure.message.includes(tokens.accessToken));
});
