/**
 * Snakemake for the comparison: its version, installing the Debian package
 * when it is missing.
 *
 * @module
 */

async function version(): Promise<string | null> {
  try {
    const out = await new Deno.Command("snakemake", {
      args: ["--version"],
      stdout: "piped",
      stderr: "null",
    }).output();
    return out.success ? new TextDecoder().decode(out.stdout).trim() : null;
  } catch {
    return null;
  }
}

/** Snakemake's version, installing it with apt-get when missing; `null` with the reason logged. */
export async function ensureSnakemake(log: (line: string) => void): Promise<string | null> {
  const found = await version();
  if (found !== null) return found;
  log("snakemake is missing: installing it with apt-get (Debian package 'snakemake')…");
  try {
    await new Deno.Command("apt-get", { args: ["update", "-qq"], stdout: "null", stderr: "null" })
      .output();
    const install = await new Deno.Command("apt-get", {
      args: ["install", "-y", "-qq", "snakemake"],
      stdout: "null",
      stderr: "piped",
      env: { DEBIAN_FRONTEND: "noninteractive" },
    }).output();
    if (!install.success) {
      const why = new TextDecoder().decode(install.stderr).trim().split("\n").at(-1);
      log(`cannot install snakemake: ${why}`);
      return null;
    }
  } catch (error) {
    log(`cannot install snakemake: ${(error as Error).message}`);
    return null;
  }
  return await version();
}
