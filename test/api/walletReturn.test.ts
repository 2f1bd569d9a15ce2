/**
 * GET /authorizations/return: the wallet's redirect delivers the authCode to the workflow found by authState and sends
 * the browser to the result page with a fixed-vocabulary outcome — the query is never reflected.
 */
import test from 'ava';
import { AuthorizationNotFoundError, AuthorizationRejectedError } from '../../src/api/authorizationOperations';
import { PUBLIC_BASE_URL, startApiHarness } from './apiHarness';

const RESULT = `${PUBLIC_BASE_URL}/demo/result`;

test('a known authState: the code is delivered (source redirect) and the browser lands on the result page', async (t) => {
  const h = await startApiHarness(t);
  await h.authStates.put('st-ok', 'authorization:GCASH:cust-1');
  const response = await h.app.inject({ method: 'GET', url: '/authorizations/return?authCode=AC-secret-77&authState=st-ok' });
  t.is(response.statusCode, 303);
  t.is(response.headers.location, `${RESULT}?outcome=accepted&wallet=GCASH&customerId=cust-1`);
  t.is(response.headers['cache-control'], 'no-store');
  t.is(response.headers['referrer-policy'], 'no-referrer');
  t.deepEqual(h.operations.callsTo('deliverAuthCode'), [['authorization:GCASH:cust-1', { authCode: 'AC-secret-77', authState: 'st-ok', source: 'redirect' }]]);
  t.false(h.logs.join('').includes('AC-secret-77'), 'the authCode is not logged');
});

test('the notification got there first: a duplicate is still success for the customer', async (t) => {
  const h = await startApiHarness(t);
  await h.authStates.put('st-dup', 'authorization:TNG:c2');
  h.operations.deliverAnswer = () => ({ accepted: false, duplicate: true, state: 'ACTIVE' });
  const response = await h.app.inject({ method: 'GET', url: '/authorizations/return?authCode=x&authState=st-dup' });
  t.is(response.headers.location, `${RESULT}?outcome=accepted&wallet=TNG&customerId=c2`);
});

test('unknown, refused and unreachable each have their outcome; nothing from the query is echoed', async (t) => {
  const h = await startApiHarness(t);
  const unknown = await h.app.inject({ method: 'GET', url: '/authorizations/return?authCode=x&authState=%3Cscript%3E' });
  t.is(unknown.headers.location, `${RESULT}?outcome=unknown`);
  t.deepEqual(h.operations.calls, []);

  await h.authStates.put('st-1', 'authorization:GCASH:c1');
  h.operations.deliverAnswer = () => { throw new AuthorizationRejectedError('authState is not current'); };
  t.is((await h.app.inject({ method: 'GET', url: '/authorizations/return?authCode=x&authState=st-1' })).headers.location, `${RESULT}?outcome=rejected&wallet=GCASH&customerId=c1`);
  h.operations.deliverAnswer = () => { throw new AuthorizationNotFoundError('authorization:GCASH:c1'); };
  t.is((await h.app.inject({ method: 'GET', url: '/authorizations/return?authCode=x&authState=st-1' })).headers.location, `${RESULT}?outcome=unknown&wallet=GCASH&customerId=c1`);
  h.operations.deliverAnswer = () => { throw new Error('deadline exceeded'); };
  t.is((await h.app.inject({ method: 'GET', url: '/authorizations/return?authCode=x&authState=st-1' })).headers.location, `${RESULT}?outcome=unavailable&wallet=GCASH&customerId=c1`);
});

test('the authState index unreachable (Redis down): the customer still lands on the result page, outcome unavailable', async (t) => {
  const h = await startApiHarness(t);
  h.authStates.get = () => Promise.reject(new Error('Connection is closed.'));
  const response = await h.app.inject({ method: 'GET', url: '/authorizations/return?authCode=AC-secret-78&authState=st-x' });
  t.is(response.statusCode, 303);
  t.is(response.headers.location, `${RESULT}?outcome=unavailable`);
  t.is(response.headers['cache-control'], 'no-store');
  t.deepEqual(h.operations.calls, []);
  t.false(h.logs.join('').includes('AC-secret-78'), 'the authCode is not logged');
});

test('every redirect lands on the result page: no authCode (the customer declined) or a malformed one, never a JSON 400', async (t) => {
  const h = await startApiHarness(t);
  for (const [query, outcome] of [
    ['authState=s', 'declined'],
    ['authCode=&authState=s', 'declined'],
    ['', 'declined'],
    ['authCode=a', 'rejected'],
    [`authCode=${'a'.repeat(129)}&authState=s`, 'rejected'],
    ['authCode=a%20b&authState=s', 'rejected'],
    ['authCode=a&authCode=b&authState=s', 'rejected'],
  ] as const) {
    const response = await h.app.inject({ method: 'GET', url: `/authorizations/return?${query}` });
    t.is(response.statusCode, 303, query);
    t.is(response.headers.location, `${RESULT}?outcome=${outcome}`, query);
    t.is(response.headers['cache-control'], 'no-store');
  }
  t.deepEqual(h.operations.calls, []);
});

test('a merchant result page with its own query keeps it', async (t) => {
  const h = await startApiHarness(t, { settings: { resultPageUrl: 'https://shop.example/linked?lang=en' } });
  await h.authStates.put('st-q', 'authorization:GCASH:c9');
  const response = await h.app.inject({ method: 'GET', url: '/authorizations/return?authCode=x&authState=st-q' });
  t.is(response.headers.location, 'https://shop.example/linked?lang=en&outcome=accepted&wallet=GCASH&customerId=c9');
});

test('the customer came back without a code from a known consult: its URL is marked spent (the next link gets a fresh consult)', async (t) => {
  const h = await startApiHarness(t);
  await h.authStates.put('st-declined', 'authorization:GCASH:c7');
  const response = await h.app.inject({ method: 'GET', url: '/authorizations/return?authState=st-declined' });
  t.is(response.statusCode, 303);
  t.is(response.headers.location, `${RESULT}?outcome=declined&wallet=GCASH&customerId=c7`);
  t.deepEqual(h.operations.callsTo('linkUsed'), [['authorization:GCASH:c7', 'st-declined']]);
  // Whatever fails behind it, the customer still lands on the result page.
  h.authStates.get = () => Promise.reject(new Error('Connection is closed.'));
  const unreachable = await h.app.inject({ method: 'GET', url: '/authorizations/return?authState=st-declined' });
  t.is(unreachable.headers.location, `${RESULT}?outcome=declined`);
});
