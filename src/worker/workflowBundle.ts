/**
 * Production prebundling: the workflow code is bundled once at build time and the worker loads the file
 * (WORKFLOW_BUNDLE_PATH), so a start does not run webpack and the code that runs is pinned. The failure converter
 * must be compiled into the bundle, because workflow code encodes failures inside the sandbox, and so must the
 * interceptors that refuse unencoded signal/update payloads (a worker ignores interceptor modules given at start when
 * it runs a prebundle: rebuild older bundles).
 */
import { writeFile } from 'node:fs/promises';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { FAILURE_CONVERTER_PATH } from '../codec/dataConverter';
import { UNENCODED_PAYLOAD_INTERCEPTORS_PATH } from '../codec/unencodedPayloads';

/** The module exporting every workflow (what the bundle is built from). */
export const WORKFLOWS_PATH: string = require.resolve('../workflows');

/**
 * The production workflow bundle's code, exactly what a prebundled worker runs (with the failure converter and the
 * unencoded-payload interceptors compiled in). Also what the replay corpus (test/replay) is replayed against.
 */
export async function bundleProductionWorkflowCode(workflowsPath: string = WORKFLOWS_PATH): Promise<string> {
  const { code } = await bundleWorkflowCode({
    workflowsPath,
    failureConverterPath: FAILURE_CONVERTER_PATH,
    workflowInterceptorModules: [UNENCODED_PAYLOAD_INTERCEPTORS_PATH],
    logger: new DefaultLogger('WARN'),
  });
  return code;
}

export async function buildWorkflowBundle(outPath: string): Promise<{ path: string; bytes: number }> {
  const code = await bundleProductionWorkflowCode();
  await writeFile(outPath, code);
  return { path: outPath, bytes: Buffer.byteLength(code) };
}
