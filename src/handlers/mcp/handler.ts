// MCP over Streamable HTTP at /mcp on the app's port, for agents whose tools
// speak the Model Context Protocol. Stateless: every POST is answered on its
// own (a fresh SDK Server and transport per request, JSON responses, no
// session id), so any replica can answer any call and nothing lives in
// process memory between calls. Bearer tokens as on the agent API.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import { CallToolRequestSchema, ErrorCode, ListToolsRequestSchema, McpError, type CallToolResult, type Tool } from '@modelcontextprotocol/sdk/types.js';
import { errorResponse, sendJson } from '../../http/error-response.ts';
import { readJsonBody } from '../../http/json-body.ts';
import { appVersion } from '../../openapi/app-info.ts';
import { inputJsonSchema } from '../../openapi/json-schema.ts';
import type { AppServices } from '../../services/app-services.ts';
import { authenticate, type AuthContext } from '../../services/auth/tokens.ts';
import { DomainError, validationFailed } from '../../services/errors.ts';
import type { AgentJobDeps } from '../agent-jobs.ts';
import { agentTools, type AgentTool } from './tools.ts';

export const mcpPath = '/mcp';

const instructions =
  'Scrum4Me hands backlog jobs to coding agents. Loop: wait_for_job → update_job_status running → do the work ' +
  '(task jobs: push the story branch with get_git_token, then verify_task_against_plan) → update_job_status done or failed → ' +
  'follow next_action. On JOB_CANCELLED discard your local changes and wait for the next job.';

type RawHandler = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

/** A Probot `addHandler` handler for `/mcp`; returns false for every other path. */
export function mcpHandler(services: AppServices, deps: AgentJobDeps): RawHandler {
  const tools = new Map(agentTools(services, deps).map((t) => [t.name, t]));
  // computed once: the schemas do not change while the process runs
  const listing: Tool[] = [...tools.values()].map((t) => ({
    name: t.name,
    title: t.title,
    description: t.description,
    inputSchema: inputJsonSchema(t.input) as Tool['inputSchema'],
  }));
  const serverInfo = { name: 'scrum4me-app', version: appVersion() };
  // Each Server would otherwise build its own Ajv (most of a call's CPU time);
  // it is only used for elicitation, which these tools never ask for.
  const jsonSchemaValidator = new AjvJsonSchemaValidator();

  return async function handleMcp(req, res) {
    const pathname = (req.url ?? '/').split('?', 1)[0];
    if (pathname !== mcpPath && pathname !== `${mcpPath}/`) return false;
    const started = process.hrtime.bigint();
    res.once('close', () => {
      const labels = { method: req.method ?? '', route: mcpPath, status: res.statusCode };
      services.metrics.httpRequests.inc(labels);
      services.metrics.httpDuration.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
    });
    const abort = new AbortController();
    res.once('close', () => {
      // the client went away before its answer (a long-poll claim must stop waiting)
      if (!res.writableFinished) abort.abort();
    });

    let auth: AuthContext;
    try {
      auth = await authenticate(services.pool, req.headers.authorization, services.tokenCache);
    } catch (error) {
      req.resume();
      const { status, body, headers } = errorResponse(error);
      if (status >= 500) services.log.error({ err: error }, 'MCP authentication failed');
      // RFC 6750: tell the client which scheme to use; invalid_token only when one was sent
      const challenge = req.headers.authorization ? 'Bearer realm="scrum4me", error="invalid_token"' : 'Bearer realm="scrum4me"';
      sendJson(res, status, body, status === 401 ? { 'www-authenticate': challenge } : headers);
      return true;
    }
    if (req.method !== 'POST') {
      // stateless: no server-to-client stream (GET) and no session to end (DELETE)
      req.resume();
      sendJson(res, 405, rpcError(-32000, `method ${req.method} not allowed: this MCP endpoint is stateless, send every message with POST`), { allow: 'POST' });
      return true;
    }
    let message: unknown;
    try {
      message = await readJsonBody(req, services.config.maxBodyBytes);
      if (message === undefined) throw validationFailed('the request body is empty: send a JSON-RPC message');
    } catch (error) {
      const tooLarge = error instanceof DomainError && error.code === 'PAYLOAD_TOO_LARGE';
      if (tooLarge) res.setHeader('connection', 'close');
      sendJson(res, tooLarge ? 413 : 400, rpcError(tooLarge ? -32600 : -32700, (error as Error).message));
      return true;
    }

    const server = new Server(serverInfo, { capabilities: { tools: {} }, instructions, jsonSchemaValidator });
    server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: listing }));
    server.setRequestHandler(CallToolRequestSchema, async (request) => {
      const t = tools.get(request.params.name as AgentTool['name']);
      if (!t) throw new McpError(ErrorCode.InvalidParams, `unknown tool ${request.params.name}`);
      return callTool(services, t, { auth, signal: abort.signal }, request.params.arguments);
    });
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.once('close', () => {
      void server.close();
    });
    try {
      await server.connect(transport);
      await transport.handleRequest(req, res, message);
    } catch (error) {
      services.log.error({ err: error }, 'MCP request failed');
      if (!res.headersSent) sendJson(res, 500, rpcError(-32603, 'internal error'));
      else res.end();
    }
    return true;
  };
}

function rpcError(code: number, message: string) {
  return { jsonrpc: '2.0', error: { code, message }, id: null };
}

/**
 * Runs one tool: arguments through the tool's zod schema, then the service.
 * Every failure is a tool result (isError) whose text starts with the SPEC
 * code and whose structured content is the HTTP error body.
 */
export async function callTool(
  services: Pick<AppServices, 'log' | 'metrics'>,
  t: AgentTool,
  ctx: { auth: AuthContext; signal: AbortSignal },
  args: unknown,
): Promise<CallToolResult> {
  const started = process.hrtime.bigint();
  let status = 200;
  try {
    const parsed = t.input.safeParse(args ?? {});
    if (!parsed.success) {
      const issues = parsed.error.issues.map((issue) => ({ path: issue.path.length > 0 ? issue.path.join('.') : 'arguments', message: issue.message }));
      const first = issues[0]!;
      throw validationFailed(`invalid arguments: ${first.path}: ${first.message}${issues.length > 1 ? ` (and ${issues.length - 1} more)` : ''}`, issues);
    }
    const answer = await t.run(ctx, parsed.data);
    return { content: [{ type: 'text', text: answer.text ?? JSON.stringify(answer.json) }], structuredContent: answer.json };
  } catch (error) {
    const { status: errorStatus, body, retryAfterSeconds } = errorResponse(error);
    status = errorStatus;
    if (errorStatus >= 500) services.log.error({ err: error, tool: t.name }, 'MCP tool failed');
    // a tool result has no Retry-After header: the 503 codes carry it as retry_after_seconds
    const retry = retryAfterSeconds === undefined ? {} : { retry_after_seconds: retryAfterSeconds };
    return { isError: true, content: [{ type: 'text', text: `${body.error.code}: ${body.error.message}` }], structuredContent: { ...body, ...retry } };
  } finally {
    // labelled like the HTTP route the tool mirrors: the status the same outcome gets over HTTP
    const labels = { method: 'CALL', route: `${mcpPath}/tools/${t.name}`, status };
    services.metrics.httpRequests.inc(labels);
    services.metrics.httpDuration.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
  }
}
