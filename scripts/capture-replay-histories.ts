/**
 * `npm run replay:capture [-- scenario …]`: regenerates the replay corpus in test/replay/histories/ from the current
 * workflow code on a private Temporal dev server (test/replay/capture.ts says how). Commit the result together with
 * the workflow change that needed it; docs/UPGRADING.md says when that is allowed.
 */
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { captureReplayHistories, SCENARIOS } from '../test/replay/capture';
import { HISTORIES_DIR } from '../test/replay/corpus';

async function main(args: readonly string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(`usage: npm run replay:capture [-- <scenario> …] [--out <dir>]\n\nscenarios: ${Object.keys(SCENARIOS).join(', ')}\n`);
    return 0;
  }
  let outDir = HISTORIES_DIR;
  const only: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--out') {
      const dir = args[++i];
      if (!dir) throw new Error('--out needs a directory');
      outDir = dir;
    } else {
      only.push(args[i]!);
    }
  }
  // The workflows' own warnings (e.g. "activity failed" in the fault scenarios) are expected here.
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  await captureReplayHistories({
    outDir,
    ...(only.length > 0 ? { only } : {}),
    log: (line) => process.stdout.write(`${line}\n`),
  });
  if (only.length > 0) process.stdout.write(`note: only ${only.join(', ')} captured; the manifest lists just those — run without arguments before committing\n`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`replay:capture failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
