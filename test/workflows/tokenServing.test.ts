import test from 'ava';
import fc from 'fast-check';
import { AUTHORIZATION_STATES, TERMINAL_STATES } from '../../src/workflows/definitions';
import { isServable, whyNotServable } from '../../src/workflows/tokenServing';

const NOW = Date.parse('2027-01-01T00:00:00Z');
const future = new Date(NOW + 60_000).toISOString();

test('served only in a live state, before expiry, not withdrawn', (t) => {
  for (const state of AUTHORIZATION_STATES) {
    const expected = state !== 'REVOKING' && !TERMINAL_STATES.includes(state);
    t.is(isServable({ state, accessTokenExpiry: future, withdrawn: false, nowMs: NOW }), expected, state);
  }
});

test('never served at or after expiry, withdrawn, without a token or with an unparsable expiry, whatever the state', (t) => {
  fc.assert(
    fc.property(fc.constantFrom(...AUTHORIZATION_STATES), fc.integer({ min: 0, max: 10 * 365 * 86_400_000 }), (state, pastMs) => {
      const expiry = new Date(NOW - pastMs).toISOString();
      return (
        !isServable({ state, accessTokenExpiry: expiry, withdrawn: false, nowMs: NOW })
        && !isServable({ state, accessTokenExpiry: future, withdrawn: true, nowMs: NOW })
        && !isServable({ state, accessTokenExpiry: undefined, withdrawn: false, nowMs: NOW })
        && !isServable({ state, accessTokenExpiry: 'not a time', withdrawn: false, nowMs: NOW })
      );
    }),
  );
  t.is(whyNotServable({ state: 'REAUTH_REQUIRED', accessTokenExpiry: new Date(NOW).toISOString(), withdrawn: false, nowMs: NOW }), 'expired');
  t.is(whyNotServable({ state: 'ACTIVE', accessTokenExpiry: future, withdrawn: true, nowMs: NOW }), 'withdrawn');
  t.is(whyNotServable({ state: 'REVOKING', accessTokenExpiry: future, withdrawn: false, nowMs: NOW }), 'state');
});
