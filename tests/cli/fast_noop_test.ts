import assert from "node:assert/strict";
import { parseFastCommand, runFastNoop } from "../../src/cli/fast_noop.ts";
import { tempDir } from "../_helpers/files.ts";

/** What parseFastCommand returns for a recognised command line. */
interface Parsed {
  mode: "repro" | "run";
  targets: string[];
  all: boolean;
  quiet: boolean;
  explain: boolean;
  json: boolean;
  jobs: number | null;
  keepGoing: boolean;
}

/** The parse of a bare `repro`, with `changes` applied. */
function parsed(changes: Partial<Parsed> = {}): Parsed {
  return {
    mode: "repro",
    targets: [],
    all: false,
    quiet: false,
    explain: false,
    json: false,
    jobs: null,
    keepGoing: false,
    ...changes,
  };
}

Deno.test("parseFastCommand: bare repro and run with targets", () => {
  assert.deepEqual(parseFastCommand(["repro"]), parsed());
  assert.deepEqual(parseFastCommand(["repro", "train"]), parsed({ targets: ["train"] }));
  assert.deepEqual(
    parseFastCommand(["repro", "prep", "train:model", "sub/clean"]),
    parsed({ targets: ["prep", "train:model", "sub/clean"] }),
  );
  assert.deepEqual(
    parseFastCommand(["run", "train"]),
    parsed({ mode: "run", targets: ["train"] }),
  );
  assert.deepEqual(
    parseFastCommand(["run", "a", "b"]),
    parsed({ mode: "run", targets: ["a", "b"] }),
  );
});

Deno.test("parseFastCommand: each flag, short and long", () => {
  assert.deepEqual(parseFastCommand(["repro", "-q"]), parsed({ quiet: true }));
  assert.deepEqual(parseFastCommand(["repro", "--quiet"]), parsed({ quiet: true }));
  assert.deepEqual(parseFastCommand(["repro", "-a"]), parsed({ all: true }));
  assert.deepEqual(parseFastCommand(["repro", "--all"]), parsed({ all: true }));
  assert.deepEqual(parseFastCommand(["repro", "-e"]), parsed({ explain: true }));
  assert.deepEqual(parseFastCommand(["repro", "--explain"]), parsed({ explain: true }));
  // --keep-going changes nothing when nothing runs, but a run after a change keeps going.
  assert.deepEqual(parseFastCommand(["repro", "-k"]), parsed({ keepGoing: true }));
  assert.deepEqual(parseFastCommand(["repro", "--keep-going"]), parsed({ keepGoing: true }));
  assert.deepEqual(parseFastCommand(["repro", "--json"]), parsed({ json: true }));
});

Deno.test("parseFastCommand: a leading -q (global option) and repeated -q", () => {
  assert.deepEqual(parseFastCommand(["-q", "repro"]), parsed({ quiet: true }));
  assert.deepEqual(parseFastCommand(["--quiet", "repro"]), parsed({ quiet: true }));
  assert.deepEqual(parseFastCommand(["-q", "--quiet", "repro", "-q"]), parsed({ quiet: true }));
  assert.deepEqual(
    parseFastCommand(["-q", "run", "train"]),
    parsed({ mode: "run", targets: ["train"], quiet: true }),
  );
});

Deno.test("parseFastCommand: every --jobs form", () => {
  assert.deepEqual(parseFastCommand(["repro", "-j", "4"]), parsed({ jobs: 4 }));
  assert.deepEqual(parseFastCommand(["repro", "-j4"]), parsed({ jobs: 4 }));
  assert.deepEqual(parseFastCommand(["repro", "-j12"]), parsed({ jobs: 12 }));
  assert.deepEqual(parseFastCommand(["repro", "--jobs", "3"]), parsed({ jobs: 3 }));
  assert.deepEqual(parseFastCommand(["repro", "--jobs=16"]), parsed({ jobs: 16 }));
  assert.deepEqual(parseFastCommand(["repro", "-j", "1"]), parsed({ jobs: 1 }));
  // The value of -j is not a target.
  assert.deepEqual(
    parseFastCommand(["repro", "-j", "2", "train"]),
    parsed({ jobs: 2, targets: ["train"] }),
  );
  // The last one wins, as with the full command line.
  assert.deepEqual(parseFastCommand(["repro", "-j", "2", "--jobs=5"]), parsed({ jobs: 5 }));
});

Deno.test("parseFastCommand: targets and flags interleaved", () => {
  assert.deepEqual(
    parseFastCommand(["repro", "-q", "prep", "--all", "train", "-e", "--json", "report", "-j3"]),
    parsed({
      targets: ["prep", "train", "report"],
      quiet: true,
      all: true,
      explain: true,
      json: true,
      jobs: 3,
    }),
  );
  assert.deepEqual(
    parseFastCommand(["run", "--json", "a", "-k", "b", "--jobs", "2", "-a"]),
    parsed({ mode: "run", targets: ["a", "b"], json: true, all: true, jobs: 2, keepGoing: true }),
  );
});

Deno.test("parseFastCommand: options the fast path does not answer fall through (null)", () => {
  const rejected: string[][] = [
    ["repro", "-v"],
    ["-v", "repro"],
    ["repro", "--verbose"],
    ["repro", "--force"],
    ["repro", "-f"],
    ["repro", "--dry-run"],
    ["repro", "-n"],
    ["repro", "--no-commit"],
    ["repro", "--help"],
    ["repro", "-h"],
    ["--help", "repro"],
    ["repro", "--version"],
    // Combined short flags are left to the full parser.
    ["repro", "-qa"],
    ["repro", "-ae"],
    ["repro", "--unknown"],
  ];
  for (const args of rejected) assert.equal(parseFastCommand(args), null, args.join(" "));
});

Deno.test("parseFastCommand: bad --jobs values fall through (null)", () => {
  const rejected: string[][] = [
    ["repro", "-j", "0"],
    ["repro", "-j0"],
    ["repro", "--jobs=0"],
    ["repro", "-j", "x"],
    ["repro", "-jx"],
    ["repro", "-j", "-1"],
    ["repro", "-j", "1.5"],
    ["repro", "--jobs="],
    ["repro", "--jobs=two"],
    ["repro", "-j"],
    ["repro", "--jobs"],
    ["repro", "train", "--jobs"],
  ];
  for (const args of rejected) assert.equal(parseFastCommand(args), null, args.join(" "));
});

Deno.test("parseFastCommand: run needs targets; other commands are not answered", () => {
  const rejected: string[][] = [
    [],
    ["run"],
    ["run", "-q"],
    ["run", "--all"],
    ["-q", "run"],
    ["status"],
    ["status", "train"],
    ["verify"],
    ["commit"],
    ["history"],
    ["list"],
    ["--help"],
    ["-h"],
    ["--version"],
    ["-q"],
    ["Repro"],
    ["reproduce"],
  ];
  for (const args of rejected) assert.equal(parseFastCommand(args), null, args.join(" "));
});

/** An io that records what was printed, running in `cwd`. */
function capture(cwd: string) {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: {
      stdout: (text: string) => out.push(text),
      stderr: (text: string) => err.push(text),
      cwd,
      env: (_name: string) => undefined,
      isTerminal: () => false,
    },
    out,
    err,
  };
}

Deno.test("runFastNoop: null (and prints nothing) outside a project, in a project without a state db, and for unrecognised args", async () => {
  await using dir = await tempDir();
  const outside = capture(dir.path);
  assert.equal(runFastNoop(["repro"], outside.io), null);
  assert.deepEqual([outside.out, outside.err], [[], []]);

  await Deno.mkdir(`${dir.path}/.pivot`);
  const fresh = capture(dir.path);
  assert.equal(runFastNoop(["repro"], fresh.io), null);
  assert.deepEqual([fresh.out, fresh.err], [[], []]);
  // The fast path does not create the state db: that is the full command line's job.
  assert.deepEqual([...Deno.readDirSync(`${dir.path}/.pivot`)], []);

  const status = capture(dir.path);
  assert.equal(runFastNoop(["status"], status.io), null);
  assert.deepEqual([status.out, status.err], [[], []]);

  const missing = capture(`${dir.path}/does-not-exist`);
  assert.equal(runFastNoop(["repro"], missing.io), null);
  assert.deepEqual([missing.out, missing.err], [[], []]);
});

Deno.test("parseFastCommand agrees with commander on every option of repro and run", async (t) => {
  const { buildProgram } = await import("../../src/cli/run_cli.ts");
  const { flagNames, flagsOf, QUIET_FLAG } = await import(
    "../../src/cli/repro_flags.ts"
  );
  const silent = {
    stdout: () => {},
    stderr: () => {},
    cwd: "/",
    env: () => undefined,
    isTerminal: () => false,
  };
  const ctx = { ...silent, quiet: () => false, verbose: () => false, warn: () => {} };
  for (const mode of ["repro", "run"] as const) {
    const program = buildProgram(ctx);
    const command = program.commands.find((c) => c.name() === mode)!;
    const table = flagsOf(mode);
    await t.step(`${mode}: commander registers exactly the table's options`, () => {
      const registered = command.options.map((option) => option.flags);
      assert.deepEqual(registered.sort(), table.map((flag) => flag.flags).sort());
    });
    let seen: { targets: string[]; options: Record<string, unknown> } | null = null;
    command.action((...args: unknown[]) => {
      seen = { targets: args[0] as string[], options: args[1] as Record<string, unknown> };
    });
    for (const flag of [QUIET_FLAG, ...table]) {
      const { short, long, takesValue } = flagNames(flag);
      const forms = takesValue
        ? [[long, "3"], [`${long}=3`], ...(short === null ? [] : [[short, "3"], [`${short}3`]])]
        : [[long], ...(short === null ? [] : [[short]])];
      for (const form of forms) {
        const args = [mode, "train", ...form];
        await t.step(args.join(" "), async () => {
          seen = null;
          await program.parseAsync(args, { from: "user" });
          const expected = seen!;
          const global = program.opts() as { quiet?: boolean };
          const fast = parseFastCommand(args);
          if (fast === null) {
            assert.equal(flag.fast, "decline", `the fast path declined ${args.join(" ")}`);
            return;
          }
          assert.notEqual(flag.fast, "decline");
          assert.deepEqual(fast, {
            mode,
            targets: expected.targets,
            all: expected.options.all === true,
            quiet: global.quiet === true,
            explain: expected.options.explain === true,
            json: expected.options.json === true,
            jobs: (expected.options.jobs as number | undefined) ?? null,
            keepGoing: expected.options.keepGoing === true,
          });
        });
      }
    }
  }
});
