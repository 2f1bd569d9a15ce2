// The workflow bundle's entry point: exports every workflow the worker hosts.
export { authorizationWorkflow } from './authorizationWorkflow';
