/**
 * `antom-auth keys reencrypt [--drop-unrekeyable]` and `antom-auth keys audit [--remove KEY_ID] [--include-closed]`:
 * the operator's tools for retiring an ENCRYPTION_KEYS key (README "Rotating keys"). Both use the service's own
 * configuration (ENCRYPTION_KEYS, REDIS_URL, REDIS_KEY_PREFIX, TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE).
 *
 *   reencrypt  moves Redis to the ring's current key (store/encryptionKeyMigration.ts) and prints the counts; safe to
 *              run beside the service and again (idempotent, SCAN-based, resumable).
 *   audit      prints the key ids open runs' histories (codec/historyKeyAudit.ts) and Redis still reference; with
 *              --remove, whether removing that key id is safe now (exit 0) or not (exit 1, naming what holds it).
 */
import { Client, Connection, type WorkflowClient } from '@temporalio/client';
import { Redis } from 'ioredis';
import { auditHistoryKeyIds, type HistoryKeyAudit } from '../codec/historyKeyAudit';
import { KeyRingConfigError, parseKeyRingSpec, type KeyRing } from '../codec/keyRing';
import { ConfigError, loadConfig, type Config } from '../config';
import { reencryptRedis, redisKeyIdsIn, redisKeyReferences, type RedisKeyReferences, type ReencryptionReport } from '../store/encryptionKeyMigration';
import { redisKeys } from '../store/redisKeys';
import { WORKFLOW_TYPE } from '../workflows/definitions';
import { parseCommandArgs } from './args';
import { ExitCode, UsageError, type CliCommand, type CliIo } from './command';

const USAGE = `usage: antom-auth keys reencrypt [--drop-unrekeyable]
       antom-auth keys audit [--remove KEY_ID] [--include-closed]
  reencrypt  re-seals every Redis token projection (and re-keys its lookup digest) with the current ENCRYPTION_KEYS
             key; --drop-unrekeyable also deletes applyToken journal entries and notification dedupe marks made with
             another key (they cannot be re-keyed; otherwise they expire within 7 days / 48 h)
  audit      key ids still referenced by open runs' histories and by Redis; --remove KEY_ID: is removing it safe?
             --include-closed also reads closed runs (needed to read or replay old histories, not to run)`;

export interface KeyAudit {
  readonly history: HistoryKeyAudit;
  readonly redis: RedisKeyReferences;
}

export interface KeyRemovalVerdict {
  readonly safe: boolean;
  /** What still holds the key: one line each. */
  readonly heldBy: string[];
}

/** Whether `keyId` can leave the ring: nothing the audit saw references it, and it is not the current key. */
export function keyRemovalVerdict(audit: KeyAudit, keyId: string, keyRing?: KeyRing): KeyRemovalVerdict {
  const heldBy: string[] = [];
  if (keyRing?.currentKeyId === keyId) heldBy.push('it is the current (encrypting) key: put another key first');
  const runs = audit.history.runs.filter((run) => run.keyIds[keyId] !== undefined);
  for (const run of runs.slice(0, 20)) heldBy.push(`run ${run.workflowId} ${run.runId} (${run.status}): ${run.keyIds[keyId]} payload(s)`);
  if (runs.length > 20) heldBy.push(`… and ${runs.length - 20} more runs`);
  for (const where of redisKeyIdsIn(audit.redis).get(keyId) ?? []) heldBy.push(`Redis: ${where}`);
  if (keyId !== 'untagged') for (const where of redisKeyIdsIn(audit.redis).get('untagged') ?? []) heldBy.push(`Redis: ${where} of unknown key`);
  return { safe: heldBy.length === 0, heldBy };
}

export async function auditKeys(deps: { workflows: Pick<WorkflowClient, 'list' | 'getHandle'>; redis: Redis; keyPrefix: string; includeClosed?: boolean }): Promise<KeyAudit> {
  const [history, redis] = await Promise.all([
    // Only this service's runs: other workflow types in the namespace may be sealed by other codecs.
    auditHistoryKeyIds(deps.workflows, { includeClosed: deps.includeClosed ?? false, extraQuery: `WorkflowType = '${WORKFLOW_TYPE}'` }),
    redisKeyReferences({ redis: deps.redis, keys: redisKeys(deps.keyPrefix) }),
  ]);
  return { history, redis };
}

export function formatAudit(audit: KeyAudit, includeClosed: boolean): string {
  const lines = [`${includeClosed ? 'runs' : 'open runs'}: ${audit.history.runs.length}`];
  for (const [keyId, count] of Object.entries(audit.history.runsByKeyId)) lines.push(`  key ${keyId}: referenced by ${count} run(s)`);
  lines.push('redis:');
  for (const [keyId, where] of redisKeyIdsIn(audit.redis)) lines.push(`  key ${keyId}: ${where.join(', ')}`);
  return `${lines.join('\n')}\n`;
}

export function formatReencryption(report: ReencryptionReport): string {
  return `${[
    `scanned: ${report.scanned.tokenProjections} token projection(s), ${report.scanned.applyTokenJournal} journal entr(ies), ${report.scanned.notificationDedupe} dedupe mark(s)`,
    `re-encrypted: ${report.reencryptedProjections} token projection(s) (sealed token and lookup digest)`,
    `skipped (changed meanwhile, already current): ${report.skippedConcurrent}`,
    `dropped: ${report.droppedJournalEntries} journal entr(ies), ${report.droppedDedupeMarks} dedupe mark(s)`,
  ].join('\n')}\n`;
}

function configOrExplain(io: CliIo): { config: Config; keyRing: KeyRing } | undefined {
  try {
    const config = loadConfig();
    if (!config.encryptionKeys) {
      io.stderr.write('antom-auth keys: ENCRYPTION_KEYS: not set\n');
      return undefined;
    }
    return { config, keyRing: parseKeyRingSpec(config.encryptionKeys) };
  } catch (error) {
    if (error instanceof ConfigError) for (const problem of error.problems) io.stderr.write(`antom-auth keys: ${problem}\n`);
    else if (error instanceof KeyRingConfigError) io.stderr.write(`antom-auth keys: ENCRYPTION_KEYS: ${error.message}\n`);
    else throw error;
    return undefined;
  }
}

export const keysCommand: CliCommand = {
  summary: 'retire an ENCRYPTION_KEYS key: reencrypt Redis to the current key, audit which key ids are still referenced',
  usage: USAGE,
  async run(args, io) {
    const [action, ...rest] = args;
    if (action !== 'reencrypt' && action !== 'audit') throw new UsageError('expected `reencrypt` or `audit`');
    const values: { 'drop-unrekeyable'?: boolean; remove?: string; 'include-closed'?: boolean } =
      action === 'reencrypt'
        ? parseCommandArgs(rest, { 'drop-unrekeyable': { type: 'boolean' } }).values
        : parseCommandArgs(rest, { remove: { type: 'string' }, 'include-closed': { type: 'boolean' } }).values;
    const loaded = configOrExplain(io);
    if (!loaded) return ExitCode.usage;
    const { config, keyRing } = loaded;
    const redis = new Redis(config.redis.url, { maxRetriesPerRequest: 2 });
    redis.on('error', () => undefined);
    try {
      if (action === 'reencrypt') {
        const report = await reencryptRedis({ redis, keyRing, keys: redisKeys(config.redis.keyPrefix), dropUnrekeyable: values['drop-unrekeyable'] === true });
        io.stdout.write(formatReencryption(report));
        return ExitCode.ok;
      }
      if (!config.temporal.address) {
        io.stderr.write('antom-auth keys: TEMPORAL_ADDRESS: not set — the audit reads run histories\n');
        return ExitCode.usage;
      }
      const connection = await Connection.connect({ address: config.temporal.address });
      try {
        const includeClosed = values['include-closed'] === true;
        const workflows = new Client({ connection, namespace: config.temporal.namespace }).workflow;
        const audit = await auditKeys({ workflows, redis, keyPrefix: config.redis.keyPrefix, includeClosed });
        io.stdout.write(formatAudit(audit, includeClosed));
        const remove = values.remove;
        if (typeof remove !== 'string') return ExitCode.ok;
        const verdict = keyRemovalVerdict(audit, remove, keyRing);
        io.stdout.write(
          verdict.safe
            ? `removing key ${remove} is safe: no ${includeClosed ? 'run' : 'open run'} and nothing in Redis references it\n`
            : `removing key ${remove} is NOT safe; still held by:\n${verdict.heldBy.map((line) => `  ${line}`).join('\n')}\n`,
        );
        return verdict.safe ? ExitCode.ok : ExitCode.failure;
      } finally {
        await connection.close();
      }
    } catch (error) {
      io.stderr.write(`antom-auth keys: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}\n`);
      return ExitCode.failure;
    } finally {
      redis.disconnect();
    }
  },
};
