/**
 * `antom-auth retry [--code C] [--wallet W] [--phase P] [--note N]`: the operator's bulk retry from a shell, the same
 * as POST /operator/retry — every running NEEDS_ATTENTION authorization matching the filter gets an operatorRetry,
 * found by a visibility query. Connects with the service's own configuration (TEMPORAL_ADDRESS and TEMPORAL_TLS* /
 * TEMPORAL_API_KEY, ENCRYPTION_KEYS, REDIS_URL or REDIS_CLUSTER_NODES, …) and prints one line per authorization retried, then the count.
 */
import { connectAuthorizationClient } from '../client';
import { ConfigError, loadConfig } from '../config';
import { TemporalConnectionConfigError } from '../temporalConnection';
import { attentionFilterBodySchema } from '../api/requestSchemas';
import { parseCommandArgs } from './args';
import { ExitCode, UsageError, type CliCommand } from './command';

const USAGE = `usage: antom-auth retry [--code RESULT_CODE] [--wallet WALLET] [--phase consult|authCodeApply|refresh|revoke] [--note TEXT]
  Retries every NEEDS_ATTENTION authorization matching all the given filters (none: all of them).`;

export const retryCommand: CliCommand = {
  summary: 'operator bulk retry of NEEDS_ATTENTION authorizations (by code, wallet, phase)',
  usage: USAGE,
  async run(args, io) {
    const { values } = parseCommandArgs(args, {
      code: { type: 'string' },
      wallet: { type: 'string' },
      phase: { type: 'string' },
      note: { type: 'string' },
    });
    const parsed = attentionFilterBodySchema.safeParse(Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)));
    if (!parsed.success) throw new UsageError(parsed.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('; '));
    const { note, ...filter } = parsed.data;
    let config;
    try {
      config = loadConfig();
    } catch (error) {
      if (error instanceof ConfigError) {
        for (const problem of error.problems) io.stderr.write(`antom-auth retry: ${problem}\n`);
        return ExitCode.usage;
      }
      throw error;
    }
    const connected = await connectAuthorizationClient(config).catch((error: unknown) => {
      if (error instanceof TemporalConnectionConfigError) {
        for (const problem of error.problems) io.stderr.write(`antom-auth retry: ${problem}\n`);
        return undefined;
      }
      io.stderr.write(`antom-auth retry: cannot connect (${error instanceof Error ? error.message.split('\n')[0] : String(error)})\n`);
      return undefined;
    });
    if (!connected) return ExitCode.failure;
    try {
      const retried = await connected.client.operatorRetryWhere(filter, note);
      for (const workflowId of retried) io.stdout.write(`${workflowId}\n`);
      io.stdout.write(`retried ${retried.length}\n`);
      return ExitCode.ok;
    } finally {
      await connected.close();
    }
  },
};
