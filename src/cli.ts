/**
 * Entry point of the `antom-auth` command (bin/antom-auth.js, `npm run sandbox`). Only wires the process in and out;
 * dispatching lives in cli/main.ts and each subcommand in its own module (see cli/commands.ts).
 */
import { main } from './cli/main';

main(process.argv.slice(2), { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr }).then(
  (code) => {
    // exitCode rather than exit(): lets buffered stdout drain when it is a pipe.
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`antom-auth: unexpected error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
