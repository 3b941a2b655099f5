// Bearer tokens' statements (src/services/auth/tokens.ts). Why hand-written:
// authenticating runs on every API call, as one named statement on the app's
// pool (planned once per connection, no Prisma in the hot path); a revocation
// must be announced to every replica's token cache in the statement that
// revokes, so no replica keeps trusting a revoked token after the commit.

/** $1 the token's hash, $2 seconds after which last_used_at is stale. No row: unknown token. */
export const authenticateStatement = {
  name: 'authenticate',
  text: `SELECT t.id, t.admin, t.revoked_at IS NOT NULL AS revoked, t.token_hash, u.id AS user_id, u.name AS user_name,
            (t.last_used_at IS NULL OR t.last_used_at < now() - make_interval(secs => $2)) AS use_is_stale
       FROM api_tokens t JOIN users u ON u.id = t.user_id
      WHERE t.token_hash = $1`,
};

/** $1 the token id: written at most once a minute per token (authenticate's use_is_stale). */
export const touchTokenSql = 'UPDATE api_tokens SET last_used_at = now() WHERE id = $1';

/**
 * $1 the token id, $2 the channel of the token caches. Revoked and announced in
 * one statement: every replica's cache forgets it. No row: unknown or revoked already.
 */
export const revokeTokenSql = `
    WITH revoked AS (
      UPDATE api_tokens SET revoked_at = now() WHERE id = $1::text AND revoked_at IS NULL RETURNING id
    ), announced AS (
      SELECT pg_notify($2::text, id) FROM revoked
    )
    SELECT revoked.id, (SELECT count(*)::int FROM announced) AS announced FROM revoked`;
