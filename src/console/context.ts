// What every console page handler gets, and what it answers.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../logger.ts';
import type { AppServices } from '../services/app-services.ts';
import type { EventHub } from '../services/events/event-hub.ts';
import type { Form } from './http.ts';
import type { BoardFeed } from './live/board-feed.ts';
import type { ConsoleSession } from './session/sessions.ts';
import type { Flash } from './views/components.tsx';
import type { Viewer } from './views/layout.tsx';

export interface ConsoleContext {
  req: IncomingMessage;
  res: ServerResponse;
  params: Record<string, string | undefined>;
  query: URLSearchParams;
  /** the posted form (empty for GET) */
  form: Form;
  session: ConsoleSession;
  viewer: Viewer;
  services: AppServices;
  hub: EventHub;
  feed: BoardFeed;
  log: Logger;
}

export type PageResult =
  | { status?: number; html: string; headers?: Record<string, string | string[]> }
  | { redirect: string; headers?: Record<string, string | string[]> }
  /** the handler wrote the response itself (the event stream) */
  | { handled: true };

export interface ConsoleRoute {
  method: 'GET' | 'POST';
  path: string;
  handle(ctx: ConsoleContext): Promise<PageResult>;
}

export const param = (ctx: ConsoleContext, name: string): string => ctx.params[name] ?? '';

/** A flash message carried across a redirect in the query (`?notice=…`), from a fixed set of texts. */
export function noticeFrom(query: URLSearchParams, texts: Record<string, string | ((q: URLSearchParams) => string)>): Flash | undefined {
  const key = query.get('notice');
  const text = key ? texts[key] : undefined;
  if (!text) return undefined;
  return { kind: 'notice', text: typeof text === 'string' ? text : text(query) };
}
