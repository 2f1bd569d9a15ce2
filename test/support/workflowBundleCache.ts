/**
 * Bundling workflows with webpack costs seconds, so each workflows path is bundled once per process and the result is
 * shared by every environment (offline or time-skipping server) created in that test file.
 */
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';

const bundles = new Map<string, Promise<WorkflowBundleWithSourceMap>>();

export function bundleWorkflowsOnce(workflowsPath: string): Promise<WorkflowBundleWithSourceMap> {
  let bundle = bundles.get(workflowsPath);
  if (bundle === undefined) {
    // WARN keeps webpack's per-bundle info lines out of test output.
    bundle = bundleWorkflowCode({ workflowsPath, logger: new DefaultLogger('WARN') });
    // A failed bundle must not poison later attempts (e.g. after the workflow file is fixed in watch mode).
    bundle.catch(() => bundles.delete(workflowsPath));
    bundles.set(workflowsPath, bundle);
  }
  return bundle;
}
