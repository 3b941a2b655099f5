// A small client for the operator API, used by the CLI.

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

export interface ApiClient {
  request<T = unknown>(method: string, path: string, body?: unknown): Promise<T>;
}

export function createApiClient(baseUrl: string, token: string | undefined): ApiClient {
  return {
    async request<T>(method: string, path: string, body?: unknown): Promise<T> {
      let response: Response;
      try {
        response = await fetch(new URL(path, baseUrl), {
          method,
          headers: {
            ...(token ? { authorization: `Bearer ${token}` } : {}),
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
      } catch (error) {
        throw new ApiError(0, 'UNREACHABLE', `cannot reach scrum4me-app at ${baseUrl}: ${(error as Error).message}`);
      }
      const text = await response.text();
      const json = text ? (JSON.parse(text) as unknown) : undefined;
      if (!response.ok) {
        const error = (json as { error?: { code?: string; message?: string; details?: unknown } } | undefined)?.error;
        throw new ApiError(response.status, error?.code ?? `HTTP_${response.status}`, error?.message ?? response.statusText, error?.details);
      }
      return json as T;
    },
  };
}
