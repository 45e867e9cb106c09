import { GitRepo } from "../git/mod.ts";
import { type BlobFetcher, type Project, ProjectRevision, readOutputsAt } from "../project/mod.ts";
import type { Session } from "../session/mod.ts";
import type { ContentCache } from "../storage/mod.ts";
import { readFileOrNull } from "../util/fs.ts";
import type { SelectedOutput } from "./_select_outputs.ts";
import { remoteBlobFetcher } from "./remote_blob_fetcher.ts";

/** A version of the project that values are read from: the workspace or a git revision. */
export interface ProjectVersion {
  /** `workspace`, or the revision as given (`HEAD~1`). */
  readonly label: string;
  /** The revision, or `null` for the workspace. */
  readonly revision: ProjectRevision | null;
  /** The project (in the workspace). */
  readonly project: Project;
  /** Where content recorded by hash is looked for first. */
  readonly cache: ContentCache;
  /** Brings content the cache lacks from the default remote. */
  readonly fetchBlobs: BlobFetcher;
  /** Told about missing files and malformed locks. */
  readonly warn: (message: string) => void;
}

/** How reports name a version in JSON. */
export interface VersionInfo {
  /** `workspace`, or the revision as given. */
  readonly rev: string;
  /** Its full commit id, or `null` for the workspace. */
  readonly commit: string | null;
}

/** The label the workspace has. */
export const WORKSPACE = "workspace";

/**
 * Opens each of `revs` (`null` is the workspace) for the project, reading
 * the repository once.
 *
 * @throws {PivotError} when the project is not in git, or a revision is unknown
 */
export async function openVersions(
  session: Session,
  revs: readonly (string | null)[],
): Promise<ProjectVersion[]> {
  const { project, cache, warn } = session;
  const fetchBlobs = remoteBlobFetcher(session, {});
  let repo: GitRepo | undefined;
  const versions: ProjectVersion[] = [];
  for (const rev of revs) {
    if (rev === null) {
      versions.push({ label: WORKSPACE, revision: null, project, cache, fetchBlobs, warn });
      continue;
    }
    repo ??= await GitRepo.open(project.root);
    const revision = await ProjectRevision.open(project.root, rev, { warn, repo });
    if (revision.files().length === 0) {
      warn(`nothing of the project is committed in ${rev} (${revision.shortCommit})`);
    }
    versions.push({ label: rev, revision, project, cache, fetchBlobs, warn });
  }
  return versions;
}

/** The JSON form of `version`. */
export function versionInfo(version: ProjectVersion): VersionInfo {
  return { rev: version.label, commit: version.revision?.commit ?? null };
}

/** An output's content in one version. */
export interface VersionContent {
  readonly output: SelectedOutput;
  /** Project-relative path it has in that version. */
  readonly path: string;
  /** Its bytes, or `null` when it does not exist there. */
  readonly content: Uint8Array | null;
}

/**
 * Reads `outputs` as they are in `version`: workspace files, or (at a
 * revision) from the cache by their locked hash, else from git, else from
 * the default remote.
 *
 * @throws {PivotError} when a revision's content is found nowhere
 */
export async function readVersionOutputs(
  version: ProjectVersion,
  outputs: readonly SelectedOutput[],
): Promise<VersionContent[]> {
  const { revision, cache, fetchBlobs, warn } = version;
  if (revision === null) {
    return await Promise.all(outputs.map(async (output) => ({
      output,
      path: output.display,
      content: await readFileOrNull(output.path),
    })));
  }
  const read = await readOutputsAt(
    revision,
    outputs.map((output) => ({
      identity: output.identity,
      stage: output.stage.def,
      key: output.spec.key,
      path: output.path,
    })),
    { cache, fetchBlobs, warn },
  );
  return read.map((entry, i) => ({
    output: outputs[i]!,
    path: entry.path,
    content: entry.content,
  }));
}
