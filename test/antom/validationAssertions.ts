/** Assertions on `Validation` results shared by the protocol validation tests. */
import type { ExecutionContext } from 'ava';
import { formatIssues, type Validation } from '../../src/antom/validation';

/** A successful `result` object as Antom sends it. */
export const okResult = { resultStatus: 'S', resultCode: 'SUCCESS', resultMessage: 'success' };

/** Asserts a rejection whose formatted message contains `expected` (a field path and rule). */
export function rejects<T>(t: ExecutionContext, validation: Validation<T>, expected: string): void {
  if (validation.ok) {
    t.fail(`expected rejection "${expected}", but it was accepted`);
    return;
  }
  const text = formatIssues(validation.messageName, validation.issues);
  t.true(text.includes(expected), `expected "${expected}" in "${text}"`);
}

/** Asserts acceptance and returns the typed value. */
export function value<T>(t: ExecutionContext, validation: Validation<T>): T {
  if (!validation.ok) throw new Error(`expected acceptance, got ${formatIssues(validation.messageName, validation.issues)}`);
  t.pass();
  return validation.value;
}
