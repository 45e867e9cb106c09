/**
 * A remote in an S3 bucket (AWS or any S3-compatible server), through the
 * AWS SDK v3, loaded only when an S3 remote is used. Every request is made
 * once: retries belong to the transfer layer, which counts them.
 *
 * @module
 */
import {
  checkKey,
  type RemoteBackend,
  RemoteError,
  RemoteNotFoundError,
  type RemoteObject,
} from "./backend.ts";
import { Redactor } from "./redact.ts";
import { checkEndpoint } from "./remote_url.ts";

/** Per-remote settings of an S3 remote. */
export interface S3Settings {
  /** Endpoint of an S3-compatible server; `user:secret@` in it are credentials. */
  readonly endpoint?: string | undefined;
  /** Region. @default {the AWS chain's, else us-east-1 with an endpoint} */
  readonly region?: string | undefined;
  /** AWS profile whose credentials to use. @default {the AWS chain} */
  readonly profile?: string | undefined;
  /** Path-style requests (`host/bucket/key`). @default {false} */
  readonly pathStyle?: boolean | undefined;
  /** Objects larger than this are uploaded in parts. @default {64 MiB} */
  readonly multipartThreshold?: number | undefined;
}

/** Objects above this size are uploaded in parts. */
const MULTIPART_THRESHOLD = 64 * 1024 * 1024;
/** The smallest part size; larger objects get larger parts (at most 10,000 parts). */
const MIN_PART_SIZE = 8 * 1024 * 1024;
/** How long to wait for a connection, and for data on an open one. */
const CONNECT_TIMEOUT_MS = 10_000;
const IDLE_TIMEOUT_MS = 60_000;

/** Error names that mean "try again later". */
const RETRYABLE_NAMES: ReadonlySet<string> = new Set([
  "SlowDown",
  "ServiceUnavailable",
  "InternalError",
  "RequestTimeout",
  "RequestTimeoutException",
  "Throttling",
  "ThrottlingException",
  "TooManyRequestsException",
  "TimeoutError",
]);
/** Network error codes worth another attempt. */
const RETRYABLE_CODES: ReadonlySet<string> = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ERR_STREAM_PREMATURE_CLOSE",
]);

/** A logger that drops everything: the SDK otherwise writes warnings to the console. */
const SILENT = { debug() {}, info() {}, warn() {}, error() {}, trace() {} };

type S3Module = typeof import("@aws-sdk/client-s3");

/** The remote `s3://bucket/prefix`. */
export class S3Backend implements RemoteBackend {
  /** `s3://bucket/prefix/`, plus `?endpoint=…` (without credentials) for another server. */
  readonly indexKey: string;
  readonly #sdk: S3Module;
  readonly #client: InstanceType<S3Module["S3Client"]>;
  readonly #bucket: string;
  readonly #prefix: string;
  readonly #redactor: Redactor;
  readonly #multipartThreshold: number;

  private constructor(
    sdk: S3Module,
    bucket: string,
    prefix: string,
    settings: S3Settings,
  ) {
    const endpoint = settings.endpoint === undefined ? null : checkEndpoint(settings.endpoint);
    const username = endpoint === null ? "" : decodeURIComponent(endpoint.username);
    const password = endpoint === null ? "" : decodeURIComponent(endpoint.password);
    this.#redactor = new Redactor([
      password,
      endpoint?.password,
      username === "" ? undefined : `${username}:${password}`,
      Deno.env.get("AWS_SECRET_ACCESS_KEY"),
      Deno.env.get("AWS_SESSION_TOKEN"),
    ]);
    let endpointUrl: string | undefined;
    if (endpoint !== null) {
      endpoint.username = "";
      endpoint.password = "";
      endpointUrl = endpoint.href.replace(/\/$/, "");
    }
    this.indexKey = `s3://${bucket}/${prefix}${
      endpointUrl === undefined ? "" : `?endpoint=${endpointUrl}`
    }`;
    this.#sdk = sdk;
    this.#bucket = bucket;
    this.#prefix = prefix;
    this.#multipartThreshold = settings.multipartThreshold ?? MULTIPART_THRESHOLD;
    const region = settings.region ??
      (endpointUrl === undefined
        ? undefined
        : Deno.env.get("AWS_REGION") ?? Deno.env.get("AWS_DEFAULT_REGION") ?? "us-east-1");
    this.#client = new sdk.S3Client({
      ...(region === undefined ? {} : { region }),
      ...(endpointUrl === undefined ? {} : { endpoint: endpointUrl }),
      ...(settings.profile === undefined ? {} : { profile: settings.profile }),
      ...(username === ""
        ? {}
        : { credentials: { accessKeyId: username, secretAccessKey: password } }),
      forcePathStyle: settings.pathStyle ?? false,
      maxAttempts: 1,
      logger: SILENT,
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
      requestHandler: { connectionTimeout: CONNECT_TIMEOUT_MS, requestTimeout: IDLE_TIMEOUT_MS },
    });
  }

  /** Loads the AWS SDK and creates a client for `s3://bucket/prefix`. */
  static async open(bucket: string, prefix: string, settings: S3Settings): Promise<S3Backend> {
    const sdk = await import("@aws-sdk/client-s3");
    return new S3Backend(sdk, bucket, prefix, settings);
  }

  #key(key: string): string {
    return this.#prefix + checkKey(key);
  }

  /** The size of the object `key` (a HEAD request), or `null` when it does not exist. */
  async size(key: string): Promise<number | null> {
    try {
      const head = await this.#client.send(
        new this.#sdk.HeadObjectCommand({ Bucket: this.#bucket, Key: this.#key(key) }),
      );
      return head.ContentLength ?? 0;
    } catch (error) {
      const converted = this.#convert(error, key);
      if (converted instanceof RemoteNotFoundError) return null;
      throw converted;
    }
  }

  /** Every object under `prefix`, page by page. */
  async *list(prefix: string): AsyncIterable<RemoteObject> {
    const full = this.#key(prefix.replace(/\/$/, "")) + "/";
    let token: string | undefined;
    do {
      let page;
      try {
        page = await this.#client.send(
          new this.#sdk.ListObjectsV2Command({
            Bucket: this.#bucket,
            Prefix: full,
            ...(token === undefined ? {} : { ContinuationToken: token }),
          }),
        );
      } catch (error) {
        throw this.#convert(error, null);
      }
      for (const item of page.Contents ?? []) {
        if (item.Key === undefined || !item.Key.startsWith(this.#prefix)) continue;
        yield {
          key: item.Key.slice(this.#prefix.length),
          size: item.Size ?? 0,
          modifiedMs: item.LastModified?.getTime() ?? null,
        };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
  }

  /** The content of `key`, streamed; read errors arrive as {@linkcode RemoteError}s. */
  async get(key: string): Promise<ReadableStream<Uint8Array>> {
    let response;
    try {
      response = await this.#client.send(
        new this.#sdk.GetObjectCommand({ Bucket: this.#bucket, Key: this.#key(key) }),
      );
    } catch (error) {
      throw this.#convert(error, key);
    }
    if (response.Body === undefined) throw new RemoteError(`${key}: the response had no body`);
    const reader = response.Body.transformToWebStream().getReader();
    return new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        try {
          const { done, value } = await reader.read();
          if (done) controller.close();
          else controller.enqueue(value);
        } catch (error) {
          controller.error(this.#convert(error, key));
        }
      },
      cancel: (reason) => reader.cancel(reason),
    });
  }

  /** Uploads `body`: one PUT, or above the multipart threshold a multipart upload. */
  async put(key: string, body: ReadableStream<Uint8Array>, size: number): Promise<void> {
    const params = { Bucket: this.#bucket, Key: this.#key(key) };
    const { Readable } = await import("node:stream");
    const stream = Readable.fromWeb(body as import("node:stream/web").ReadableStream);
    try {
      if (size <= this.#multipartThreshold) {
        await this.#client.send(
          new this.#sdk.PutObjectCommand({ ...params, Body: stream, ContentLength: size }),
        );
        return;
      }
      const { Upload } = await import("@aws-sdk/lib-storage");
      const upload = new Upload({
        client: this.#client,
        params: { ...params, Body: stream },
        partSize: Math.max(MIN_PART_SIZE, Math.ceil(size / 9_000)),
        queueSize: 1,
        leavePartsOnError: false,
      });
      await upload.done();
    } catch (error) {
      stream.destroy();
      throw this.#convert(error, key);
    }
  }

  /** Removes the object `key` (S3 answers a missing one with success too). */
  async delete(key: string): Promise<void> {
    try {
      await this.#client.send(
        new this.#sdk.DeleteObjectCommand({ Bucket: this.#bucket, Key: this.#key(key) }),
      );
    } catch (error) {
      const converted = this.#convert(error, key);
      if (!(converted instanceof RemoteNotFoundError)) throw converted;
    }
  }

  /** Closes the client's connections. */
  close(): void {
    this.#client.destroy();
  }

  /** An SDK or network error as a {@linkcode RemoteError} without secrets. */
  #convert(error: unknown, key: string | null): RemoteError {
    if (error instanceof RemoteError) return error;
    const e = (error ?? {}) as {
      name?: string;
      message?: string;
      code?: string;
      $retryable?: unknown;
      $metadata?: { httpStatusCode?: number };
    };
    const status = e.$metadata?.httpStatusCode;
    const name = e.name ?? "Error";
    if (key !== null && (name === "NotFound" || name === "NoSuchKey")) {
      return new RemoteNotFoundError(key);
    }
    const where = key === null ? `s3://${this.#bucket}/${this.#prefix}` : key;
    // A response without a body (HEAD) leaves the SDK only the status.
    const unknown = name === "Unknown" || name === "UnknownError";
    const parts = unknown && status !== undefined
      ? [`HTTP ${status}`]
      : name === "Error"
      ? [e.message || "no message"]
      : [`${name}${status === undefined ? "" : ` (HTTP ${status})`}`, e.message || "no message"];
    const detail = this.#redactor.redact(parts.join(": "));
    if (name === "NoSuchBucket") {
      return new RemoteError(`the bucket '${this.#bucket}' does not exist`, {
        hint: "create it, or fix the remote's URL (pivot remote list)",
      });
    }
    if (name === "CredentialsProviderError" || /could not load credentials/i.test(detail)) {
      return new RemoteError(`no AWS credentials found for ${where}: ${detail}`, {
        hint:
          "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, configure ~/.aws/credentials, or choose a profile: pivot remote modify NAME profile PROFILE",
      });
    }
    if (/region is missing/i.test(detail)) {
      return new RemoteError(`no region set for s3://${this.#bucket}`, {
        hint: "set one: pivot remote modify NAME region us-east-1 (or set AWS_REGION)",
      });
    }
    if (
      status === 403 ||
      ["AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch"].includes(name)
    ) {
      return new RemoteError(`access denied to ${where}: ${detail}`, {
        hint: "check the AWS credentials (and profile) pivot uses for this remote",
      });
    }
    const retryable = e.$retryable !== undefined || RETRYABLE_NAMES.has(name) ||
      (e.code !== undefined && RETRYABLE_CODES.has(e.code)) || status === 429 ||
      (status !== undefined && status >= 500) ||
      /socket hang up|ECONNRESET|ECONNREFUSED|EPIPE|premature close|aborted/i.test(detail);
    return new RemoteError(`${where}: ${detail}`, { retryable });
  }
}
