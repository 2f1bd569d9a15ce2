/**
 * Authorizations by state for the metrics gauges, counted in Temporal visibility by the typed search attribute
 * (AntomAuthorizationState). One count per state (visibility's GROUP BY only supports ExecutionStatus) plus one for
 * the tokens in their lead window without a refresh: fourteen counts per round. createServiceMetrics runs at most one
 * round per AUTHORIZATION_COUNT_CACHE_MS (30 s) whatever the scrape rate.
 *
 * Only running executions are counted: every continue-as-new closes a run that keeps its last search attributes
 * (an ACTIVE authorization leaves a closed ACTIVE run behind each cycle), so without `ExecutionStatus = 'Running'`
 * closed runs inflated ACTIVE. A terminal state is published by a run that then completes, so terminal states count
 * only the few runs still finishing; their totals are not a gauge's job.
 */
import type { WorkflowClient } from '@temporalio/client';
import { AUTHORIZATION_STATES, SEARCH_ATTRIBUTES, WORKFLOW_TYPE } from '../workflows/definitions';
import { DEFAULT_POLICY } from '../workflows/policy';
import { TOKENS_IN_LEAD_WINDOW_WITHOUT_REFRESH, type AuthorizationCounts } from '../metrics';

/** Every count of a round starts with this: our workflow type, running executions only. */
export const RUNNING_AUTHORIZATIONS = `WorkflowType = '${WORKFLOW_TYPE}' AND ExecutionStatus = 'Running'`;

/** The count query for one state. */
export function stateCountQuery(state: string): string {
  return `${RUNNING_AUTHORIZATIONS} AND ${SEARCH_ATTRIBUTES.state.name} = '${state}'`;
}

/**
 * Running ACTIVE or NEEDS_ATTENTION authorizations whose access token expires before `now + leadMs` and that have no
 * refresh scheduled (AntomNextRefreshAt unset). Healthy ones always have a refresh planned before the lead window
 * opens; REAUTH_REQUIRED (waiting for the customer to relink) is excluded on purpose: it is expected, not an incident.
 */
export function leadWindowWithoutRefreshQuery(now: Date, leadMs: number): string {
  const horizon = new Date(now.getTime() + leadMs).toISOString();
  return (
    `${RUNNING_AUTHORIZATIONS} AND ${SEARCH_ATTRIBUTES.state.name} IN ('ACTIVE', 'NEEDS_ATTENTION')` +
    ` AND ${SEARCH_ATTRIBUTES.accessTokenExpiry.name} < '${horizon}' AND ${SEARCH_ATTRIBUTES.nextRefreshAt.name} IS NULL`
  );
}

export interface AuthorizationCounterOptions {
  /** The refresh lead window; default the workflow's DEFAULT_POLICY.refreshLeadMs (10 days). */
  leadMs?: number;
  now?: () => Date;
}

export function authorizationCounter(
  workflowClient: Pick<WorkflowClient, 'count'>,
  options: AuthorizationCounterOptions = {},
): () => Promise<AuthorizationCounts> {
  const leadMs = options.leadMs ?? DEFAULT_POLICY.refreshLeadMs;
  const now = options.now ?? (() => new Date());
  return async () => {
    const [leadWindow, ...counts] = await Promise.all([
      workflowClient.count(leadWindowWithoutRefreshQuery(now(), leadMs)),
      ...AUTHORIZATION_STATES.map((state) => workflowClient.count(stateCountQuery(state))),
    ]);
    return {
      ...Object.fromEntries(AUTHORIZATION_STATES.map((state, i) => [state, counts[i]!.count])),
      [TOKENS_IN_LEAD_WINDOW_WITHOUT_REFRESH]: leadWindow!.count,
    };
  };
}
