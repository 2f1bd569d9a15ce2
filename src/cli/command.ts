/**
 * The contract every `antom-auth <subcommand>` implements, so the dispatcher (commands.ts) stays a plain table and
 * each subcommand lives in its own module.
 */
import type { Readable } from 'node:stream';

export interface TextSink {
  write(text: string): unknown;
}

/** Streams a command uses instead of `process.*`, so it can be driven in-process as well as from the binary. */
export interface CliIo {
  readonly stdin: Readable & { readonly isTTY?: boolean };
  readonly stdout: TextSink;
  readonly stderr: TextSink;
}

export interface CliCommand {
  /** One line for the top-level usage listing. */
  readonly summary: string;
  /** Full usage text, printed for `--help` and after a usage error. */
  readonly usage: string;
  /** Runs with the arguments after the subcommand name; resolves to the process exit code. */
  run(args: readonly string[], io: CliIo): Promise<number>;
}

/** Exit codes shared by all subcommands. */
export const ExitCode = {
  ok: 0,
  /** The command ran and the answer is "no" (e.g. signature invalid), or it failed at run time. */
  failure: 1,
  /** Bad arguments or configuration: nothing was attempted. */
  usage: 2,
} as const;

/** Bad arguments. The dispatcher prints the message and the command's usage and exits with ExitCode.usage. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
