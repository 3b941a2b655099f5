// check_run.rerequested: the story's check is recomputed by the checks module
// (services/checks/rerequested.ts); registered in src/index.ts.
import type { Context } from 'probot';
import type { AppServices } from '../services/app-services.ts';
import { rerequestCheckRun } from '../services/checks/rerequested.ts';

export function checkRunRerequestedHandler(services: AppServices) {
  return async (context: Context<'check_run.rerequested'>): Promise<void> => {
    const { id, name } = context.payload.check_run;
    const outcome = await rerequestCheckRun(services, { id: context.id, event: 'check_run', action: 'rerequested' }, { id, name });
    if (outcome === 'not_ours') context.log.debug({ checkRunId: id }, 'rerequested check run is not one of ours');
  };
}
