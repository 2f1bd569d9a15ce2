// Workflow bundle entry of the lifecycle benchmark: the product's workflows and the baseline side by side, so both
// run on one environment instance (same bundle, data converter and virtual clock).
export * from '../../src/workflows';
export { minimalRefreshCycle } from './minimalCycleWorkflow';
