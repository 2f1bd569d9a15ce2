import test from 'ava';
test('ts runs', (t) => { const n: number = 2; t.is(n + 1, 3); });
