/**
 * The `antom-auth` subcommands. To add one, implement CliCommand (command.ts) in its own module and add a line here;
 * the dispatcher (main.ts) and the top-level usage text pick it up from this table.
 */
import type { CliCommand } from './command';
import { signatureCommand } from './signatureCommand';
import { sandboxCommand } from '../sandbox/cliCommand';
import { bundleCommand } from '../worker/bundleCommand';
import { retryCommand } from './retryCommand';
import { keysCommand } from './keysCommand';

export const commands: Readonly<Record<string, CliCommand>> = {
  signature: signatureCommand,
  sandbox: sandboxCommand,
  bundle: bundleCommand,
  retry: retryCommand,
  keys: keysCommand,
};
