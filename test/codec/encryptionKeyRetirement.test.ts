/**
 * Issue 13 §3, end to end on the real Temporal dev server (real visibility, real histories), a real Redis and the
 * sandbox: add a key → rotate → continue-as-new re-seals → re-encrypt Redis → audit → remove the old key → every
 * authorization still works, and the open runs' histories replay with the final key ring.
 *
 * The ring the worker, the client, the activities and the library use is one switchable ring: switching it stands for
 * redeploying every process with the new ENCRYPTION_KEYS.
 */
import test from 'ava';
import { Worker } from '@temporalio/worker';
import type { History } from '@temporalio/common/lib/proto-utils';
import { Client } from '@temporalio/client';
import { createEncryptingDataConverter } from '../../src/codec/dataConverter';
import { ENCRYPTION_KEY_ID_METADATA } from '../../src/codec/encryptionCodec';
import { auditHistoryKeyIds } from '../../src/codec/historyKeyAudit';
import { generateEncryptionKey, parseKeyRingSpec, type KeyRing } from '../../src/codec/keyRing';
import { auditKeys, keyRemovalVerdict } from '../../src/cli/keysCommand';
import { reencryptRedis } from '../../src/store/encryptionKeyMigration';
import { redisKeys } from '../../src/store/redisKeys';
import { SEARCH_ATTRIBUTES, TASK_QUEUE, refreshNowSignal } from '../../src/workflows/definitions';
import type { AuthorizationActivities } from '../../src/workflows/activityContract';
import { createDevServerScenarioEnvironment } from '../support/scenarioEnvironment';
import { bundleWorkflowsOnce } from '../support/workflowBundleCache';
import { ScenarioHarness, type LinkedCustomer } from '../workflows/scenarios/harness';

const WORKFLOWS_PATH = require.resolve('../../src/workflows');
const k1 = `k1:${generateEncryptionKey()}`;
const k2 = `k2:${generateEncryptionKey()}`;

/** A KeyRing whose contents can be replaced under the same object (every holder sees the switch at once). */
function switchableKeyRing(initial: KeyRing): { ring: KeyRing; use(next: KeyRing): void } {
  let current = initial;
  const ring = new Proxy({} as KeyRing, {
    get: (_target, property) => {
      const value = Reflect.get(current, property, current) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(current) : value;
    },
  });
  return { ring, use: (next) => (current = next) };
}

function startInputKeyId(history: History): string | undefined {
  const metadata = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0]?.metadata;
  const id = metadata?.[ENCRYPTION_KEY_ID_METADATA];
  return id ? Buffer.from(id).toString('utf8') : undefined;
}

test.serial('retiring an encryption key: add → rotate → re-encrypt → audit → remove → everything still works, replay included [dev server]', async (t) => {
  t.timeout(10 * 60_000);
  const switchable = switchableKeyRing(parseKeyRingSpec(k1));
  const holder: { harness?: ScenarioHarness } = {};
  const activity = <K extends keyof AuthorizationActivities>(name: K) => ((input: never) => (holder.harness!.activities()[name] as (i: never) => unknown)(input)) as AuthorizationActivities[K];
  const env = await createDevServerScenarioEnvironment({
    workflowsPath: WORKFLOWS_PATH,
    taskQueue: TASK_QUEUE,
    dataConverter: createEncryptingDataConverter(switchable.ring),
    searchAttributes: Object.values(SEARCH_ATTRIBUTES),
    activities: { consult: activity('consult'), applyToken: activity('applyToken'), revoke: activity('revoke'), projectToken: activity('projectToken'), removeProjection: activity('removeProjection') },
  });
  const h = new ScenarioHarness(t, env, { keyRing: switchable.ring });
  holder.harness = h;
  try {
    await h.start();
    const keys = redisKeys(h.keyPrefix);
    const workflows = (env.client as unknown as Client).workflow;
    const activate = async (customerId: string): Promise<LinkedCustomer> => {
      const customer = await h.link({ wallet: 'GCASH', customerId });
      await h.deliverByRedirect(customer, h.approve(customer.response.link!.authState));
      await h.waitFor(customer, (v) => v.state === 'ACTIVE', { what: 'ACTIVE' });
      return customer;
    };
    const prefix = `retire-${Date.now()}`;
    const alice = await activate(`${prefix}-alice`);
    const bob = await activate(`${prefix}-bob`);
    const firstRuns = await Promise.all([alice, bob].map(async (c) => (await c.handle.describe()).runId));
    const ourRuns = `WorkflowId STARTS_WITH 'authorization:GCASH:${prefix}'`;

    // 1. Add k2 as the current key (k1 still decrypts): every process redeployed with ENCRYPTION_KEYS=k2,k1.
    switchable.use(parseKeyRingSpec(`${k2},${k1}`));
    // 2. Re-encrypt Redis: both projections (written under k1) move to k2.
    const moved = await reencryptRedis({ redis: h.redis, keyRing: switchable.ring, keys });
    t.is(moved.reencryptedProjections, 2);
    // 3. Audit: the open runs were sealed with k1 — not safe yet.
    let audit = await auditKeys({ workflows: { list: (o) => workflows.list({ query: `${ourRuns}${o?.query ? ` AND ${o.query}` : ''}` }), getHandle: (...a) => workflows.getHandle(...a) }, redis: h.redis, keyPrefix: h.keyPrefix });
    t.deepEqual(audit.history.runsByKeyId, { k1: 2 });
    let verdict = keyRemovalVerdict(audit, 'k1', switchable.ring);
    t.false(verdict.safe);
    t.is(verdict.heldBy.filter((line) => line.startsWith('run ')).length, 2);

    // 4. Each run's next cycle continues-as-new; the new run's input is sealed with the current key.
    for (const customer of [alice, bob]) {
      await customer.handle.signal(refreshNowSignal, { reason: 'rotation' });
      await h.waitFor(customer, (v) => v.refreshCount === 1, { what: 'a refresh' });
    }
    for (const [index, customer] of [alice, bob].entries()) {
      // The refresh is visible to the query before the run continues as new (projection first): poll for the new run.
      let run = await customer.handle.describe();
      for (let waited = 0; run.runId === firstRuns[index] && waited < 120_000; waited += 250) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        run = await customer.handle.describe();
      }
      t.not(run.runId, firstRuns[index], 'continued as new');
      t.is(startInputKeyId(await workflows.getHandle(customer.workflowId, run.runId).fetchHistory()), 'k2', 'the new run\'s input is sealed with k2');
    }
    audit = await auditKeys({ workflows: { list: (o) => workflows.list({ query: `${ourRuns}${o?.query ? ` AND ${o.query}` : ''}` }), getHandle: (...a) => workflows.getHandle(...a) }, redis: h.redis, keyPrefix: h.keyPrefix });
    t.deepEqual(audit.history.runsByKeyId, { k2: 2 }, 'no open run references k1 any more');
    // The authCode exchanges' journal entries were made under k1 and cannot be re-keyed: still held.
    verdict = keyRemovalVerdict(audit, 'k1', switchable.ring);
    t.false(verdict.safe);
    t.true(verdict.heldBy.every((line) => line.startsWith('Redis: ') && line.includes('journal')), verdict.heldBy.join('; '));
    const dropped = await reencryptRedis({ redis: h.redis, keyRing: switchable.ring, keys, dropUnrekeyable: true });
    t.is(dropped.droppedJournalEntries, 2);
    audit = await auditKeys({ workflows: { list: (o) => workflows.list({ query: `${ourRuns}${o?.query ? ` AND ${o.query}` : ''}` }), getHandle: (...a) => workflows.getHandle(...a) }, redis: h.redis, keyPrefix: h.keyPrefix });
    t.true(keyRemovalVerdict(audit, 'k1', switchable.ring).safe);

    // 5. Remove k1: ENCRYPTION_KEYS=k2 everywhere.
    switchable.use(parseKeyRingSpec(k2));
    const library = h.library();
    for (const customer of [alice, bob]) {
      const [, wallet, customerId] = customer.workflowId.split(':') as [string, string, string];
      const token = await library.getAccessToken(wallet, customerId);
      t.truthy(token?.accessToken, 'the payment path reads the token');
      t.is(await h.projection(customer.workflowId).then((p) => p?.accessToken), token!.accessToken);
    }
    // A refresh, a TOKEN_CANCELED routed by the access token's (re-keyed) digest, and a merchant cancel all work.
    await alice.handle.signal(refreshNowSignal, { reason: 'after removal' });
    await h.waitFor(alice, (v) => v.refreshCount === 2, { what: 'a refresh after the removal' });
    const bobToken = (await h.projection(bob.workflowId))!.accessToken;
    t.is(await library.walletCanceledByAccessToken(bobToken, 'customer unbound'), bob.workflowId);
    await h.waitFor(bob, (v) => v.state === 'CANCELED_BY_WALLET', { what: 'CANCELED_BY_WALLET' });
    const [aliceWallet, aliceId] = alice.workflowId.split(':').slice(1) as [string, string];
    t.is((await library.cancel(aliceWallet, aliceId)).state, 'REVOKED');

    // 6. Replay with the final ring: every run begun after the rotation replays; the first runs (closed, sealed with
    // k1) cannot be decoded without k1 — they need an archive ring holding it (DESIGN.md "Retiring a key").
    const bundle = await bundleWorkflowsOnce(WORKFLOWS_PATH);
    const replay = async (ring: KeyRing, runs: { workflowId: string; runId: string }[]) => {
      const histories = await Promise.all(runs.map(async (run) => ({ workflowId: run.workflowId, history: await workflows.getHandle(run.workflowId, run.runId).fetchHistory() })));
      const results: { workflowId: string; error?: unknown }[] = [];
      try {
        for await (const result of Worker.runReplayHistories({ workflowBundle: { code: bundle.code }, dataConverter: createEncryptingDataConverter(ring) }, histories)) results.push(result);
      } catch (error) {
        results.push({ workflowId: '(replay)', error });
      }
      return results;
    };
    const all = await auditHistoryKeyIds(workflows, { includeClosed: true, extraQuery: ourRuns });
    const afterRotation = all.runs.filter((run) => !firstRuns.includes(run.runId));
    t.true(afterRotation.length >= 3, 'the runs begun after the rotation');
    for (const result of await replay(parseKeyRingSpec(k2), afterRotation)) t.is(result.error, undefined, `${result.workflowId}: ${String(result.error)}`);
    const closedUnderK1 = all.runs.filter((run) => firstRuns.includes(run.runId));
    // (Their later events — the rotation's refresh — were sealed with k2 already: a run mixes keys until it continues.)
    t.deepEqual(closedUnderK1.map((run) => run.keyIds.k1 !== undefined && run.keyIds.k2 !== undefined), [true, true]);
    const withoutK1 = await replay(parseKeyRingSpec(k2), closedUnderK1);
    t.true(withoutK1.every((result) => result.error !== undefined), 'a closed k1 history cannot be replayed without k1');
    for (const result of await replay(parseKeyRingSpec(`${k2},${k1}`), closedUnderK1)) t.is(result.error, undefined, `archive ring: ${String(result.error)}`);
  } finally {
    await h.close().catch(() => undefined);
    await env.teardown();
  }
});
