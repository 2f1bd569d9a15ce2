import test from 'ava';
import fc from 'fast-check';
import { customerIdSchema, walletSchema } from '../../src/api/requestSchemas';
import {
  InvalidAuthorizationIdentityError,
  authorizationWorkflowId,
  parseAuthorizationWorkflowId,
} from '../../src/workflows/authorizationIdentity';

test('one encoding: pairs that used to meet in one workflow id are refused', (t) => {
  t.throws(() => authorizationWorkflowId('GCASH', 'a:b'), { instanceOf: InvalidAuthorizationIdentityError, message: /^customerId / });
  t.throws(() => authorizationWorkflowId('GCASH:a', 'b'), { instanceOf: InvalidAuthorizationIdentityError, message: /^wallet / });
  t.is(authorizationWorkflowId('GCASH', 'cust-1'), 'authorization:GCASH:cust-1');
});

test("'.' and '..' are not customer ids (they normalise away in URLs); names with dots are", (t) => {
  for (const bad of ['.', '..', '', 'a b', 'a/b', 'ä', 'x'.repeat(129)]) {
    t.throws(() => authorizationWorkflowId('GCASH', bad), { instanceOf: InvalidAuthorizationIdentityError }, JSON.stringify(bad));
    t.false(customerIdSchema.safeParse(bad).success, `the API refuses ${JSON.stringify(bad)} too`);
  }
  for (const good of ['...', '.a', 'a.', 'first.last@example.com', 'x'.repeat(128)]) t.notThrows(() => authorizationWorkflowId('GCASH', good));
});

test('the library and the API accept exactly the same identities, and the id parses back to them', (t) => {
  fc.assert(
    fc.property(fc.string({ maxLength: 12 }), fc.string({ maxLength: 140 }), (wallet, customerId) => {
      const api = walletSchema.safeParse(wallet).success && customerIdSchema.safeParse(customerId).success;
      let library: boolean;
      try {
        const id = authorizationWorkflowId(wallet, customerId);
        library = true;
        if (JSON.stringify(parseAuthorizationWorkflowId(id)) !== JSON.stringify({ merchant: 'default', wallet, customerId })) return false;
      } catch {
        library = false;
      }
      return api === library;
    }),
    { numRuns: 2000 },
  );
  fc.assert(
    fc.property(fc.stringMatching(/^[A-Z][A-Z0-9_]{0,10}$/), fc.stringMatching(/^[A-Za-z0-9._@+-]{3,20}$/), (wallet, customerId) => {
      const id = authorizationWorkflowId(wallet, customerId);
      return JSON.stringify(parseAuthorizationWorkflowId(id)) === JSON.stringify({ merchant: 'default', wallet, customerId });
    }),
  );
  t.pass();
});

test('a named merchant is part of the workflow id: two merchants\' customers never meet, the default merchant keeps the old id', (t) => {
  t.is(authorizationWorkflowId('GCASH', 'cust-1', 'shop-ph'), 'authorization:shop-ph:GCASH:cust-1');
  t.is(authorizationWorkflowId('GCASH', 'cust-1', 'default'), 'authorization:GCASH:cust-1');
  t.is(authorizationWorkflowId('GCASH', 'cust-1', undefined), 'authorization:GCASH:cust-1');
  t.not(authorizationWorkflowId('GCASH', 'cust-1', 'shop-a'), authorizationWorkflowId('GCASH', 'cust-1', 'shop-b'));
  t.deepEqual(parseAuthorizationWorkflowId('authorization:shop-ph:GCASH:cust-1'), { merchant: 'shop-ph', wallet: 'GCASH', customerId: 'cust-1' });
  for (const bad of ['Shop', 'a:b', '', '-x', 'x'.repeat(33), 'ä']) {
    t.throws(() => authorizationWorkflowId('GCASH', 'cust-1', bad), { instanceOf: InvalidAuthorizationIdentityError, message: /^merchant / }, JSON.stringify(bad));
  }
  // 'default' is never written as a part, so an id spelling it out was not produced by us.
  t.is(parseAuthorizationWorkflowId('authorization:default:GCASH:cust-1'), undefined);
  t.is(parseAuthorizationWorkflowId('authorization:SHOP:GCASH:cust-1'), undefined);
  t.is(parseAuthorizationWorkflowId('authorization:a:b:GCASH:c'), undefined);
  fc.assert(
    fc.property(fc.stringMatching(/^[a-z0-9][a-z0-9_-]{0,31}$/), fc.stringMatching(/^[A-Z][A-Z0-9_]{0,10}$/), fc.stringMatching(/^[A-Za-z0-9._@+-]{3,20}$/), (merchant, wallet, customerId) => {
      const parsed = parseAuthorizationWorkflowId(authorizationWorkflowId(wallet, customerId, merchant));
      return JSON.stringify(parsed) === JSON.stringify({ merchant, wallet, customerId });
    }),
  );
});
