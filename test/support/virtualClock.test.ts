import test from 'ava';
import { VirtualClock } from './virtualClock';

test('entries fire in time order, same-instant entries together in scheduling order', (t) => {
  const clock = new VirtualClock(1000);
  const fired: string[] = [];
  clock.at(3000, 'c', () => fired.push(`c@${clock.nowMs}`));
  clock.at(2000, 'a', () => fired.push(`a@${clock.nowMs}`));
  clock.at(2000, 'b', () => fired.push(`b@${clock.nowMs}`));
  t.is(clock.peek(), 2000);
  clock.fireNext();
  t.deepEqual(fired, ['a@2000', 'b@2000']);
  clock.fireNext();
  t.deepEqual(fired, ['a@2000', 'b@2000', 'c@3000']);
  t.is(clock.peek(), undefined);
});

test('cancelled entries never fire and do not count as pending', (t) => {
  const clock = new VirtualClock(0);
  let fired = false;
  const cancel = clock.at(500, 'x', () => (fired = true));
  clock.at(900, 'y', () => undefined);
  cancel();
  t.is(clock.peek(), 900);
  t.deepEqual(clock.pending(), [{ atMs: 900, label: 'y' }]);
  clock.fireNext();
  t.false(fired);
});

test('the clock never moves backwards and entries in the past fire at the current time', (t) => {
  const clock = new VirtualClock(5000);
  clock.advanceTo(4000);
  t.is(clock.nowMs, 5000);
  let at = 0;
  clock.at(100, 'late', () => (at = clock.nowMs));
  clock.fireNext();
  t.is(at, 5000);
});
