// Tokens: users and their tokens (never a token itself, only its prefix); mint one (shown once) and revoke.
import type { TokenListItem } from '../../services/auth/list-tokens.ts';
import { Badge, CsrfField, FlashMessage, TableWrap, Time, type Flash } from './components.tsx';
import { Layout, type Viewer } from './layout.tsx';

export interface MintedToken {
  token: string;
  user: string;
  token_id: string;
}

export function TokensPage({ viewer, tokens, minted, flash }: { viewer: Viewer; tokens: TokenListItem[]; minted?: MintedToken; flash?: Flash }) {
  const users = [...new Set(tokens.map((t) => t.user))];
  return (
    <Layout title="Tokens" viewer={viewer} active="tokens">
      <div class="page-head">
        <h1>Tokens</h1>
        <p class="muted">Agents use a user's token; operators (and this console) an admin token. Only a hash of each token is stored.</p>
      </div>
      <FlashMessage flash={flash} />
      {minted ? (
        <div class="flash flash-notice minted" role="status">
          <p>
            New token for <strong>{minted.user}</strong> (id <span class="mono">{minted.token_id}</span>). Copy it now: it is shown only this once.
          </p>
          <label for="minted-token">Token</label>
          <input id="minted-token" class="mono" readOnly value={minted.token} size={60} />
        </div>
      ) : null}
      <section class="card" aria-labelledby="mint-title">
        <h2 id="mint-title">Mint a token</h2>
        <form method="post" action="/console/tokens" class="inline-fields">
          <CsrfField token={viewer.csrf} />
          <div class="field">
            <label for="mint-user">User</label>
            <input id="mint-user" name="user" required autocomplete="off" list="token-users" size={16} />
            <datalist id="token-users">
              {users.map((user) => (
                <option value={user} />
              ))}
            </datalist>
          </div>
          <div class="field">
            <label for="mint-name">Name (optional)</label>
            <input id="mint-name" name="name" autocomplete="off" size={20} />
          </div>
          <div class="field checkbox">
            <input id="mint-admin" name="admin" type="checkbox" value="on" />
            <label for="mint-admin">Admin (operator) token</label>
          </div>
          <button type="submit">Mint token</button>
        </form>
      </section>
      <h2>Users and their tokens</h2>
      <TableWrap label="Tokens">
        <table>
          <thead>
            <tr>
              <th scope="col">User</th>
              <th scope="col">Prefix</th>
              <th scope="col">Name</th>
              <th scope="col">Admin</th>
              <th scope="col">Created</th>
              <th scope="col">Last used</th>
              <th scope="col">State</th>
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {tokens.map((token) => (
              <tr class={token.revoked_at ? 'revoked' : undefined}>
                <th scope="row">{token.user}</th>
                <td>
                  <code>{token.prefix}…</code>
                </td>
                <td>{token.name ?? <span class="muted">–</span>}</td>
                <td>{token.admin ? 'admin' : 'agent'}</td>
                <td>
                  <Time at={token.created_at} />
                </td>
                <td>
                  <Time at={token.last_used_at} />
                </td>
                <td>{token.revoked_at ? <Badge value="revoked" label={`revoked ${token.revoked_at}`} /> : <Badge value="active" label="token" />}</td>
                <td>
                  {token.revoked_at ? null : (
                    <form method="post" action={`/console/tokens/${encodeURIComponent(token.token_id)}/revoke`} class="inline-form">
                      <CsrfField token={viewer.csrf} />
                      <button type="submit" class="button-danger" aria-label={`Revoke ${token.prefix}… of ${token.user}`}>
                        Revoke
                      </button>
                    </form>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableWrap>
    </Layout>
  );
}
