/**
 * Dispatches `antom-auth <subcommand> …` through the table in commands.ts and turns failures into a one-line
 * message and an exit code: usage and key problems exit 2 with no stack trace (set ANTOM_AUTH_DEBUG=1 to see one
 * for unexpected errors).
 */
import { KeyConfigurationError } from '../antom/keys';
import { ExitCode, UsageError, type CliCommand, type CliIo } from './command';
import { commands as registeredCommands } from './commands';

function topUsage(commands: Readonly<Record<string, CliCommand>>): string {
  const width = Math.max(...Object.keys(commands).map((name) => name.length));
  const lines = Object.entries(commands).map(([name, command]) => `  ${name.padEnd(width)}  ${command.summary}`);
  return `Usage: antom-auth <command> [options]\n\nCommands:\n${lines.join('\n')}\n\nRun 'antom-auth <command> --help' for a command's options.`;
}

export async function main(
  argv: readonly string[],
  io: CliIo,
  commands: Readonly<Record<string, CliCommand>> = registeredCommands,
): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '-h' || name === '--help' || name === 'help') {
    io.stdout.write(`${topUsage(commands)}\n`);
    return ExitCode.ok;
  }
  if (name === undefined) {
    io.stderr.write(`antom-auth: missing command\n\n${topUsage(commands)}\n`);
    return ExitCode.usage;
  }
  const command = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (!command) {
    io.stderr.write(`antom-auth: unknown command '${name}'\n\n${topUsage(commands)}\n`);
    return ExitCode.usage;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`antom-auth ${name}: ${err.message}\n\n${command.usage}\n`);
      return ExitCode.usage;
    }
    if (err instanceof KeyConfigurationError) {
      io.stderr.write(`antom-auth ${name}: ${err.message}\n`);
      return ExitCode.usage;
    }
    const message = err instanceof Error ? err.message : String(err);
    io.stderr.write(`antom-auth ${name}: unexpected error: ${message}\n`);
    if (process.env.ANTOM_AUTH_DEBUG === '1' && err instanceof Error && err.stack) io.stderr.write(`${err.stack}\n`);
    return ExitCode.failure;
  }
}
