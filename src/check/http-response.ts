// SPDX-License-Identifier: Apache-2.0
/**
 * Incremental HTTP/1.x response reader for HTTP_GET/SSL_GET: status line, headers, then a body
 * framed by Content-Length, chunked encoding or connection close, read up to a byte limit. Pure.
 * Hand-written because node:http cannot send HTTP/1.0 requests (http_protocol 1.0/1.0C) and a
 * checker needs byte-exact body limits; the response side is the small subset a checker needs.
 * Also the body `regex` matcher.
 */
import { Buffer } from 'node:buffer';

export interface HttpResponse {
  status: number;
  headers: Map<string, string>;
  body: Buffer;
  /** The body was cut at the limit. */
  truncated: boolean;
}

export type FeedResult =
  { done: false } | { done: true; response: HttpResponse } | { done: true; error: string };

const maxHeaderBytes = 16 * 1024;

export class HttpResponseReader {
  #buf: Buffer = Buffer.alloc(0);
  #status = 0;
  #headers = new Map<string, string>();
  #headerDone = false;
  #body: Buffer[] = [];
  #bodyLen = 0;
  readonly #limit: number;
  readonly #headRequest: boolean;

  constructor(limit: number, headRequest = false) {
    this.#limit = limit;
    this.#headRequest = headRequest;
  }

  /** Feed bytes; `end` = the peer closed the connection. */
  feed(chunk: Buffer | null): FeedResult {
    if (chunk) this.#buf = this.#buf.length ? Buffer.concat([this.#buf, chunk]) : chunk;
    const end = chunk === null;
    if (!this.#headerDone) {
      const idx = this.#buf.indexOf('\r\n\r\n');
      if (idx < 0) {
        if (this.#buf.length > maxHeaderBytes) return { done: true, error: 'header too large' };
        return end ? { done: true, error: 'connection closed before headers' } : { done: false };
      }
      const head = this.#buf.subarray(0, idx).toString('latin1').split('\r\n');
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(head[0] ?? '');
      if (!m) return { done: true, error: 'bad status line' };
      this.#status = Number(m[1]);
      for (const line of head.slice(1)) {
        const c = line.indexOf(':');
        if (c > 0) this.#headers.set(line.slice(0, c).trim().toLowerCase(), line.slice(c + 1).trim());
      }
      this.#headerDone = true;
      this.#buf = this.#buf.subarray(idx + 4);
    }
    if (this.#headRequest || this.#status === 204 || this.#status === 304) return this.#finish(false);
    const te = this.#headers.get('transfer-encoding');
    if (te && te.toLowerCase().includes('chunked')) return this.#chunked(end);
    const cl = this.#headers.get('content-length');
    if (cl !== undefined) {
      const n = Number(cl);
      if (!Number.isSafeInteger(n) || n < 0) return { done: true, error: 'bad content-length' };
      if (this.#buf.length >= n || this.#buf.length >= this.#limit) {
        this.#take(this.#buf.subarray(0, Math.min(n, this.#limit)));
        return this.#finish(n > this.#limit);
      }
      return end ? { done: true, error: 'connection closed before end of body' } : { done: false };
    }
    // Until close.
    if (this.#buf.length >= this.#limit) {
      this.#take(this.#buf.subarray(0, this.#limit));
      return this.#finish(true);
    }
    if (end) {
      this.#take(this.#buf);
      return this.#finish(false);
    }
    return { done: false };
  }

  #chunked(end: boolean): FeedResult {
    for (;;) {
      const lineEnd = this.#buf.indexOf('\r\n');
      if (lineEnd < 0) break;
      const size = parseInt(this.#buf.subarray(0, lineEnd).toString('latin1').split(';')[0] ?? '', 16);
      if (!Number.isFinite(size) || size < 0) return { done: true, error: 'bad chunk size' };
      if (size === 0) return this.#finish(false);
      if (this.#buf.length < lineEnd + 2 + size + 2) break;
      this.#take(this.#buf.subarray(lineEnd + 2, lineEnd + 2 + size));
      this.#buf = this.#buf.subarray(lineEnd + 2 + size + 2);
      if (this.#bodyLen >= this.#limit) return this.#finish(true);
    }
    return end ? { done: true, error: 'connection closed inside chunked body' } : { done: false };
  }

  #take(b: Buffer): void {
    const room = this.#limit - this.#bodyLen;
    const part = b.length > room ? b.subarray(0, room) : b;
    this.#body.push(Buffer.from(part));
    this.#bodyLen += part.length;
  }

  #finish(truncated: boolean): FeedResult {
    return {
      done: true,
      response: { status: this.#status, headers: this.#headers, body: Buffer.concat(this.#body), truncated },
    };
  }
}

/** What `bodyRegexMatches` needs of a url's `regex` (see check/types.ts BodyRegexSpec). */
export interface BodyRegex {
  source: string;
  flags: string;
  minOffset: number;
  maxOffset?: number;
}

/** Each url's RegExp, compiled on its first probe. */
const compiled = new WeakMap<BodyRegex, RegExp>();

/**
 * Whether the pattern matches the body at an offset in [minOffset, maxOffset]. The body is decoded
 * as latin1 (offsets are bytes), or as UTF-8 with the `u` flag (offsets are UTF-16 code units).
 */
export function bodyRegexMatches(body: Buffer, re: BodyRegex): boolean {
  const subject = body.toString(re.flags.includes('u') ? 'utf8' : 'latin1');
  if (re.minOffset > subject.length) return false;
  let rx = compiled.get(re);
  if (!rx) {
    rx = new RegExp(re.source, re.flags + 'g');
    compiled.set(re, rx);
  }
  rx.lastIndex = re.minOffset;
  const m = rx.exec(subject);
  // The first match at or after minOffset; a later start is out of range when this one is.
  return m !== null && (re.maxOffset === undefined || m.index <= re.maxOffset);
}

/** Whether `status` is accepted: in one of the ranges, or 200-299 when there are none. */
export function statusAccepted(status: number, ranges: ReadonlyArray<readonly [number, number]>): boolean {
  if (ranges.length === 0) return status >= 200 && status <= 299;
  return ranges.some(([lo, hi]) => status >= lo && status <= hi);
}

/** The request bytes for one URL. */
export function buildRequest(path: string, host: string, protocol: '1.0' | '1.0C' | '1.1'): string {
  const version = protocol === '1.1' ? 'HTTP/1.1' : 'HTTP/1.0';
  const lines = [`GET ${path} ${version}`, 'User-Agent: lvsd', `Host: ${host}`];
  if (protocol !== '1.0') lines.push('Connection: close');
  return lines.join('\r\n') + '\r\n\r\n';
}
