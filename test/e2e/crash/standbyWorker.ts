/**
 * `npm run worker` on standby: loads src/worker.ts (on a loaded machine the slow part: tsx, the Temporal SDK, the
 * native runtime) ahead of time, prints `standby: loaded`, and runs the module's own main() — the very start-up
 * `node src/worker.ts` runs, configured from the environment — when a line arrives on stdin. A crash test starts it
 * before the SIGKILL so the replacement takes over in seconds, not in however long a cold start takes.
 */
import { main } from '../../../src/worker';

export const STANDBY_LOADED_MARKER = 'standby: loaded';

if (require.main === module) {
  process.stdout.write(`${STANDBY_LOADED_MARKER}\n`);
  process.stdin.once('data', () => {
    main([]).then(
      (code) => process.exit(code),
      (error: unknown) => {
        process.stderr.write(`standby worker: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}\n`);
        process.exit(1);
      },
    );
  });
}
