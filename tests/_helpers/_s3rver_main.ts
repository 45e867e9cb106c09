/**
 * A local S3-compatible server for tests (s3rver on 127.0.0.1, a free port),
 * run as its own process by `s3_server.ts`: `deno run -A _s3rver_main.ts DIR BUCKET`.
 * Prints `{"port": N}` once listening and stops on SIGTERM.
 *
 * @module
 */
import S3rver from "s3rver";

const [directory, bucket] = Deno.args;
const server = new S3rver({
  address: "127.0.0.1",
  port: 0,
  silent: true,
  directory,
  // Requests signed with any secret key are accepted (the access key must be S3RVER).
  allowMismatchedSignatures: true,
  configureBuckets: [{ name: bucket, configs: [] }],
});
const { port } = await server.run();
Deno.stdout.writeSync(new TextEncoder().encode(`${JSON.stringify({ port })}\n`));
const stop = async () => {
  await server.close();
  Deno.exit(0);
};
Deno.addSignalListener("SIGTERM", stop);
Deno.addSignalListener("SIGINT", stop);
