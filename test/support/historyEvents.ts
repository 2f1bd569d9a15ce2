/**
 * An estimate of the events the Temporal server would write to a run's history, derived from what the environment
 * observes (activations, commands, activity outcomes). Rules, mirroring the server:
 *  - a run opens with WorkflowExecutionStarted;
 *  - every workflow task (one non-query activation) adds WorkflowTaskScheduled/Started/Completed, except a
 *    speculative task that only carried rejected updates, which leaves no trace;
 *  - each command adds its event (ActivityTaskScheduled, TimerStarted, TimerCanceled, UpsertWorkflowSearchAttributes,
 *    WorkflowPropertiesModified, MarkerRecorded, ActivityTaskCancelRequested, close events…);
 *  - an activity adds ActivityTaskStarted plus one closing event (Completed/Failed/TimedOut/Canceled) once, for the
 *    final attempt: retries are not written to history;
 *  - incoming events: WorkflowExecutionSignaled, WorkflowExecutionUpdateAccepted/Completed, TimerFired,
 *    WorkflowExecutionCancelRequested, WorkflowExecutionTerminated.
 * Queries write nothing.
 */
export const HistoryEventType = {
  WorkflowExecutionStarted: 'WorkflowExecutionStarted',
  WorkflowExecutionCompleted: 'WorkflowExecutionCompleted',
  WorkflowExecutionFailed: 'WorkflowExecutionFailed',
  WorkflowExecutionCanceled: 'WorkflowExecutionCanceled',
  WorkflowExecutionTerminated: 'WorkflowExecutionTerminated',
  WorkflowExecutionContinuedAsNew: 'WorkflowExecutionContinuedAsNew',
  WorkflowExecutionCancelRequested: 'WorkflowExecutionCancelRequested',
  WorkflowExecutionSignaled: 'WorkflowExecutionSignaled',
  WorkflowExecutionUpdateAccepted: 'WorkflowExecutionUpdateAccepted',
  WorkflowExecutionUpdateCompleted: 'WorkflowExecutionUpdateCompleted',
  WorkflowTaskScheduled: 'WorkflowTaskScheduled',
  WorkflowTaskStarted: 'WorkflowTaskStarted',
  WorkflowTaskCompleted: 'WorkflowTaskCompleted',
  WorkflowTaskFailed: 'WorkflowTaskFailed',
  ActivityTaskScheduled: 'ActivityTaskScheduled',
  ActivityTaskStarted: 'ActivityTaskStarted',
  ActivityTaskCompleted: 'ActivityTaskCompleted',
  ActivityTaskFailed: 'ActivityTaskFailed',
  ActivityTaskTimedOut: 'ActivityTaskTimedOut',
  ActivityTaskCancelRequested: 'ActivityTaskCancelRequested',
  ActivityTaskCanceled: 'ActivityTaskCanceled',
  TimerStarted: 'TimerStarted',
  TimerFired: 'TimerFired',
  TimerCanceled: 'TimerCanceled',
  UpsertWorkflowSearchAttributes: 'UpsertWorkflowSearchAttributes',
  WorkflowPropertiesModified: 'WorkflowPropertiesModified',
  MarkerRecorded: 'MarkerRecorded',
} as const;
export type HistoryEventType = (typeof HistoryEventType)[keyof typeof HistoryEventType];

export interface HistoryEvent {
  /** 1-based, as in Temporal history. */
  eventId: number;
  type: HistoryEventType;
  /** Virtual time of the event (ms since epoch). */
  timeMs: number;
  /** Short human-readable detail (timer seq, activity type, signal name…), never payload contents. */
  detail?: string;
}

export class HistoryEventLog {
  readonly events: HistoryEvent[] = [];

  add(type: HistoryEventType, timeMs: number, detail?: string): void {
    this.events.push({ eventId: this.events.length + 1, type, timeMs, ...(detail === undefined ? {} : { detail }) });
  }

  addWorkflowTask(timeMs: number): void {
    this.add(HistoryEventType.WorkflowTaskScheduled, timeMs);
    this.add(HistoryEventType.WorkflowTaskStarted, timeMs);
    this.add(HistoryEventType.WorkflowTaskCompleted, timeMs);
  }

  get length(): number {
    return this.events.length;
  }

  counts(): Partial<Record<HistoryEventType, number>> {
    const counts: Partial<Record<HistoryEventType, number>> = {};
    for (const event of this.events) counts[event.type] = (counts[event.type] ?? 0) + 1;
    return counts;
  }
}
