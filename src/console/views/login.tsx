// Sign-in: an admin token opens a session. The field is never filled back in.
import { FlashMessage, type Flash } from './components.tsx';
import { Layout } from './layout.tsx';

export function LoginPage({ csrf, next, flash }: { csrf: string; next: string; flash?: Flash }) {
  return (
    <Layout title="Sign in" viewer={null}>
      <section class="login card">
        <h1>Sign in to the console</h1>
        <p class="muted">Use an admin token (for example the value of SCRUM4ME_ADMIN_TOKEN, or one minted with <code>scrum4me token create --admin</code>).</p>
        <FlashMessage flash={flash} />
        <form method="post" action="/console/login" class="stack">
          <input type="hidden" name="_csrf" value={csrf} />
          <input type="hidden" name="next" value={next} />
          <label for="token">Token</label>
          <input id="token" name="token" type="password" autocomplete="current-password" required spellcheck={false} />
          <button type="submit">Sign in</button>
        </form>
      </section>
    </Layout>
  );
}
