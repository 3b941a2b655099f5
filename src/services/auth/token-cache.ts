// Remembers authenticated tokens so an API call does not look its token up
// again: one database round trip less on every call (BENCHMARKS.md). A
// revocation is announced on `scrum4me_tokens_changed` and every replica
// forgets the token at once. The cache is used only while this process is
// listening: on a lost connection it is emptied and bypassed until LISTEN is
// back, so a revocation can never be missed, only waited for by the TTL.
import { listenWithReconnect, type Listener } from '../../db/listener.ts';
import type { Logger } from '../../logger.ts';
import type { AuthContext } from './tokens.ts';

export const tokensChangedChannel = 'scrum4me_tokens_changed';

export interface TokenCache {
  /** the cached context of a token hash, or undefined (also whenever the cache is not trustworthy) */
  get(tokenHash: string): AuthContext | undefined;
  set(tokenHash: string, auth: AuthContext): void;
  /** forgets a token by id (the payload of a tokens-changed notification) */
  forget(tokenId: string): void;
  stop(): Promise<void>;
}

interface Entry {
  auth: AuthContext;
  expiresAt: number;
}

export interface TokenCacheOptions {
  /** also bounds how stale `last_used_at` gets: it is written on lookups */
  ttlMs?: number;
  maxEntries?: number;
}

/** The cache alone, not yet trusted (enable() once revocations are heard). */
export function createTokenCache(options: TokenCacheOptions = {}) {
  const ttlMs = options.ttlMs ?? 60_000;
  const maxEntries = options.maxEntries ?? 10_000;
  const entries = new Map<string, Entry>();
  let enabled = false;

  const cache = {
    get(tokenHash: string): AuthContext | undefined {
      if (!enabled) return undefined;
      const entry = entries.get(tokenHash);
      if (!entry) return undefined;
      if (entry.expiresAt <= Date.now()) {
        entries.delete(tokenHash);
        return undefined;
      }
      return entry.auth;
    },
    set(tokenHash: string, auth: AuthContext): void {
      if (!enabled) return;
      // Map keeps insertion order: the first key is the oldest entry
      if (entries.size >= maxEntries) entries.delete(entries.keys().next().value!);
      entries.set(tokenHash, { auth, expiresAt: Date.now() + ttlMs });
    },
    forget(tokenId: string): void {
      for (const [hash, entry] of entries) if (entry.auth.tokenId === tokenId) entries.delete(hash);
    },
    enable(): void {
      enabled = true;
    },
    disable(): void {
      enabled = false;
      entries.clear();
    },
  };
  return cache;
}

export async function startTokenCache(databaseUrl: string, log: Logger, options: TokenCacheOptions = {}): Promise<TokenCache> {
  const cache = createTokenCache(options);
  const listener: Listener = await listenWithReconnect({
    databaseUrl,
    channel: tokensChangedChannel,
    log,
    onNotification: (tokenId) => {
      if (tokenId) cache.forget(tokenId);
    },
    // revocations may be missed while the connection is down
    onLost: () => cache.disable(),
    onListening: () => cache.enable(),
  });
  return {
    get: cache.get,
    set: cache.set,
    forget: cache.forget,
    async stop() {
      cache.disable();
      await listener.stop();
    },
  };
}
