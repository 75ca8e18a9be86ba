// Spec files are decoded strictly as UTF-8: every other encoding is an E_ENCODING error at the byte
// where it shows, with the line:col that byte falls on.
import { testKinds } from "./test-kinds.ts";
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { decodeSpec, firstInvalidUtf8, positionOfByte } from "../../pipelines/decode.ts";
import { compileText } from "../../pipelines/index.ts";
import { errorsOf, planOf } from "./helpers.ts";

const SPEC = 'name: enc\nsteps:\n  a:\n    uses: command\n    with: { run: "echo café" }\n';
const utf8 = (s: string) => new TextEncoder().encode(s);
const bytes = (...parts: (string | number[])[]) =>
  Uint8Array.from(parts.flatMap((p) => (typeof p === "string" ? [...utf8(p)] : p)));

function only(r: ReturnType<typeof decodeSpec>) {
  assert.equal(r.text, undefined);
  assert.equal(r.errors.length, 1);
  const e = r.errors[0];
  assert.ok(e);
  assert.equal(e.code, "E_ENCODING");
  assert.equal(e.hint, "save the file as UTF-8");
  return e;
}

test("UTF-8 decodes (a UTF-8 byte-order mark is dropped); compileText still takes text", () => {
  assert.equal(decodeSpec(utf8(SPEC), "s.yaml").text, SPEC);
  assert.equal(decodeSpec(bytes([0xef, 0xbb, 0xbf], SPEC), "s.yaml").text, SPEC);
  planOf(compileText(SPEC, "stored.yaml", { kinds: testKinds }));
});

test("a Latin-1 byte: error at its byte offset and the line:col it falls on", () => {
  const latin1 = Uint8Array.from([...SPEC].map((c) => c.charCodeAt(0)));
  const e = only(decodeSpec(latin1, "s.yaml"));
  const offset = SPEC.indexOf("é");
  assert.match(e.message, new RegExp(`byte ${offset} \\(0xE9\\)`));
  assert.deepEqual([e.line, e.col], [5, 27]);
});

test("columns count characters, as YAML positions do, not bytes", () => {
  // Three 2-byte characters before the bad byte: byte 9, but character column 7.
  const e = only(decodeSpec(bytes("x: ééé", [0xff]), "s.yaml"));
  assert.match(e.message, /byte 9 /);
  assert.deepEqual([e.line, e.col], [1, 7]);
  assert.deepEqual(positionOfByte(utf8("a\nbé\nc"), 6), { line: 3, col: 1 });
  assert.deepEqual(positionOfByte(utf8("a\nbé\nc"), 5), { line: 2, col: 3 });
});

test("UTF-16 and UTF-32, with or without a byte-order mark: 'not supported, save as UTF-8'", () => {
  const le = (s: string) => [...s].flatMap((c) => [c.charCodeAt(0), 0]);
  const be = (s: string) => [...s].flatMap((c) => [0, c.charCodeAt(0)]);
  const cases: [string, Uint8Array, RegExp, [number, number]][] = [
    ["UTF-16LE BOM", bytes([0xff, 0xfe], le(SPEC)), /^UTF-16 is not supported/, [1, 1]],
    ["UTF-16BE BOM", bytes([0xfe, 0xff], be(SPEC)), /^UTF-16 is not supported/, [1, 1]],
    ["UTF-16LE", bytes(le(SPEC)), /^UTF-16 is not supported.*byte 1$/, [1, 2]],
    ["UTF-16BE", bytes(be(SPEC)), /^UTF-16 is not supported.*byte 0$/, [1, 1]],
    ["UTF-32LE BOM", bytes([0xff, 0xfe, 0, 0], [...SPEC].flatMap((c) => [c.charCodeAt(0), 0, 0, 0])), /^UTF-32 is not supported/, [1, 1]],
    ["UTF-32LE", bytes([...SPEC].flatMap((c) => [c.charCodeAt(0), 0, 0, 0])), /^UTF-32 is not supported/, [1, 2]],
  ];
  for (const [name, input, message, pos] of cases) {
    const e = only(decodeSpec(input, "s.yaml"));
    assert.match(e.message, message, name);
    assert.deepEqual([e.line, e.col], pos, name);
  }
});

test("a stray NUL byte in UTF-8 text is located", () => {
  const e = only(decodeSpec(bytes("name: x\nsteps: ", [0], "\n"), "s.yaml"));
  assert.match(e.message, /^NUL byte at byte 15/);
  assert.deepEqual([e.line, e.col], [2, 8]);
});

test("ill-formed UTF-8: overlongs, surrogates, beyond U+10FFFF, truncated and stray bytes", () => {
  const bad: number[][] = [[0xc0, 0x80], [0xe0, 0x80, 0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xf5], [0x80], [0xe2, 0x82], [0xf0, 0x9f, 0x98]];
  for (const b of bad) assert.equal(firstInvalidUtf8(bytes("ok ", b)), 3, b.map((x) => x.toString(16)).join(" "));
  for (const ok of ["é", "€", "😀", "\u{10ffff}"]) assert.equal(firstInvalidUtf8(utf8(`ok ${ok}`)), undefined, ok);
});

test("property: the offset is where the platform's strict decoder first fails", () => {
  const strict = new TextDecoder("utf-8", { fatal: true });
  const valid = (b: Uint8Array) => {
    try {
      strict.decode(b);
      return true;
    } catch {
      return false;
    }
  };
  const chunk = fc.oneof(fc.string({ unit: "grapheme" }).map(utf8), fc.uint8Array({ maxLength: 4 }));
  fc.assert(
    fc.property(fc.array(chunk, { maxLength: 6 }), (chunks) => {
      const b = Uint8Array.from(chunks.flatMap((c) => [...c]));
      const at = firstInvalidUtf8(b);
      if (at === undefined) return valid(b);
      return valid(b.subarray(0, at)) && !valid(b.subarray(0, at + 4)) && !valid(b);
    }),
    { numRuns: 2000 },
  );
});

test("compileText is unchanged for stored text (no byte-level check there)", () => {
  const errs = errorsOf(compileText("name: x\nsteps: 3\n", "stored.yaml", { kinds: testKinds }));
  assert.equal(errs[0]?.code, "E_TYPE");
});
