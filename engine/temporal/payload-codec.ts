// Large payloads travel gzip-compressed: the plan of a run of tens of thousands of steps (several MB
// of JSON) is the run workflow's input, and its final status its result, while Temporal refuses a
// payload above 2 MB. Small payloads stay as they are, readable in the Web UI. Every client and
// worker of the project uses this converter; payloads without the encoding pass through unchanged,
// so histories recorded before it replay as they did.
import { gunzipSync, gzipSync } from "node:zlib";
import { type DataConverter, defaultPayloadConverter, type Payload, type PayloadCodec } from "@temporalio/common";

/** Payloads above this many bytes are compressed. */
const COMPRESS_ABOVE = 256 * 1024;
const GZIP = new TextEncoder().encode("binary/gzip");
const ORIGINAL = "mmada-original-encoding";

function isGzip(p: Payload): boolean {
  const e = p.metadata?.encoding;
  return !!e && e.length === GZIP.length && e.every((b, i) => b === GZIP[i]);
}

function decodeOne(p: Payload): Payload {
  if (!isGzip(p)) return p;
  const { [ORIGINAL]: original, ...metadata } = p.metadata!;
  return { metadata: { ...metadata, encoding: original! }, data: gunzipSync(p.data!) };
}

export const largePayloadCodec: PayloadCodec = {
  async encode(payloads) {
    return payloads.map((p) => {
      if (!p.data || p.data.length <= COMPRESS_ABOVE || !p.metadata?.encoding) return p;
      return { metadata: { ...p.metadata, encoding: GZIP, [ORIGINAL]: p.metadata.encoding }, data: gzipSync(p.data) };
    });
  },
  async decode(payloads) {
    return payloads.map(decodeOne);
  },
};

export const dataConverter: DataConverter = { payloadCodecs: [largePayloadCodec] };

/** A payload read straight from a Temporal API answer (heartbeat details in a describe). */
export function payloadValue<T>(p: Payload): T {
  return defaultPayloadConverter.fromPayload(decodeOne(p) as never) as T;
}
