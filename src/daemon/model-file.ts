// SPDX-License-Identifier: Apache-2.0
/**
 * The text of model.json, the validated Model the supervisor hands its workers: a first line with
 * everything but the virtual servers (and how many lines follow), then one line per virtual server.
 * JSON text has no raw newline, so the lines split without parsing. A reader that holds the model
 * it runs and finds a virtual server's fingerprint unchanged (config/fingerprints.ts) keeps that
 * virtual server's object and never parses its line: at 10,000 virtual servers x 10 reals the file
 * is ~60 MB, and parsing all of it held the LVS worker's event loop ~340 ms at every reload.
 * A kept virtual server still carries the source locations (`loc`) of the file it was read from:
 * nothing outside the config layer reads them, and a moved line does not change its fingerprint.
 * Plain JSON (one line: an older lvsd, a hand-made file) reads as before.
 *
 * The header's first member, `modelId`, is a SHA-1 of the rest of it: the fingerprints of every
 * virtual server and all else, so it names the model the file holds. A reload of a large file hands
 * the LVS worker a delta first (model.delta.json: the new model's header, and only the lines of the
 * virtual servers model.json does not hold), then model.json whole once written: the worker reads
 * the delta only while model.json is the model it was made against (its `base`), so a delta left
 * beside a newer model.json is never applied. Pure.
 */
import { nodeCrypto as crypto } from '../core/node-crypto.js';
import { VsTextCache } from '../config/fingerprints.js';
import type { Model, ModelFingerprints, VirtualServer } from '../config/model.js';
import { shareLocPaths } from './model-locs.js';

interface Header extends Omit<Model, 'virtualServers'> {
  /** The model's name: a SHA-1 of the header without it (absent in files of an older lvsd). */
  modelId?: string;
  /** Lines that follow, one virtual server each. */
  virtualServerLines: number;
  /** In a delta only: what it was made against, and which virtual servers' lines follow. */
  delta?: DeltaOf;
}

interface DeltaOf {
  /** The `modelId` of the model file whose virtual servers the delta leaves out. */
  base: string;
  /** Indexes (ascending) of the virtual servers whose lines follow, in that order. */
  lines: number[];
}

/** A header's line: `modelId` first (readable from the file's first bytes), naming what follows it. */
function headerLine(header: Header, id?: string): string {
  const body = JSON.stringify(header);
  return `{"modelId":"${id ?? crypto().createHash('sha1').update(body).digest('base64url')}",${body.slice(1)}`;
}

/** model.json's lines (header first), the virtual servers' JSON given when already made. */
function modelFileLines(model: Model, vsJson: readonly string[]): string[] {
  const { virtualServers, ...rest } = model;
  return [headerLine({ ...rest, virtualServerLines: virtualServers.length }), ...vsJson];
}

export function modelFileText(model: Model): string {
  return (
    modelFileLines(
      model,
      model.virtualServers.map((vs) => JSON.stringify(vs)),
    ).join('\n') + '\n'
  );
}

/**
 * model.json's lines for `model` with its fingerprints (made if it has none): each virtual server is
 * stringified once, for its line and its fingerprint, or not at all when `texts` has it from a load
 * before (the standby validator's: config/incremental.ts). Lines without their newline.
 */
export function fingerprintedModelLines(model: Model, texts = new VsTextCache()): string[] {
  const made = texts.fingerprinted(model);
  return modelFileLines(made.model, made.vsJson);
}

/**
 * model.vrrp.json's text: the VRRP worker's view of `model` (config/views.ts), as a model file with
 * the whole model's fingerprints (a reader keeps its unchanged virtual servers); each virtual
 * server's line from `texts` when it has it. The header is the model's, model.json's line (`header`,
 * when made already): the view differs from the model in the virtual servers' real servers alone.
 */
export function vrrpModelFileText(model: Model, texts = new VsTextCache(), header?: string): string {
  const views = model.virtualServers.map((vs) => texts.viewOf(vs));
  return [vrrpHeader(model, texts, header), ...views].join('\n') + '\n';
}

/**
 * `vrrpModelFileText` as bytes, each virtual server's line (newline included) from `texts`' bytes
 * of it: what the validating child writes. A large view is ~4.5 MB at 10,000 virtual servers: the
 * text joined and encoded is ~10-15 ms of a reload's critical path on a host, the bytes kept from
 * the load before and copied once ~2-4 ms.
 */
export function vrrpModelFileBytes(model: Model, texts = new VsTextCache(), header?: string): Buffer {
  const lines = model.virtualServers.map((vs) => texts.viewLineOf(vs));
  return Buffer.concat([Buffer.from(`${vrrpHeader(model, texts, header)}\n`), ...lines]);
}

/** model.vrrp.json's first line: model.json's (`header`, when made already), the view's fingerprints the model's. */
function vrrpHeader(model: Model, texts: VsTextCache, header: string | undefined): string {
  return header ?? modelFileLines(texts.fingerprinted(model).model, [])[0]!;
}

/**
 * The texts of the two files the supervisor hands its workers: model.json (with fingerprints) and
 * model.vrrp.json. Each a string: for a model of a small file, or at start (the validating child
 * writes a large one's lines one by one instead: cli/commands/check-config.ts).
 */
export function modelFilesText(model: Model): { whole: string; vrrp: string } {
  const texts = new VsTextCache();
  const whole = fingerprintedModelLines(model, texts);
  return { whole: whole.join('\n') + '\n', vrrp: vrrpModelFileText(model, texts, whole[0]) };
}

/** What a delta is made against: a model file's name and its fingerprints (its header's). */
export interface DeltaBase {
  modelId: string;
  fingerprints: ModelFingerprints;
}

/** A delta's worth: written when at most this share of the virtual servers changed. */
const DELTA_MOST = 0.5;

/** model.json's lines and, when worth it, a delta's (`modelFileLinesWithDelta`). */
export interface ModelFileLines {
  whole: string[];
  delta?: string[];
}

/**
 * model.json's lines for `model` (as `fingerprintedModelLines`) and, when it is worth it, the lines
 * of a delta against `base` (model.delta.json): the same header, its `modelId` the whole file's,
 * marked with `delta`, then only the lines of virtual servers whose fingerprint `base` lacks. No
 * delta when `base` was made in another context (a reader keeps none of its virtual servers) or
 * more than half changed.
 */
export function modelFileLinesWithDelta(
  model: Model,
  texts: VsTextCache,
  base: DeltaBase | undefined,
): ModelFileLines {
  const made = texts.fingerprinted(model);
  const whole = modelFileLines(made.model, made.vsJson);
  const fp = made.model.fingerprints;
  if (!base || !fp || fp.context !== base.fingerprints.context) return { whole };
  const held = new Set(base.fingerprints.virtualServers);
  const lines: number[] = [];
  fp.virtualServers.forEach((f, i) => {
    if (!held.has(f)) lines.push(i);
  });
  if (lines.length > fp.virtualServers.length * DELTA_MOST) return { whole };
  const { virtualServers: _all, ...rest } = made.model;
  const id = modelIdIn(whole[0]!);
  const header = headerLine(
    { ...rest, virtualServerLines: lines.length, delta: { base: base.modelId, lines } },
    id,
  );
  return { whole, delta: [header, ...lines.map((i) => made.vsJson[i]!)] };
}

/** The `modelId` a model file starts with (its first bytes suffice), undefined when it has none. */
export function modelIdIn(start: Buffer | string): string | undefined {
  const head = typeof start === 'string' ? start.slice(0, 128) : start.toString('latin1', 0, 128);
  return /^\{"modelId":"([A-Za-z0-9_-]+)"/.exec(head)?.[1];
}

/** What a delta is made against, of a model file's first line (undefined: not a model file's header). */
export function deltaBaseOf(firstLine: string): DeltaBase | undefined {
  const h = headerOf(firstLine);
  return h?.modelId !== undefined && h.fingerprints && h.delta === undefined
    ? { modelId: h.modelId, fingerprints: h.fingerprints }
    : undefined;
}

/** The virtual servers of `previous` by fingerprint, when its fingerprints were made in the same context. */
function reusable(previous: Model | undefined, context: string | undefined): Map<string, VirtualServer> {
  const out = new Map<string, VirtualServer>();
  const fp = previous?.fingerprints;
  if (!previous || !fp || context === undefined || fp.context !== context) return out;
  previous.virtualServers.forEach((vs, i) => {
    const f = fp.virtualServers[i];
    if (f !== undefined && !out.has(f)) out.set(f, vs);
  });
  return out;
}

/** The first line as a header, or undefined when it is not one (plain JSON, maybe pretty-printed). */
function headerOf(line: string): Header | undefined {
  try {
    const h = JSON.parse(line) as Partial<Header> | null;
    return h !== null && typeof h === 'object' && Number.isInteger(h.virtualServerLines)
      ? (h as Header)
      : undefined;
  } catch {
    return undefined;
  }
}

/** The lines after a header at `first`, as [start, end) byte ranges: `count` of them, or throws. */
function* linesAfter(bytes: Buffer, first: number, count: number): Generator<[number, number]> {
  let at = first + 1;
  for (let i = 0; i < count; i++) {
    const end = bytes.indexOf(0x0a, at);
    if (end < 0) throw new Error(`model file: ${count} virtual servers announced, ${i} found`);
    yield [at, end];
    at = end + 1;
  }
}

/** A model file's header and where its line ends; undefined when the first line is not a header. */
function headerIn(bytes: Buffer): { header: Header; first: number } | undefined {
  const first = bytes.indexOf(0x0a);
  const header = first < 0 ? undefined : headerOf(bytes.toString('utf8', 0, first));
  return header ? { header, first } : undefined;
}

/** The Model a header names, its virtual servers given. */
function modelOf(header: Header, virtualServers: VirtualServer[]): Model {
  const { modelId: _id, virtualServerLines: _lines, delta: _delta, ...rest } = header;
  return { ...rest, virtualServers };
}

/** A virtual server's line parsed, its source locations' paths the ones `paths` holds (model-locs.ts). */
function parseVs(bytes: Buffer, [start, end]: [number, number], paths: Map<string, string>): VirtualServer {
  const vs = JSON.parse(bytes.toString('utf8', start, end)) as VirtualServer;
  shareLocPaths(vs, paths);
  return vs;
}

/**
 * The Model of a model.json's bytes (or text); virtual servers whose fingerprint is unchanged since
 * `previous` are `previous`'s objects, and their lines are neither decoded nor parsed (a newline
 * byte is never part of a UTF-8 sequence, so the bytes split as the text does). Throws on input
 * that is not a model file (a delta among them).
 */
export function parseModelText(input: Buffer | string, previous?: Model): Model {
  const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  const found = headerIn(bytes);
  if (!found) return JSON.parse(bytes.toString('utf8')) as Model; // plain JSON
  const { header, first } = found;
  if (header.delta) throw new Error('model file: a delta, not a whole model');
  const kept = reusable(previous, header.fingerprints?.context);
  const virtualServers: VirtualServer[] = [];
  const paths = new Map<string, string>();
  let i = 0;
  for (const line of linesAfter(bytes, first, header.virtualServerLines)) {
    const fp = header.fingerprints?.virtualServers[i++];
    const same = fp === undefined ? undefined : kept.get(fp);
    virtualServers.push(same ?? parseVs(bytes, line, paths));
  }
  return modelOf(header, virtualServers);
}

/**
 * The Model of a delta file's bytes (modelFileLinesWithDelta) made against the model file named
 * `baseId`: each virtual server taken by its fingerprint from `previous` (the model the reader
 * runs) when it has it, else parsed from the delta's line, else from `base`, that model file's bytes. `stale`
 * when the delta was made against another model file (a newer one replaced it: the delta is not to
 * be read); `needs base` when a virtual server is to come from `base` and it was not given (read it,
 * and call again). Throws on bytes that are not a delta, or a virtual server neither holds.
 */
export function parseModelDelta(
  bytes: Buffer,
  baseId: string | undefined,
  previous: Model | undefined,
  base?: Buffer,
): Model | 'stale' | 'needs base' {
  const found = headerIn(bytes);
  const delta = found?.header.delta;
  const fps = found?.header.fingerprints;
  if (!found || !delta || !fps) throw new Error('model delta: no delta header');
  if (baseId === undefined || delta.base !== baseId) return 'stale';
  const kept = reusable(previous, fps.context);
  const own = linesAfter(bytes, found.first, found.header.virtualServerLines);
  let fromBase: Map<string, VirtualServer> | undefined;
  const virtualServers: VirtualServer[] = [];
  const paths = new Map<string, string>();
  let next = 0;
  for (let i = 0; i < fps.virtualServers.length; i++) {
    const fp = fps.virtualServers[i]!;
    if (delta.lines[next] === i) {
      const line = own.next();
      if (line.done) throw new Error(`model delta: ${delta.lines.length} lines announced, ${next} found`);
      // one the reader runs already (a delta made against a model.json older than what runs, the
      // whole file of the reload before not written) is kept as any other
      virtualServers.push(kept.get(fp) ?? parseVs(bytes, line.value, paths));
      next++;
      continue;
    }
    let vs = kept.get(fp);
    if (vs === undefined) {
      if (!base) return 'needs base';
      fromBase ??= byFingerprint(base);
      vs = fromBase.get(fp);
      if (vs === undefined)
        throw new Error(`model delta: virtual server ${i} is in neither the delta nor its base`);
    }
    virtualServers.push(vs);
  }
  if (next !== delta.lines.length)
    throw new Error(`model delta: ${delta.lines.length - next} lines out of order`);
  return modelOf(found.header, virtualServers);
}

/** A model file's virtual servers by fingerprint (all parsed: a delta's rare fallback). */
function byFingerprint(bytes: Buffer): Map<string, VirtualServer> {
  const m = parseModelText(bytes);
  return reusable(m, m.fingerprints?.context);
}

/**
 * The length in bytes of the model file that `bytes` starts with (its header and the lines the
 * header announces), so that two model files written one after the other split without parsing
 * their virtual servers. Throws when `bytes` does not start with a whole one.
 */
export function modelFileLength(bytes: Buffer): number {
  const first = bytes.indexOf(0x0a);
  const header = first < 0 ? undefined : headerOf(bytes.toString('utf8', 0, first));
  if (!header) throw new Error('model file: no header line');
  let at = first + 1;
  for (let i = 0; i < header.virtualServerLines; i++) {
    const end = bytes.indexOf(0x0a, at);
    if (end < 0)
      throw new Error(`model file: ${header.virtualServerLines} virtual servers announced, ${i} found`);
    at = end + 1;
  }
  return at;
}
