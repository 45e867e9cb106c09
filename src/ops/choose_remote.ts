import { type Config, configString } from "../project/config.ts";
import { checkEndpoint, parseRemoteUrl } from "../remote/remote_url.ts";
import type { RemoteSpec } from "../remote/open_backend.ts";
import { closestMatch } from "../util/did_you_mean.ts";
import { PivotError } from "../util/errors.ts";

/** A remote's settings as read from the config (`url`, `endpoint`, `path_style`, …). */
export type RemoteSettings = Readonly<Record<string, unknown>>;

/** The remote a command uses, with its transfer settings. */
export interface ChosenRemote {
  /** Its name in the config. */
  readonly name: string;
  readonly spec: RemoteSpec;
  /** Parallel transfers: the remote's `jobs`, else `remote.jobs`. */
  readonly jobs: number;
  /** Retries of a failed request: `remote.retries`. */
  readonly retries: number;
  /** Delay before the first retry (ms), doubled for each next one: `remote.retry_delay`. */
  readonly retryDelayMs: number;
}

/** Region names: lowercase letters, digits and dashes. */
const REGION = /^[a-z0-9-]{2,40}$/;

/**
 * The {@linkcode RemoteSpec} of a remote's settings, checked beyond their
 * types: the URL parses (relative directories against `root`), the endpoint
 * is an http(s) URL, the region looks like one, and S3 settings are not
 * given to a directory remote.
 *
 * @throws {PivotError} naming the remote and the setting
 */
export function remoteSpecOf(name: string, settings: RemoteSettings, root: string): RemoteSpec {
  const url = String(settings.url);
  const fail = (error: unknown): never => {
    if (!(error instanceof PivotError)) throw error;
    throw new PivotError(`remote '${name}': ${error.message}`, { hint: error.hint });
  };
  let kind: "s3" | "directory" = "directory";
  try {
    kind = parseRemoteUrl(url, root).kind;
    if (typeof settings.endpoint === "string") checkEndpoint(settings.endpoint);
  } catch (error) {
    fail(error);
  }
  const region = settings.region;
  if (typeof region === "string" && !REGION.test(region)) {
    fail(new PivotError(`invalid region '${region}': expected a name such as us-east-1`));
  }
  const s3Only = ["endpoint", "region", "profile", "path_style"].filter((key) =>
    settings[key] !== undefined
  );
  if (kind === "directory" && s3Only.length > 0) {
    fail(
      new PivotError(
        `${s3Only.join(", ")} ${s3Only.length === 1 ? "applies" : "apply"} only to s3:// remotes`,
        {
          hint: `remove them: pivot config unset remotes.${name}.${s3Only[0]}`,
        },
      ),
    );
  }
  return {
    url,
    ...(typeof settings.endpoint === "string" ? { endpoint: settings.endpoint } : {}),
    ...(typeof region === "string" ? { region } : {}),
    ...(typeof settings.profile === "string" ? { profile: settings.profile } : {}),
    ...(typeof settings.path_style === "boolean" ? { pathStyle: settings.path_style } : {}),
  };
}

/** The configured remotes by name. */
export function configuredRemotes(config: Config): Readonly<Record<string, RemoteSettings>> {
  return (config.sections.remotes ?? {}) as Record<string, RemoteSettings>;
}

/** True when at least one remote is configured (`pivot pull` has somewhere to fetch from). */
export function hasRemote(config: Config): boolean {
  return Object.keys(configuredRemotes(config)).length > 0;
}

/**
 * The remote to use: `name` (`-r`), else `default_remote`, else the only one.
 *
 * @throws {PivotError} when there is none, several without a default, or no such remote
 */
export function chooseRemote(config: Config, root: string, name?: string): ChosenRemote {
  const remotes = configuredRemotes(config);
  const names = Object.keys(remotes).sort();
  if (names.length === 0) {
    throw new PivotError("no remote configured", {
      hint: "add one: pivot remote add NAME s3://bucket/prefix (or a directory path)",
    });
  }
  const fallback = configString(config, "default_remote");
  const chosen = name ?? fallback ?? (names.length === 1 ? names[0]! : undefined);
  if (chosen === undefined) {
    throw new PivotError(`several remotes and no default: ${names.join(", ")}`, {
      hint: "pass -r NAME, or set a default: pivot remote default NAME",
    });
  }
  const settings = remotes[chosen];
  if (settings === undefined) {
    const suggestion = closestMatch(chosen, names);
    throw new PivotError(
      `${name === undefined ? "default_remote names " : ""}unknown remote '${chosen}'${
        suggestion === undefined ? "" : ` (did you mean '${suggestion}'?)`
      }`,
      { hint: `configured remotes: ${names.join(", ")}` },
    );
  }
  const jobs = typeof settings.jobs === "number" ? settings.jobs : config.values["remote.jobs"];
  const retries = config.values["remote.retries"];
  const retryDelayMs = config.values["remote.retry_delay"];
  return {
    name: chosen,
    spec: remoteSpecOf(chosen, settings, root),
    jobs: typeof jobs === "number" ? jobs : 16,
    retries: typeof retries === "number" ? retries : 4,
    retryDelayMs: typeof retryDelayMs === "number" ? retryDelayMs : 250,
  };
}
