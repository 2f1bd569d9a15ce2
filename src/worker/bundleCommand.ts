/**
 * `antom-auth bundle <out.js>`: prebundles the workflow code for production (WORKFLOW_BUNDLE_PATH). The same as
 * `tsx src/worker.ts --bundle <out.js>`, for installs that only have the binary.
 */
import { ExitCode, UsageError, type CliCommand } from '../cli/command';
import { buildWorkflowBundle } from './workflowBundle';

export const bundleCommand: CliCommand = {
  summary: 'prebundle the workflow code for production workers (WORKFLOW_BUNDLE_PATH)',
  usage: 'usage: antom-auth bundle <out.js>\n\nWrites the workflow bundle (with the encrypting failure converter) to <out.js>;\nstart workers with WORKFLOW_BUNDLE_PATH=<out.js>.\n',
  async run(args, io) {
    if (args.length !== 1 || args[0]!.startsWith('-')) throw new UsageError('bundle takes exactly one argument: the output file');
    const { path, bytes } = await buildWorkflowBundle(args[0]!);
    io.stdout.write(`workflow bundle written to ${path} (${bytes} bytes); set WORKFLOW_BUNDLE_PATH=${path}\n`);
    return ExitCode.ok;
  },
};
