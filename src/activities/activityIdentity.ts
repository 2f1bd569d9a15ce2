/**
 * Which workflow run and scheduled activity the current attempt belongs to. These activities only make sense inside
 * a workflow (the authState index and the journal are keyed by it); run standalone, they fail as a configuration
 * error rather than writing entries nobody can route.
 */
import { Context } from '@temporalio/activity';
import { configurationFailure } from './failureMapping';

export interface ActivityIdentity {
  workflowId: string;
  runId: string;
  activityId: string;
  attempt: number;
}

export function currentActivityIdentity(operation: string): ActivityIdentity {
  const info = Context.current().info;
  const execution = info.workflowExecution;
  if (execution === undefined) throw configurationFailure(operation, 'must run as an activity of the authorization workflow');
  return { workflowId: execution.workflowId, runId: execution.runId, activityId: info.activityId, attempt: info.attempt };
}
