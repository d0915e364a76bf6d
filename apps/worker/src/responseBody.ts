/** Bytes of a response body kept in the run row. */
export const STORED_BODY_BYTES = 64 * 1024;
/**
 * Reading stops here; the rest of the body is discarded. The byte count is then Content-Length when the response
 * declared one, else a lower bound (the bytes read), flagged `bytesCapped`.
 */
export const MAX_READ_BYTES = 10 * 1024 * 1024;

export interface CapturedBody {
  text: string;
  truncated: boolean;
  /** Full size in bytes (what was read, or Content-Length when reading stopped early). */
  bytes: number;
  /** Reading stopped at the cap and no Content-Length said how big the body was: `bytes` is a lower bound. */
  bytesCapped: boolean;
}

/**
 * Length of the longest prefix of `buf` (at most `max` bytes) that does not end inside a UTF-8 sequence.
 * Invalid bytes are left alone (the decoder turns them into U+FFFD).
 */
export function utf8PrefixLength(buf: Uint8Array, max: number): number {
  if (buf.length <= max) return buf.length;
  let end = max;
  // Walk back over at most 3 continuation bytes to the lead byte of the last sequence that starts before `max`.
  let i = end - 1;
  let continuation = 0;
  while (i >= 0 && continuation < 3 && ((buf[i] as number) & 0xc0) === 0x80) {
    i--;
    continuation++;
  }
  if (i < 0) return end;
  const lead = buf[i] as number;
  const need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
  if (need > 1 && i + need > end) end = i;
  return end;
}

const decoder = new TextDecoder("utf-8", { fatal: false });

/** Text that Postgres can store: invalid UTF-8 becomes U+FFFD, and so does NUL. */
export function toStorableText(bytes: Uint8Array): string {
  return decoder.decode(bytes).replaceAll("\u0000", "\uFFFD");
}

/**
 * Reads a body stream keeping the first STORED_BODY_BYTES (cut on a character boundary) and counting the rest.
 * Stops reading after `maxReadBytes` and destroys the stream.
 */
export async function captureBody(
  body: AsyncIterable<Uint8Array> & { destroy?: (err?: Error) => unknown },
  opts: { contentLength?: number; storedBytes?: number; maxReadBytes?: number } = {},
): Promise<CapturedBody> {
  const keep = opts.storedBytes ?? STORED_BODY_BYTES;
  const maxRead = opts.maxReadBytes ?? MAX_READ_BYTES;
  // Keep up to 3 bytes beyond the cap so a character straddling it can be recognised as complete or not.
  const head = new Uint8Array(keep + 3);
  let headLen = 0;
  let total = 0;
  let stopped = false;
  for await (const chunk of body) {
    if (headLen < head.length) {
      const take = Math.min(head.length - headLen, chunk.length);
      head.set(chunk.subarray(0, take), headLen);
      headLen += take;
    }
    total += chunk.length;
    if (total >= maxRead) {
      stopped = true;
      break;
    }
  }
  if (stopped) body.destroy?.();
  const declared = stopped && opts.contentLength !== undefined && opts.contentLength > total;
  const bytes = declared ? (opts.contentLength as number) : total;
  const kept = head.subarray(0, utf8PrefixLength(head.subarray(0, headLen), keep));
  return { text: toStorableText(kept), truncated: bytes > kept.length, bytes, bytesCapped: stopped && !declared };
}
