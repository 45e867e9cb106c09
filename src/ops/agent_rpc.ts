/**
 * The control socket's protocol: JSON-RPC 2.0, one request per line, one
 * answer per line. This module turns a request line into the answer line
 * (validating the request and its params); `agent_socket.ts` carries lines.
 *
 * Methods: `run {stages?, force?}` → `"accepted"`; `cancel` →
 * `"accepted"`; `status` → `{state, running, pending, pipeline_error}`;
 * `stages` → `{stages}`; `explain {stage}` → the stage's status report;
 * `events_since {version}` → `{version, events, truncated}`.
 *
 * @module
 */
import { PivotError } from "../util/errors.ts";

/** JSON-RPC error codes used by the control socket. */
export const RPC_ERROR = {
  parse: -32700,
  invalidRequest: -32600,
  methodNotFound: -32601,
  invalidParams: -32602,
  internal: -32603,
  /** A pivot error while answering (a damaged state database, …). */
  failed: -32000,
  /** A stage that the pipeline does not have (or no pipeline loaded). */
  unknownStage: -32001,
} as const;

/** An error answered with its own code. */
export class AgentError extends Error {
  /** The JSON-RPC error code. */
  readonly code: number;

  /** An error answered as `{code, message}`. */
  constructor(code: number, message: string) {
    super(message);
    this.name = "AgentError";
    this.code = code;
  }
}

/** What the methods do; the protocol has checked their params. */
export interface AgentMethods {
  /** Queues a run of `stages` (null: the watch's targets). */
  run(stages: readonly string[] | null, force: boolean): Promise<"accepted">;
  /** Stops the current run and drops queued ones. */
  cancel(): "accepted";
  /** Whether a run is going on, and its running and pending stages. */
  status(): unknown;
  /** The stages of the pipeline in use. */
  stages(): unknown;
  /** Why `stage` would run, or that it is up to date. */
  explain(stage: string): Promise<unknown>;
  /** The events after `version`. */
  eventsSince(version: number): unknown;
}

type Params = Readonly<Record<string, unknown>>;

/**
 * The answer line (without its newline) to one request line, or `null` for
 * a notification (a request without `id`), which gets none.
 */
export async function answerRpc(line: string, methods: AgentMethods): Promise<string | null> {
  let request: unknown;
  try {
    request = JSON.parse(line);
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
    return failure(null, RPC_ERROR.parse, `parse error: ${error.message}`);
  }
  if (!isObject(request)) {
    const what = Array.isArray(request) ? "batch requests are not supported" : "not an object";
    return failure(null, RPC_ERROR.invalidRequest, `invalid request: ${what}`);
  }
  const id = request.id;
  const validId = id === undefined || id === null || typeof id === "string" ||
    (typeof id === "number" && Number.isFinite(id));
  if (request.jsonrpc !== "2.0" || typeof request.method !== "string" || !validId) {
    const problem = request.jsonrpc !== "2.0"
      ? "'jsonrpc' must be \"2.0\""
      : typeof request.method !== "string"
      ? "'method' must be a string"
      : "'id' must be a string, a number or null";
    return failure(
      validId ? id ?? null : null,
      RPC_ERROR.invalidRequest,
      `invalid request: ${problem}`,
    );
  }
  const params = request.params ?? {};
  let result: unknown;
  try {
    if (!isObject(params)) {
      throw new AgentError(RPC_ERROR.invalidParams, "invalid params: expected an object");
    }
    result = await call(request.method, params, methods);
  } catch (error) {
    if (id === undefined) return null;
    if (error instanceof AgentError) return failure(id, error.code, error.message);
    if (error instanceof PivotError) return failure(id, RPC_ERROR.failed, error.message);
    return failure(id, RPC_ERROR.internal, `internal error: ${(error as Error).message}`);
  }
  if (id === undefined) return null;
  return JSON.stringify({ jsonrpc: "2.0", id, result });
}

/** Calls `method` with its checked params. */
async function call(method: string, params: Params, methods: AgentMethods): Promise<unknown> {
  switch (method) {
    case "run": {
      allowOnly(params, ["stages", "force"]);
      const { stages, force = false } = params;
      if (
        stages !== undefined &&
        !(Array.isArray(stages) && stages.every((stage) => typeof stage === "string"))
      ) {
        throw new AgentError(
          RPC_ERROR.invalidParams,
          "invalid params: 'stages' must be a list of stage names",
        );
      }
      if (typeof force !== "boolean") {
        throw new AgentError(
          RPC_ERROR.invalidParams,
          "invalid params: 'force' must be true or false",
        );
      }
      return await methods.run(stages === undefined ? null : stages as string[], force);
    }
    case "cancel":
      allowOnly(params, []);
      return methods.cancel();
    case "status":
      allowOnly(params, []);
      return methods.status();
    case "stages":
      allowOnly(params, []);
      return methods.stages();
    case "explain": {
      allowOnly(params, ["stage"]);
      if (typeof params.stage !== "string") {
        throw new AgentError(
          RPC_ERROR.invalidParams,
          "invalid params: 'stage' must be a stage name",
        );
      }
      return await methods.explain(params.stage);
    }
    case "events_since": {
      allowOnly(params, ["version"]);
      const { version = 0 } = params;
      if (typeof version !== "number" || !Number.isInteger(version) || version < 0) {
        throw new AgentError(
          RPC_ERROR.invalidParams,
          "invalid params: 'version' must be a whole number of at least 0",
        );
      }
      return methods.eventsSince(version);
    }
    default:
      throw new AgentError(
        RPC_ERROR.methodNotFound,
        `unknown method '${method}': expected run, cancel, status, stages, explain or events_since`,
      );
  }
}

/** @throws {AgentError} for a param not in `names` */
function allowOnly(params: Params, names: readonly string[]): void {
  const extra = Object.keys(params).find((key) => !names.includes(key));
  if (extra === undefined) return;
  const expected = names.length === 0 ? "it takes none" : `expected ${names.join(", ")}`;
  throw new AgentError(
    RPC_ERROR.invalidParams,
    `invalid params: unknown param '${extra}' (${expected})`,
  );
}

function failure(id: unknown, code: number, message: string): string {
  return JSON.stringify({ jsonrpc: "2.0", id, error: { code, message } });
}

function isObject(value: unknown): value is Params {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
