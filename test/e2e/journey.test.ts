/**
 * End to end on the real engine (issue 10, parts 1–3): the Temporal dev server with its Web UI, a real Worker on the
 * production prebundle, the API over HTTP, the sandbox, Redis and headless Chromium — wired as `npm start` wires them.
 *
 *  1. The customer's journey with refreshes in real time (the sandbox's SANDBOX_SECONDS wallet, set over its admin
 *     API: 20 s access tokens, refreshed at half their life).
 *  2. What the Temporal server holds: histories without plaintext tokens, every payload encrypted, the search
 *     attributes queryable, each refresh-cycle run as long as bench:lifecycle says.
 *  3. The Temporal Web UI in Chromium with the codec login: decoded input/result and current details as text.
 */
import test from 'ava';
import { randomBytes } from 'node:crypto';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { isRefreshCycleRun, PRODUCT_CYCLE } from '../../bench/support/historyStats';
import { ENCRYPTED_ENCODING, EncryptionCodec } from '../../src/codec/encryptionCodec';
import { maskSecret } from '../../src/logger';
import type { AuthorizationView } from '../../src/workflows/definitions';
import { screenshotPath, useChromium } from '../support/chromium';
import { benchHistoryClaim, type BenchHistoryClaim } from './support/benchClaim';
import { encodingOf, eventTypeNames, historyBytes, payloadsIn, serverRuns } from './support/history';
import { adminPost, applyTokenCalls, grants, notifications, receivedRequests, secondsWallet } from './support/sandboxAdmin';
import { E2E_API_KEY, E2eStack, poll } from './support/stack';

const WALLET = 'SANDBOX_SECONDS';
const POLICY = secondsWallet(20, 120);
const REFRESHES = 2;

const browser = useChromium(test);
let stack: E2eStack;
let claim: Promise<BenchHistoryClaim> | undefined;

test.before(async () => {
  stack = await E2eStack.start({ ui: true, walletPolicies: { [WALLET]: POLICY } });
});
test.after.always(async () => {
  await claim?.catch(() => undefined);
  await stack?.close();
});

/** What the journey left for the later tests. */
const journey = {
  customerId: `journey-${randomBytes(3).toString('hex')}`,
  workflowId: '',
  userLoginId: '',
  /** Every access token served over GET …/token. */
  accessTokens: [] as string[],
  done: false,
};

async function readToken(customerId: string): Promise<{ status: number; accessToken?: string; state?: string }> {
  const response = await stack.api(`/authorizations/${WALLET}/${customerId}/token`);
  const body = (await response.json()) as { accessToken?: string; state?: string };
  return { status: response.status, ...body };
}

async function currentGrant(authState: string) {
  const grant = (await grants(stack.sandbox)).find((g) => g.authState === authState);
  if (!grant) throw new Error(`no sandbox grant for ${authState}`);
  return grant;
}

test.serial('1. journey: link over HTTP, approve in Chromium, redirect + signed AUTHCODE_CREATED, one applyToken, ACTIVE, refreshes with the latest refresh token, cancel → REVOKED', async (t) => {
  const started = Date.now();
  // The bench's claim is computed meanwhile (offline, CPU only), for test 2.
  claim = benchHistoryClaim(WALLET, POLICY);
  claim.catch(() => undefined);
  const { customerId } = journey;

  const linked = await stack.api('/authorizations', { method: 'POST', body: JSON.stringify({ wallet: WALLET, customerId }) });
  t.is(linked.status, 200);
  const link = (await linked.json()) as { workflowId: string; state: string; authState: string; normalUrl?: string };
  t.is(link.state, 'AWAITING_AUTH_CODE');
  t.truthy(link.normalUrl);
  journey.workflowId = link.workflowId;

  // The customer opens the wallet's page and approves; the wallet redirects to our return URL, which lands on the
  // result page.
  const context = await browser().newContext();
  t.teardown(() => context.close());
  const page = await context.newPage();
  await page.goto(link.normalUrl!);
  await page.screenshot({ path: screenshotPath('e2e-journey-consent.png'), fullPage: true });
  await Promise.all([page.waitForURL(`${stack.publicBaseUrl}/demo/result**`, { timeout: 30_000 }), page.click('#approve')]);
  t.regex(page.url(), /outcome=accepted/, 'the redirect reached the API and its authCode was accepted');

  const active = await stack.waitForView(WALLET, customerId, (v) => v.state === 'ACTIVE', 'ACTIVE');
  t.truthy(active.userLoginId);
  journey.userLoginId = active.userLoginId!;
  await page.screenshot({ path: screenshotPath('e2e-journey-result.png'), fullPage: true });

  // The signed notification arrived too and was acknowledged by the API.
  const delivered = await poll(
    () => notifications(stack.sandbox),
    (all) => all.some((n) => n.type === 'AUTHCODE_CREATED' && (n.body as { authState?: string }).authState === link.authState && n.status === 'ACKNOWLEDGED'),
    'AUTHCODE_CREATED acknowledged',
    30_000,
  );
  t.truthy(delivered);

  // Both deliveries, one exchange: exactly one applyToken with the authorization code, and it succeeded.
  const codeExchanges = applyTokenCalls(await receivedRequests(stack.sandbox), WALLET).filter((c) => c.grantType === 'AUTHORIZATION_CODE');
  t.is(codeExchanges.length, 1, 'exactly one applyToken(AUTHORIZATION_CODE)');
  t.is(codeExchanges[0]?.resultStatus, 'S');

  const first = await readToken(customerId);
  t.is(first.status, 200);
  t.is(maskSecret(first.accessToken), (await currentGrant(link.authState)).accessToken, 'the served token is the wallet\'s current one');
  journey.accessTokens.push(first.accessToken!);

  // Refresh cycles in real time. The grant's refresh token is watched as it rotates (R0 → R1 → R2); every refresh
  // must present the one current before it.
  const rotation: string[] = [(await currentGrant(link.authState)).refreshToken!];
  let view: AuthorizationView = active;
  await poll(
    async () => {
      const grant = await currentGrant(link.authState);
      if (grant.refreshToken && grant.refreshToken !== rotation[rotation.length - 1]) rotation.push(grant.refreshToken);
      view = (await stack.view(WALLET, customerId)) ?? view;
      if (view.state === 'ACTIVE' && view.refreshCount > journey.accessTokens.length - 1) {
        const token = await readToken(customerId);
        if (token.status === 200 && token.accessToken && !journey.accessTokens.includes(token.accessToken)) journey.accessTokens.push(token.accessToken);
      }
      return view;
    },
    (v) => v.state === 'ACTIVE' && v.refreshCount >= REFRESHES && journey.accessTokens.length > REFRESHES,
    `${REFRESHES} refreshes`,
    120_000,
    100,
  );
  t.is(view.state, 'ACTIVE');
  const refreshCalls = applyTokenCalls(await receivedRequests(stack.sandbox), WALLET).filter((c) => c.grantType === 'REFRESH_TOKEN');
  t.true(refreshCalls.length >= REFRESHES, `${refreshCalls.length} refresh calls`);
  t.deepEqual(refreshCalls.map((c) => c.resultStatus), refreshCalls.map(() => 'S'), 'every refresh accepted (a used, rotated refresh token would be INVALID_REFRESH_TOKEN)');
  t.deepEqual(
    refreshCalls.map((c) => c.refreshToken),
    rotation.slice(0, refreshCalls.length),
    `refresh i used refresh token R(i-1), the latest at the time (rotation seen: ${rotation.join(' → ')})`,
  );
  t.is(new Set(rotation).size, rotation.length, 'each refresh rotated the refresh token');
  const latest = await readToken(customerId);
  t.is(latest.status, 200);
  t.is(maskSecret(latest.accessToken), (await currentGrant(link.authState)).accessToken, 'after the refreshes the served token is the newest one');
  t.is(new Set(journey.accessTokens).size, journey.accessTokens.length, `${journey.accessTokens.length} distinct access tokens served`);

  // Cancel: REVOKED, the wallet saw the revoke, and the token is no longer served.
  const canceled = await stack.api(`/authorizations/${WALLET}/${customerId}?wait=true`, { method: 'DELETE' });
  t.is(canceled.status, 200);
  t.is(((await canceled.json()) as AuthorizationView).state, 'REVOKED');
  const after = await readToken(customerId);
  t.is(after.status, 404, 'no token after cancel');
  t.falsy(after.accessToken);
  t.true((await receivedRequests(stack.sandbox)).some((r) => r.endpoint === 'revoke' && r.resultStatus === 'S'), 'revoke sent to the wallet');
  t.not((await currentGrant(link.authState)).status, 'ACTIVE');
  journey.done = true;
  t.log(`journey wall time ${((Date.now() - started) / 1000).toFixed(1)} s; rotation ${rotation.join(' → ')}`);
});

/** A second customer that stays ACTIVE (GCASH: 2-year tokens), linked over HTTP and approved in the wallet (admin). */
let activeCustomer: Promise<{ customerId: string; workflowId: string; view: AuthorizationView }> | undefined;
function linkActiveCustomer() {
  activeCustomer ??= (async () => {
    const customerId = `active-${randomBytes(3).toString('hex')}`;
    const linked = await stack.api('/authorizations', { method: 'POST', body: JSON.stringify({ wallet: 'GCASH', customerId }) });
    const link = (await linked.json()) as { workflowId: string; authState: string };
    await adminPost(stack.sandbox, '/authorizations/approve', { authState: link.authState });
    const view = await stack.waitForView('GCASH', customerId, (v) => v.state === 'ACTIVE', 'ACTIVE');
    return { customerId, workflowId: link.workflowId, view };
  })();
  return activeCustomer;
}

test.serial('2. what the server holds: no plaintext token (nor in the logs), every payload encrypted, search attributes queryable, history lengths as bench:lifecycle claims', async (t) => {
  t.true(journey.done, 'needs the journey');
  const started = Date.now();
  const runs = await serverRuns(stack.client, journey.workflowId);
  t.true(runs.length >= REFRESHES + 1, `${runs.length} runs`);

  // Secrets: the tokens served, and every token the decoded payloads hold (refresh tokens included).
  const codec = new EncryptionCodec(stack.keyRing);
  const secrets = new Set(journey.accessTokens);
  let payloadCount = 0;
  for (const run of runs) {
    for (const { path, payload } of payloadsIn(run.history)) {
      payloadCount += 1;
      const searchAttribute = path.includes('searchAttributes.indexedFields');
      t.is(encodingOf(payload), searchAttribute ? 'json/plain' : ENCRYPTED_ENCODING, `${run.runId} ${path}`);
      if (searchAttribute) continue;
      const [decoded] = await codec.decode([payload as never]);
      const text = Buffer.from(decoded!.data ?? new Uint8Array()).toString('utf8');
      for (const match of text.matchAll(/"(?:accessToken|refreshToken)":"([^"]+)"/g)) secrets.add(match[1]!);
    }
  }
  t.true(payloadCount > 10, `${payloadCount} payloads`);
  t.true(secrets.size >= 2 * (REFRESHES + 1), `${secrets.size} distinct tokens known (access and refresh)`);
  const logs = stack.logs.join('');
  for (const secret of secrets) t.false(logs.includes(secret), `token ${maskSecret(secret)} in the service's logs`);
  for (const run of runs) {
    const bytes = historyBytes(run.history);
    for (const secret of secrets) t.false(bytes.includes(Buffer.from(secret)), `token ${maskSecret(secret)} in plaintext in run ${run.runId}`);
  }

  // Search attributes: the ACTIVE customer is found by state and by wallet.
  const { workflowId: activeId } = await linkActiveCustomer();
  const found = async (query: string) => {
    const ids: string[] = [];
    for await (const execution of stack.client.workflow.list({ query })) ids.push(execution.workflowId);
    return ids;
  };
  t.true((await poll(() => found("AntomAuthorizationState = 'ACTIVE'"), (ids) => ids.includes(activeId), 'state query')).includes(activeId));
  t.true((await poll(() => found("AntomWallet = 'GCASH'"), (ids) => ids.includes(activeId), 'wallet query')).includes(activeId));
  const revoked = await poll(() => found(`AntomAuthorizationState = 'REVOKED' AND AntomWallet = '${WALLET}'`), (ids) => ids.includes(journey.workflowId), 'REVOKED query');
  t.false(revoked.includes(activeId));
  t.false((await found(`AntomAuthorizationState = 'ACTIVE' AND ExecutionStatus = 'Running' AND AntomWallet = '${WALLET}'`)).includes(journey.workflowId), 'the revoked customer is not ACTIVE');

  // History lengths: every refresh-cycle run on the server is as long as bench:lifecycle's model says.
  const bench = await claim!;
  t.true(bench.cycleRunLengths.length > 0, 'the bench measured cycle runs');
  t.is(new Set(bench.cycleRunLengths).size, 1, `the bench's cycle runs all have one length (${bench.cycleRunLengths.join(', ')})`);
  const cycleRuns = runs.filter((run) => isRefreshCycleRun(run.shape, PRODUCT_CYCLE));
  t.true(cycleRuns.length >= REFRESHES - 1, `${cycleRuns.length} refresh-cycle runs on the server`);
  for (const run of cycleRuns) {
    t.is(run.shape.historyLength, bench.cycleRunLengths[0]!, `run ${run.runId}: ${eventTypeNames(run.history).join(' ')}`);
  }
  t.log(
    `server runs: ${runs.map((r) => `${r.shape.historyLength}${isRefreshCycleRun(r.shape, PRODUCT_CYCLE) ? ' (cycle)' : ''}`).join(', ')}; ` +
      `bench claims ${bench.cycleRunLengths[0]} per cycle run, first run ${bench.firstRunLength} (server: ${runs[0]!.shape.historyLength}, two authCode deliveries); ` +
      `wall ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
});

/** Signs in at the API's codec login page in this browser context (the operator's step 1). */
async function codecSignIn(context: BrowserContext): Promise<void> {
  const login = await context.newPage();
  await login.goto(`${stack.publicBaseUrl}/codec/login`);
  await login.fill('#api-key', E2E_API_KEY);
  await Promise.all([login.waitForURL(`${stack.publicBaseUrl}/codec/login`), login.click('#sign-in')]);
  const status = (await login.textContent('#status')) ?? '';
  if (!/^Signed in until/.test(status)) throw new Error(`codec sign-in failed: ${status}`);
  await login.screenshot({ path: screenshotPath('e2e-ui-codec-login.png'), fullPage: true });
  await login.close();
}

/**
 * The operator's step 2, in the UI's codec dialog (the status icon in the top bar): "Use my browser setting", the
 * endpoint, "Include cross-origin credentials", Apply. The endpoint that `--ui-codec-endpoint` presets cannot carry
 * the credentials flag (the dev server has no option for it), and the UI ignores the browser's credentials switch
 * for a cluster-level endpoint — so the browser setting is the way, for `npm start` as here.
 */
async function configureCodec(page: Page, endpoint: string): Promise<void> {
  await page.locator('[data-testid^="data-encoder-status"]').first().click();
  await page.locator('#use-local-endpoint-radio').check();
  await page.locator('#data-encoder-endpoint-input').fill(endpoint);
  // A switch: the checkbox itself is visually hidden behind its label.
  if (!(await page.locator('#pass-access-credentials').isChecked())) await page.getByTestId('data-encoder-include-credentials').click();
  if (!(await page.locator('#pass-access-credentials').isChecked())) throw new Error('the credentials switch did not turn on');
  await page.screenshot({ path: screenshotPath('e2e-ui-codec-settings.png') });
  await page.locator('dialog[open]').getByTestId('confirm-modal-button').click();
}

async function pageText(page: Page, mustContain: string, timeoutMs = 60_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let text = '';
  while (Date.now() < deadline) {
    // Markdown (summary, details) renders in sandboxed iframes: read every frame.
    const texts = await Promise.all(page.frames().map((frame) => frame.evaluate('document.body ? document.body.innerText : ""').catch(() => '')));
    text = texts.join('\n');
    if (text.includes(mustContain)) return text;
    await page.waitForTimeout(500);
  }
  return text;
}

test.serial('3. Temporal Web UI: after the codec sign-in, the decoded input/result and current details are readable', async (t) => {
  t.true(journey.done, 'needs the journey');
  const started = Date.now();
  const uiUrl = stack.devServer.uiUrl!;
  const active = await linkActiveCustomer();
  const context: BrowserContext = await (browser() as Browser).newContext({ viewport: { width: 1400, height: 1800 } });
  t.teardown(() => context.close());
  const page = await context.newPage();
  const codecAnswers: number[] = [];
  page.on('response', (r) => {
    if (r.url().startsWith(`${stack.publicBaseUrl}/codec/decode`)) codecAnswers.push(r.status());
  });
  const runs = await serverRuns(stack.client, journey.workflowId);
  const workflowPage = (workflowId: string, runId: string) => `${uiUrl}/namespaces/${stack.devServer.namespace}/workflows/${encodeURIComponent(workflowId)}/${runId}/history`;

  // The journey's last run (REVOKED). The codec is configured, but the operator has not signed in: the endpoint
  // refuses, and the payloads stay encrypted in the page.
  await page.goto(workflowPage(journey.workflowId, runs[runs.length - 1]!.runId));
  await configureCodec(page, `${stack.publicBaseUrl}/codec`);
  await page.reload();
  await poll(async () => codecAnswers.length, (n) => n > 0, 'the UI calling the codec endpoint', 30_000);
  const locked = await pageText(page, journey.workflowId);
  t.true(locked.includes(journey.workflowId), 'the workflow page loaded');
  t.true(codecAnswers.every((status) => status === 401), `not signed in: 401s (${codecAnswers.join(',')})`);
  t.false(locked.includes(journey.userLoginId), 'without a codec session the masked account is not readable');
  t.false(locked.includes('"state"'));
  await page.screenshot({ path: screenshotPath('e2e-ui-not-signed-in.png'), fullPage: true });

  // Signed in: input (the state the run continued with) and result (REVOKED) are readable, with the masked account.
  await codecSignIn(context);
  codecAnswers.length = 0;
  await page.reload();
  const decoded = await pageText(page, '"state": "REVOKED"');
  await page.screenshot({ path: screenshotPath('e2e-ui-revoked-run.png'), fullPage: true });
  t.true(decoded.includes('"state": "REVOKED"'), 'the result is decoded');
  t.true(decoded.includes('"state": "ACTIVE"'), 'the input (the state carried over by continue-as-new) is decoded');
  t.true(decoded.includes(`"wallet": "${WALLET}"`));
  t.true(decoded.includes(`"userLoginId": "${journey.userLoginId}"`), 'the masked account is readable');

  // The ACTIVE customer: its input, and the current details the workflow publishes (User Metadata tab).
  const activeRuns = await serverRuns(stack.client, active.workflowId);
  await page.goto(workflowPage(active.workflowId, activeRuns[activeRuns.length - 1]!.runId));
  t.true((await pageText(page, `"customerId": "${active.customerId}"`)).includes(`"customerId": "${active.customerId}"`), 'the input is decoded');
  await page.getByText('User Metadata', { exact: true }).first().click();
  const details = await pageText(page, `Linked account: ${active.view.userLoginId!}`);
  await page.screenshot({ path: screenshotPath('e2e-ui-active-customer.png'), fullPage: true });
  t.true(details.includes(`ACTIVE · GCASH · customer ${active.customerId}`), 'current details: state, wallet, customer');
  t.true(details.includes(`Linked account: ${active.view.userLoginId!}`), 'current details: the masked account');
  t.regex(details, /Next refresh: \d{4}-/);
  t.true(codecAnswers.length > 0 && codecAnswers.every((status) => status === 200), `signed in: every decode answered 200 (${codecAnswers.join(',')})`);
  t.log(`UI test wall ${((Date.now() - started) / 1000).toFixed(1)} s`);
});
