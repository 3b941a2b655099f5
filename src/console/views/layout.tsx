// The frame of every console page: one navigation bar, the same look everywhere.
import type { ComponentChildren, VNode } from 'preact';
import { renderToString } from 'preact-render-to-string';
import { assetUrls } from '../assets.ts';
import { CsrfField } from './components.tsx';

export type NavItem = 'products' | 'jobs' | 'tokens' | 'activity';

const nav: { id: NavItem; href: string; label: string }[] = [
  { id: 'products', href: '/console', label: 'Products' },
  { id: 'jobs', href: '/console/jobs', label: 'Jobs' },
  { id: 'tokens', href: '/console/tokens', label: 'Tokens' },
  { id: 'activity', href: '/console/activity', label: 'Activity' },
];

export interface Viewer {
  userName: string;
  csrf: string;
}

export interface LayoutProps {
  title: string;
  viewer: Viewer | null;
  active?: NavItem;
  /** the page's live stream: the script connects to it (reading works without) */
  live?: { url: string; after: string };
  children: ComponentChildren;
}

export function Layout({ title, viewer, active, live, children }: LayoutProps) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${title} · Scrum4Me console`}</title>
        <link rel="stylesheet" href={assetUrls.stylesheet} />
        <script src={assetUrls.script} defer />
      </head>
      <body>
        <a class="skip-link" href="#main">
          Skip to content
        </a>
        <header class="topbar">
          <a class="brand" href="/console">
            Scrum4Me <span>console</span>
          </a>
          {viewer ? (
            <nav aria-label="Console">
              <ul>
                {nav.map((item) => (
                  <li>
                    <a href={item.href} aria-current={item.id === active ? 'page' : undefined}>
                      {item.label}
                    </a>
                  </li>
                ))}
              </ul>
            </nav>
          ) : null}
          {viewer ? (
            <div class="viewer">
              {live ? (
                <span id="live-status" class="live-status" role="status" data-state="off">
                  Not live (reload to refresh)
                </span>
              ) : null}
              <span class="muted">
                signed in as <strong>{viewer.userName}</strong>
              </span>
              <form method="post" action="/console/logout">
                <CsrfField token={viewer.csrf} />
                <button type="submit" class="button-quiet">
                  Sign out
                </button>
              </form>
            </div>
          ) : null}
        </header>
        <main id="main" data-live-url={live?.url} data-live-after={live?.after}>
          {children}
        </main>
      </body>
    </html>
  );
}

export function renderDocument(page: VNode): string {
  return `<!doctype html>${renderToString(page)}`;
}
