/** Every way a scheduler can refuse its input, with a stable code callers can branch on. */
export type SchedulerErrorCode =
  | "unknown_scheduler"
  | "invalid_config"
  | "unsupported_config"
  | "invalid_steps"
  | "not_ready"
  | "invalid_timestep"
  | "schedule_finished"
  | "shape_mismatch"
  | "noise_required";

export class SchedulerError extends Error {
  override readonly name = "SchedulerError";
  constructor(
    readonly code: SchedulerErrorCode,
    message: string,
  ) {
    super(message);
  }
}
