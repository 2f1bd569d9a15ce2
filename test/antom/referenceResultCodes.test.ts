// The transcribed result-code tables (test/fixtures/referenceResultCodes.ts) against the published documents, and
// against the one table the code uses (src/antom/resultCodes.ts).
import test from 'ava';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { RESULT_CODES } from '../../src/antom/resultCodes';
import { ALIPAY_PLUS_APPLY_TOKEN_CODES, ANTOM_APPLY_TOKEN_CODES, REFERENCE_DIRECTORY } from '../fixtures/referenceResultCodes';

const directory = resolve(__dirname, '../..', REFERENCE_DIRECTORY);

/** `CODE | S | message | action |` rows of a document's result table. */
function tableOf(file: string): Record<string, string> {
  const text = readFileSync(join(directory, file), 'utf8');
  return Object.fromEntries([...text.matchAll(/^([A-Z][A-Z_]+) \| ([SFU]) \|/gm)].map((match) => [match[1], match[2]]));
}

test('the transcription matches the documents (when ../shared/reference is beside the repository)', (t) => {
  if (!existsSync(directory)) {
    // A clone without the shared folder still runs the other checks; the transcription was made from these files.
    t.log(`${directory} is absent: transcription not re-checked`);
    t.pass();
    return;
  }
  t.deepEqual(tableOf('antom-applyToken.txt'), { ...ANTOM_APPLY_TOKEN_CODES });
  t.deepEqual(tableOf('alipayplus-applyToken-acqp.txt'), { ...ALIPAY_PLUS_APPLY_TOKEN_CODES });
});

test('every code of the documents\' tables is in the one result table, with the documented status', (t) => {
  for (const [code, status] of [...Object.entries(ANTOM_APPLY_TOKEN_CODES), ...Object.entries(ALIPAY_PLUS_APPLY_TOKEN_CODES)]) {
    t.is(RESULT_CODES[code]?.status, status, code);
  }
});
