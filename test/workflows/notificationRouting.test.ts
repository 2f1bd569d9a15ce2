// The routing attributes as a pure function of the authorization's record (issue 12 §4).
import test from 'ava';
import { routingAttributes } from '../../src/workflows/notificationRouting';

const link = { authState: 'state-now', consultedAt: '2026-01-01T00:00:00Z' };
const tokens = (routingDigest?: string) => ({ accessToken: 'AT', accessTokenExpiry: '2030-01-01T00:00:00Z', obtainedAt: '2026-01-01T00:00:00Z', ...(routingDigest ? { routingDigest } : {}) });

test('while consulting: the consult authState, no digests', (t) => {
  t.deepEqual(routingAttributes({ link, acceptedAuthStates: [] }), { authState: 'state-now', tokenDigests: null });
});

test('once linked: the last accepted authState (late resends still route) and the token digest', (t) => {
  t.deepEqual(routingAttributes({ acceptedAuthStates: ['s1', 's2'], tokens: tokens('d-now') }), { authState: 's2', tokenDigests: ['d-now'] });
});

test('after a refresh: current and previous digests; a repeat is listed once; nothing known → nulls', (t) => {
  t.deepEqual(routingAttributes({ acceptedAuthStates: ['s1'], tokens: tokens('d-new'), previousTokenDigest: 'd-old' }).tokenDigests, ['d-new', 'd-old']);
  t.deepEqual(routingAttributes({ acceptedAuthStates: [], tokens: tokens('d'), previousTokenDigest: 'd' }).tokenDigests, ['d']);
  t.deepEqual(routingAttributes({ acceptedAuthStates: [], tokens: tokens() }), { authState: null, tokenDigests: null });
});

test('a new consult while a token is held (relink) publishes the new authState', (t) => {
  t.is(routingAttributes({ link: { ...link, authState: 'state-relink' }, acceptedAuthStates: ['s1'], tokens: tokens('d') }).authState, 'state-relink');
});
