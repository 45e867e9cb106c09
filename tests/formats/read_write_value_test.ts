import assert from "node:assert/strict";
import * as path from "node:path";
import { encodeValue, type Format, readValueSync, writeValue } from "../../src/formats/mod.ts";

/** `readValueSync`, its errors as a rejection (as the assertions below expect them). */
// deno-lint-ignore require-await
const readValue = async (file: string, format: Format) => readValueSync(file, format);
import { tempDir } from "../_helpers/files.ts";

const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

/** Writes `value` as `format` to a temporary file; returns the text written and the value read back. */
async function roundTrip(
  format: Format,
  value: unknown,
): Promise<{ text: string; back: unknown }> {
  await using dir = await tempDir();
  const file = path.join(dir.path, `value.${format}`);
  await writeValue(file, format, value);
  const text = await Deno.readTextFile(file);
  assert.equal(text, decode(encodeValue(format, value)));
  return { text, back: await readValue(file, format) };
}

/** Reads `text` written to a temporary file as `format`. */
async function readText(format: Format, text: string): Promise<unknown> {
  await using dir = await tempDir();
  const file = path.join(dir.path, `value.${format}`);
  await Deno.writeTextFile(file, text);
  return await readValue(file, format);
}

/** Asserts that encoding `value` as `format` throws a TypeError with exactly `message`. */
function assertEncodeError(format: Format, value: unknown, message: string): void {
  assert.throws(() => encodeValue(format, value), (error: unknown) => {
    assert.ok(error instanceof TypeError, String(error));
    assert.equal(error.message, message);
    return true;
  });
}

Deno.test("encodeValue() writes csv with a header and reads back rows of strings", async () => {
  const { text, back } = await roundTrip("csv", [{ x: 1, name: "a" }, { x: 2.5, name: "b" }]);
  assert.equal(text, "x,name\n1,a\n2.5,b\n");
  assert.deepEqual(back, [{ x: "1", name: "a" }, { x: "2.5", name: "b" }]);
});

Deno.test("encodeValue() quotes csv fields with quotes, commas and newlines", async () => {
  const rows = [
    { id: "1", text: 'she said "hi", then left' },
    { id: "2", text: "line one\nline two" },
    { id: "3", text: "  padded  " },
    { id: "4", text: "" },
  ];
  const { text, back } = await roundTrip("csv", rows);
  assert.equal(
    text,
    'id,text\n1,"she said ""hi"", then left"\n2,"line one\nline two"\n3,  padded  \n4,""\n',
  );
  assert.deepEqual(back, rows);
});

Deno.test("encodeValue() writes the union of csv columns in first-seen order", async () => {
  const { text, back } = await roundTrip("csv", [
    { b: 1, a: 2 },
    { c: 3, a: 4 },
    { d: 5 },
  ]);
  assert.equal(text, 'b,a,c,d\n1,2,"",""\n"",4,3,""\n"","","",5\n');
  assert.deepEqual(back, [
    { b: "1", a: "2", c: "", d: "" },
    { b: "", a: "4", c: "3", d: "" },
    { b: "", a: "", c: "", d: "5" },
  ]);
});

Deno.test("encodeValue() writes booleans, nulls and nested values into csv cells", async () => {
  const { text } = await roundTrip("csv", [
    { flag: true, none: null, list: [1, 2], obj: { k: "v" } },
    { flag: false },
  ]);
  assert.equal(
    text,
    'flag,none,list,obj\ntrue,"","[1,2]","{""k"":""v""}"\nfalse,"","",""\n',
  );
});

Deno.test("encodeValue() writes an empty csv for no rows, read back as no rows", async () => {
  const { back } = await roundTrip("csv", []);
  assert.deepEqual(back, []);
});

Deno.test("readValue() reads csv with a BOM, CRLF line ends and blank lines", async () => {
  assert.deepEqual(await readText("csv", "\uFEFFa,b\r\n1,2\r\n\r\n3,4\r\n"), [
    { a: "1", b: "2" },
    { a: "3", b: "4" },
  ]);
});

Deno.test("encodeValue() writes tsv with tabs and round-trips it", async () => {
  const rows = [{ a: "x y", b: "1,2" }, { a: "tab\there", b: "" }];
  const { text, back } = await roundTrip("tsv", rows);
  assert.equal(text, 'a\tb\nx y\t1,2\n"tab\there"\t""\n');
  assert.deepEqual(back, rows);
});

Deno.test("encodeValue() writes json pretty-printed with a final newline", async () => {
  const value = { b: [1, 2, { c: null }], a: "é\n", n: 1.5, t: true };
  const { text, back } = await roundTrip("json", value);
  assert.equal(text, `${JSON.stringify(value, null, 2)}\n`);
  assert.deepEqual(back, value);
  assert.deepEqual((await roundTrip("json", "just a string")).back, "just a string");
  assert.deepEqual((await roundTrip("json", null)).back, null);
});

Deno.test("encodeValue() writes jsonl one value per line and reads it back", async () => {
  const values = [{ a: 1 }, [1, 2], "text\nwith newline", 3, null];
  const { text, back } = await roundTrip("jsonl", values);
  assert.equal(text, '{"a":1}\n[1,2]\n"text\\nwith newline"\n3\nnull\n');
  assert.deepEqual(back, values);
  assert.equal((await roundTrip("jsonl", [])).text, "");
  assert.deepEqual(await readText("jsonl", '{"a":1}\r\n\n  \n{"a":2}'), [{ a: 1 }, { a: 2 }]);
});

Deno.test("encodeValue() writes yaml and reads it back", async () => {
  const value = { name: "model", lr: 0.1, layers: [64, 32], nested: { ok: true, none: null } };
  const { text, back } = await roundTrip("yaml", value);
  assert.equal(
    text,
    "name: model\nlr: 0.1\nlayers:\n  - 64\n  - 32\nnested:\n  ok: true\n  none: null\n",
  );
  assert.deepEqual(back, value);
  // Strings that look like other types stay strings.
  const tricky = { a: "true", b: "1.0", c: "null", d: "- x", e: "a: b" };
  assert.deepEqual((await roundTrip("yaml", tricky)).back, tricky);
});

Deno.test("encodeValue() writes txt and svg strings as they are", async () => {
  const text = "line 1\nline 2 ü\n";
  assert.deepEqual(await roundTrip("txt", text), { text, back: text });
  const svg = '<svg xmlns="http://www.w3.org/2000/svg"><rect width="1"/></svg>';
  assert.deepEqual(await roundTrip("svg", svg), { text: svg, back: svg });
  assert.deepEqual(await roundTrip("txt", ""), { text: "", back: "" });
});

Deno.test("encodeValue() writes bin and png bytes as they are", async () => {
  await using dir = await tempDir();
  const bytes = new Uint8Array([0, 255, 1, 128, 10, 13]);
  for (const format of ["bin", "png"] as const) {
    const file = path.join(dir.path, `value.${format}`);
    assert.equal(encodeValue(format, bytes), bytes);
    await writeValue(file, format, bytes);
    const back = await readValue(file, format);
    assert.ok(back instanceof Uint8Array);
    assert.deepEqual([...back], [...bytes]);
  }
  assert.deepEqual([...encodeValue("bin", bytes.buffer)], [...bytes]);
});

Deno.test("readValue() of a dir returns its path", async () => {
  assert.equal(await readValue("/no/such/dir", "dir"), "/no/such/dir");
});

Deno.test("encodeValue() refuses csv from a non-array or non-row values", () => {
  assertEncodeError("csv", { a: 1 }, "expected an array of row objects, got an object");
  assertEncodeError("tsv", 7, "expected an array of row objects, got a number");
  assertEncodeError("csv", null, "expected an array of row objects, got null");
  assert.throws(() => encodeValue("csv", [{ a: 1 }, 2]), TypeError);
  assert.throws(() => encodeValue("csv", [[1, 2]]), TypeError);
  assert.throws(() => encodeValue("csv", [null]), TypeError);
});

Deno.test("encodeValue() writes text given for csv/tsv as it is", () => {
  assert.equal(new TextDecoder().decode(encodeValue("csv", "a,b\n1,2\n")), "a,b\n1,2\n");
  assert.equal(new TextDecoder().decode(encodeValue("tsv", "a\tb\n")), "a\tb\n");
});

Deno.test("encodeValue() refuses txt from a number and bin from a string", () => {
  assertEncodeError("txt", 42, "expected a string, got a number");
  assertEncodeError("svg", new Uint8Array(1), "expected a string, got bytes");
  assertEncodeError("bin", "bytes?", "expected a Uint8Array, got a string");
  assertEncodeError("png", [1, 2], "expected a Uint8Array, got an array");
  assertEncodeError("jsonl", { a: 1 }, "expected an array, got an object");
  assert.throws(() => encodeValue("json", undefined), /^TypeError: expected a JSON value, got /);
  assertEncodeError("yaml", undefined, "expected a value, got undefined");
});

Deno.test({
  name: "encodeValue() names undefined as `undefined` when refusing it as json",
  fn: () => {
    assertEncodeError("json", undefined, "expected a JSON value, got undefined");
    assertEncodeError("jsonl", [1, undefined], "expected a JSON value, got undefined");
  },
});

Deno.test("encodeValue() always refuses a dir", () => {
  const message =
    "a dir output cannot be returned; write the files under paths.outs and return nothing";
  for (const value of [undefined, "path", {}, new Uint8Array(1)]) {
    assertEncodeError("dir", value, message);
  }
});

Deno.test("readValue() of malformed json, jsonl, yaml or csv names the file", async () => {
  await using dir = await tempDir();
  const cases: [Format, string][] = [
    ["json", '{"a": 1,'],
    ["jsonl", '{"a": 1}\n{oops}\n'],
    ["yaml", "a: [1, 2\nb: }"],
    ["csv", 'a,b\n"unclosed,2\n'],
  ];
  for (const [format, text] of cases) {
    const file = path.join(dir.path, `bad.${format}`);
    await Deno.writeTextFile(file, text);
    await assert.rejects(readValue(file, format), (error: unknown) => {
      assert.ok(error instanceof Error);
      assert.ok(
        error.message.startsWith(`cannot read ${file} as ${format}: `),
        `${format}: ${error.message}`,
      );
      assert.ok(!error.message.includes("\n"), `${format}: one line expected`);
      return true;
    });
  }
});

Deno.test("readValue() of a missing file rejects with NotFound", async () => {
  await using dir = await tempDir();
  await assert.rejects(readValue(path.join(dir.path, "gone.json"), "json"), Deno.errors.NotFound);
  await assert.rejects(readValue(path.join(dir.path, "gone.bin"), "bin"), Deno.errors.NotFound);
});

Deno.test({
  name: "encodeValue() keeps an empty cell of a one-column csv through a round trip",
  fn: async () => {
    const rows = [{ a: "" }, { a: "x" }, { a: "" }];
    assert.deepEqual((await roundTrip("csv", rows)).back, rows);
    assert.deepEqual((await roundTrip("tsv", rows)).back, rows);
  },
});

Deno.test({
  name: "encodeValue() refuses json and jsonl values that JSON cannot represent",
  fn: () => {
    assert.throws(() => encodeValue("json", () => 1), TypeError);
    assert.throws(() => encodeValue("json", Symbol("s")), TypeError);
    assert.throws(() => encodeValue("jsonl", [1, undefined, 2]), TypeError);
  },
});
