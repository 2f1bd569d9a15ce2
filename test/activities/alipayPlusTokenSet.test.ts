// issue 15 items 3 and 9 at the activity level: an Alipay+ link asks for USER_LOGIN_ID by default, so the token set
// carries the masked userLoginId, and it keeps walletForAccountBinding from the applyToken response.
import test from 'ava';
import { consultAndApprove, createHarness, SUB_MERCHANT } from './activityHarness';

test('Alipay+ applyToken: the token set keeps walletForAccountBinding and the userLoginId that USER_LOGIN_ID asked for', async (t) => {
  const h = await createHarness(t);
  const { authCode } = await consultAndApprove(h, 'GCASH', 'alipayplus', { authClientId: SUB_MERCHANT });
  const prepare = h.sandbox.admin.requests().find((r) => r.endpoint === 'prepare');
  t.deepEqual((prepare?.body as { scopes?: unknown } | undefined)?.scopes, ['AGREEMENT_PAY', 'USER_LOGIN_ID']);
  const tokens = await h.run('applyToken', { requestId: 'exchange-wallet', profile: 'alipayplus', wallet: 'GCASH', grantType: 'AUTHORIZATION_CODE', authCode, authClientId: SUB_MERCHANT });
  t.deepEqual(tokens.walletForAccountBinding, { walletName: 'GCASH' });
  t.regex(tokens.userLoginId ?? '', /\*\*\*\*/);
});
