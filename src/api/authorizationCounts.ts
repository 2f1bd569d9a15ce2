/**
 * Authorizations by state for the metrics gauges, counted in Temporal visibility by the typed search attribute
 * (AntomAuthorizationState). One count per state: visibility's GROUP BY only supports ExecutionStatus. Thirteen
 * cheap counts per scrape (every 15–60 s) is nothing for the visibility store.
 */
import type { WorkflowClient } from '@temporalio/client';
import { AUTHORIZATION_STATES, SEARCH_ATTRIBUTES, WORKFLOW_TYPE } from '../workflows/definitions';

export function authorizationCounter(workflowClient: Pick<WorkflowClient, 'count'>): () => Promise<Record<string, number>> {
  const attribute = SEARCH_ATTRIBUTES.state.name;
  return async () => {
    const counts = await Promise.all(
      AUTHORIZATION_STATES.map((state) => workflowClient.count(`WorkflowType = '${WORKFLOW_TYPE}' AND ${attribute} = '${state}'`)),
    );
    return Object.fromEntries(AUTHORIZATION_STATES.map((state, i) => [state, counts[i]!.count]));
  };
}
