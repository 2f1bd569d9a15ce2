import test from 'ava';
import { escapeHtml } from '../src/html';

test('escapeHtml neutralises markup and both quote styles, and leaves other text alone', (t) => {
  t.is(escapeHtml(`<a href="x" title='y'>Tom & Jerry</a>`), '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;Tom &amp; Jerry&lt;/a&gt;');
  t.is(escapeHtml('&amp;'), '&amp;amp;', 'already-escaped text is escaped again: the input is text, not HTML');
  t.is(escapeHtml('GCASH · 顧客-1 /path?a=1'), 'GCASH · 顧客-1 /path?a=1');
});
