// Deterministic names: the same run, step or workspace always gets the same id, which is what makes
// retried writes idempotent and lets a second `mmada run --name X` attach to the first.

/** Temporal workflow id of a run. */
export function workflowIdOf(runId: string): string {
  return `mmada-run-${runId}`;
}

/** An execution: one step of one run (plan ids may carry a matrix suffix: `train[kl=0.01]`). */
export function executionIdOf(runId: string, stepId: string): string {
  return `${runId}/${stepId}`;
}

/** Temporal task queue of a step queue named in a spec (`queue: gpu`), for compute-bound steps
 *  (`cores` >= 1): a worker process runs one of them at a time. The workspace's id is part of the
 *  name: workspaces that share one Temporal (a cluster, or one machine) never run each other's
 *  steps, whatever their spec queues are called. */
export function stepQueueName(workspaceId: string, queue: string): string {
  return `mmada-${workspaceId}-${queue}`;
}

/** The same queue for light steps (`cores: 0`, e.g. a shell command): many run at once per worker. */
export function lightQueueName(workspaceId: string, queue: string): string {
  return `${stepQueueName(workspaceId, queue)}.light`;
}

/** The task queue a planned step runs on: its workspace's queue, compute or light side. */
export function taskQueueOf(workspaceId: string, step: { queue: string; cores: number }): string {
  return step.cores > 0 ? stepQueueName(workspaceId, step.queue) : lightQueueName(workspaceId, step.queue);
}

/** Temporal task queue of a workspace's database owner (workflows and database activities). */
export function dbQueueName(workspaceId: string): string {
  return `mmada-db-${workspaceId}`;
}

/** The workspace a database queue belongs to (runs started before inputs named their workspace). */
export function workspaceOfDbQueue(dbQueue: string): string {
  return dbQueue.replace(/^mmada-db-/, "");
}

/** Activity id of a step's work in the Temporal history, so the history names the step. */
export function stepActivityId(stepId: string): string {
  return `step:${stepId}`;
}

/** A file-name-safe form of an id (logs, scratch folders). */
export function fileSafe(id: string): string {
  return id.replace(/[^\w.-]+/g, "_");
}

/** Where a step's log lives in the workspace (and in its bucket): `logs/<run>/<step>.log`. */
export function stepLogName(runId: string, stepId: string): string {
  return `logs/${runId}/${fileSafe(stepId)}.log`;
}
