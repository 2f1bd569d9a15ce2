/**
 * Where the Temporal binaries are: an explicit TEMPORAL_CLI_PATH / TEMPORAL_TEST_SERVER_PATH wins; otherwise the
 * copies `scripts/provision-temporal.sh` installs into `.temporal/bin/` (run by `npm start` and `npm test` before
 * they start). Found without configuration, so a fresh clone needs no environment variables.
 */
import { accessSync, constants } from 'node:fs';
import { join, resolve } from 'node:path';

/** The project root (this file lives in src/). */
const PROJECT_ROOT = resolve(__dirname, '..');
export const PROVISIONED_BIN_DIR = join(PROJECT_ROOT, '.temporal', 'bin');
export const PROVISION_COMMAND = 'bash scripts/provision-temporal.sh';

export type TemporalBinary = 'cli' | 'test-server';

const ENV_VARIABLE: Record<TemporalBinary, string> = { cli: 'TEMPORAL_CLI_PATH', 'test-server': 'TEMPORAL_TEST_SERVER_PATH' };
const FILE_NAME: Record<TemporalBinary, string> = { cli: 'temporal', 'test-server': 'temporal-test-server' };

export interface LocatedBinary {
  readonly path: string;
  readonly source: 'environment' | 'provisioned';
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The binary to run, or undefined when neither the variable nor the provisioned copy exists. */
export function locateTemporalBinary(kind: TemporalBinary, env: NodeJS.ProcessEnv = process.env, binDir = PROVISIONED_BIN_DIR): LocatedBinary | undefined {
  const fromEnv = env[ENV_VARIABLE[kind]];
  if (fromEnv) return { path: fromEnv, source: 'environment' };
  const provisioned = join(binDir, FILE_NAME[kind]);
  return executable(provisioned) ? { path: provisioned, source: 'provisioned' } : undefined;
}

/** One line for a missing binary: the command that installs it and the variable that overrides it. */
export function missingBinaryMessage(kind: TemporalBinary): string {
  return `no ${FILE_NAME[kind]} binary: run \`${PROVISION_COMMAND}\` (installs it into .temporal/bin) or set ${ENV_VARIABLE[kind]}`;
}
