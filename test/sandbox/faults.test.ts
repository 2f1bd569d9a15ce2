import test from 'ava';
import { FaultBook } from '../../src/sandbox/faults';

const U = { type: 'result', resultStatus: 'U', resultCode: 'UNKNOWN_EXCEPTION' } as const;

test('skipCalls lets matching calls through first; times limits how many are hit; other endpoints are untouched', (t) => {
  const book = new FaultBook(() => 0);
  book.add({ endpoint: 'applyToken', skipCalls: 2, times: 2, effect: U });
  const hits = ['applyToken', 'revoke', 'applyToken', 'applyToken', 'consult', 'applyToken', 'applyToken'].map(
    (endpoint) => book.decide('antom', endpoint as 'applyToken').effect !== undefined,
  );
  t.deepEqual(hits, [false, false, false, true, false, true, false]);
  t.deepEqual(book.list(), [], 'a spent script disappears');
});

test('platform scoping and the first matching script wins; Infinity keeps a script armed', (t) => {
  const book = new FaultBook(() => 0);
  book.add({ platform: 'alipayplus', times: Infinity, effect: { type: 'drop' } });
  book.add({ effect: U });
  t.is(book.decide('alipayplus', 'cancelToken').effect?.type, 'drop');
  t.is(book.decide('antom', 'revoke').effect?.type, 'result');
  t.is(book.decide('antom', 'revoke').effect, undefined);
  t.is(book.decide('alipayplus', 'prepare').effect?.type, 'drop');
  t.is(book.list().length, 1);
});

test('rate limit per sliding second, per endpoint or for all', (t) => {
  let now = 0;
  const book = new FaultBook(() => now);
  book.setRateLimit({ endpoint: 'applyToken', requestsPerSecond: 2 });
  const limited = () => book.decide('antom', 'applyToken').rateLimited;
  t.deepEqual([limited(), limited(), limited()], [false, false, true]);
  t.false(book.decide('antom', 'revoke').rateLimited);
  now = 999;
  t.true(limited());
  now = 1_001;
  t.false(limited(), 'the first two left the window');
  book.setRateLimit({ requestsPerSecond: 0 });
  t.true(book.decide('antom', 'consult').rateLimited);
  book.setRateLimit(undefined);
  t.false(limited());
});

test('invalid scripts are refused', (t) => {
  const book = new FaultBook();
  t.throws(() => book.add({ endpoint: 'revoke' }), { instanceOf: TypeError });
  t.throws(() => book.add({ times: 0, effect: U }), { instanceOf: RangeError });
  t.throws(() => book.add({ delayMs: -1 }), { instanceOf: RangeError });
});
