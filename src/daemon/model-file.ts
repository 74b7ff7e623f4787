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
 * Plain JSON (one line: an older lvsd, a hand-made file) reads as before. Pure.
 */
import { VsTextCache } from '../config/fingerprints.js';
import type { Model, VirtualServer } from '../config/model.js';
import { vrrpView } from '../config/views.js';

interface Header extends Omit<Model, 'virtualServers'> {
  /** Lines that follow, one virtual server each. */
  virtualServerLines: number;
}

/** model.json's lines (header first), the virtual servers' JSON given when already made. */
function modelFileLines(model: Model, vsJson: readonly string[]): string[] {
  const { virtualServers, ...rest } = model;
  const header: Header = { ...rest, virtualServerLines: virtualServers.length };
  return [JSON.stringify(header), ...vsJson];
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
 * model.vrrp.json's text: the VRRP worker's view of `model` (config/views.ts), as a model file; each
 * virtual server's line from `texts` when it has it.
 */
export function vrrpModelFileText(model: Model, texts = new VsTextCache()): string {
  const lines = modelFileLines(
    vrrpView(model),
    model.virtualServers.map((vs) => texts.viewOf(vs)),
  );
  return lines.join('\n') + '\n';
}

/**
 * The texts of the two files the supervisor hands its workers: model.json (with fingerprints) and
 * model.vrrp.json. Each a string: for a model of a small file, or at start (the validating child
 * writes a large one's lines one by one instead: cli/commands/check-config.ts).
 */
export function modelFilesText(model: Model): { whole: string; vrrp: string } {
  return { whole: fingerprintedModelLines(model).join('\n') + '\n', vrrp: vrrpModelFileText(model) };
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

/**
 * The Model of a model.json's bytes (or text); virtual servers whose fingerprint is unchanged since
 * `previous` are `previous`'s objects, and their lines are neither decoded nor parsed (a newline
 * byte is never part of a UTF-8 sequence, so the bytes split as the text does). Throws on input
 * that is not a model file.
 */
export function parseModelText(input: Buffer | string, previous?: Model): Model {
  const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  const first = bytes.indexOf(0x0a);
  const header = first < 0 ? undefined : headerOf(bytes.toString('utf8', 0, first));
  if (!header) return JSON.parse(bytes.toString('utf8')) as Model; // plain JSON
  const { virtualServerLines, ...rest } = header;
  const kept = reusable(previous, rest.fingerprints?.context);
  const virtualServers: VirtualServer[] = [];
  let at = first + 1;
  for (let i = 0; i < virtualServerLines; i++) {
    const end = bytes.indexOf(0x0a, at);
    if (end < 0) throw new Error(`model file: ${virtualServerLines} virtual servers announced, ${i} found`);
    const fp = rest.fingerprints?.virtualServers[i];
    const same = fp === undefined ? undefined : kept.get(fp);
    virtualServers.push(same ?? (JSON.parse(bytes.toString('utf8', at, end)) as VirtualServer));
    at = end + 1;
  }
  return { ...rest, virtualServers };
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
