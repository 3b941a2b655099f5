// A cascade step's progress, saved after each GitHub call it finished. Why
// hand-written: the save merges (`||`) instead of replacing, so a run that lost
// the step's lock (its connection dropped) and records an effect it did never
// erases what the run that took the step over recorded, and vice versa: a
// progress flag only ever goes from unset to set. `$3` replaces the whole
// object instead (a new decision, whose effects start from none).

/** $1 step id, $2 the patch (jsonb). */
export const mergeCascadeStepProgressSql = `
  UPDATE cascade_steps SET progress = progress || $2::jsonb, updated_at = now() WHERE id = $1::text`;

/** $1 step id, $2 the new progress, $3 action, $4 pull_number: a new decision, saved before its first effect. */
export const saveCascadeStepDecisionSql = `
  UPDATE cascade_steps SET progress = $2::jsonb, action = $3::"CascadeStepAction", pull_number = $4::int, updated_at = now() WHERE id = $1::text`;
