// nock for GitHub's REST API, as the app's installation octokit calls it.
import nock from 'nock';
import { installationId } from './seed.ts';

export const github = () => nock('https://api.github.com');

/** The installation token; optional and repeatable, since Probot caches it across tests. */
export const tokenMock = () =>
  github()
    .post(`/app/installations/${installationId}/access_tokens`)
    .optionally()
    .times(20)
    .reply(201, { token: 'ghs_test', expires_at: '2099-01-01T00:00:00Z' });
