// SPDX-License-Identifier: Apache-2.0
/**
 * The VRRP process's tracker runners: `vrrp_script` (spawned every `interval`, killed after
 * `timeout`, never overlapping itself, as `script_user` when set), `vrrp_track_file` (polled;
 * `init_file` honoured) and `track_interface` (rtnetlink link events). Each observation goes to
 * every instance that tracks the object (VrrpInstance.observe); the pure rules are in tracking.ts.
 */
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import type { Logger } from '../core/log.js';
import type { Model } from '../config/model.js';
import type { TrackerRunner, TrackerTarget } from '../vrrp/ports.js';
import { lookupUser } from '../vrrp/notify.js';
import type { TrackerInput } from '../vrrp/tracking.js';

/** How often track files are read [keepalived uses inotify; polling keeps this portable]. */
export const TRACK_FILE_POLL_MS = 500;

export function startTrackers(model: Model, instances: readonly TrackerTarget[], log: Logger): TrackerRunner {
  const timers: NodeJS.Timeout[] = [];
  const counters = { scriptRuns: 0, scriptTimeouts: 0, scriptErrors: 0 };
  let stopped = false;
  const broadcast = (input: TrackerInput) => {
    if (stopped) return;
    for (const i of instances) if (i.tracks(input.kind, input.name)) i.observe(input);
  };
  const used = (kind: TrackerInput['kind'], name: string) => instances.some((i) => i.tracks(kind, name));

  for (const s of model.vrrpScripts) {
    if (!used('script', s.name)) continue;
    const who =
      s.script.user !== undefined ? { user: s.script.user, group: s.script.group } : model.global.scriptUser;
    let running = false;
    const runOnce = () => {
      if (running || stopped) return;
      const [file, ...args] = s.script.argv;
      if (!file) return;
      const ids = who && process.getuid?.() === 0 ? lookupUser(who.user, who.group) : undefined;
      if (who && process.getuid?.() === 0 && !ids) {
        counters.scriptErrors++;
        broadcast({ kind: 'script', name: s.name, ok: false });
        return;
      }
      running = true;
      counters.scriptRuns++;
      let done = false;
      const finish = (ok: boolean) => {
        if (done) return;
        done = true;
        running = false;
        clearTimeout(kill);
        broadcast({ kind: 'script', name: s.name, ok });
      };
      const child = spawn(file, args, { stdio: 'ignore', ...(ids ? { uid: ids.uid, gid: ids.gid } : {}) });
      const kill = setTimeout(() => {
        counters.scriptTimeouts++;
        child.kill('SIGKILL');
        finish(false);
      }, s.timeoutMs);
      child.on('error', (e) => {
        counters.scriptErrors++;
        log.warn('vrrp_script failed to run', { script: s.name, error: e.message });
        finish(false);
      });
      child.on('exit', (code) => finish(code === 0));
    };
    runOnce();
    timers.push(setInterval(runOnce, s.intervalMs));
  }

  for (const f of model.trackFiles) {
    if (!used('file', f.name)) continue;
    const init = f.initFile;
    if (init && (init.overwrite || !existsSync(f.file))) {
      writeFile(f.file, `${init.value}\n`).catch((e: Error) =>
        log.warn('cannot create track file', { file: f.file, error: e.message }),
      );
    }
    let last: number | undefined;
    const poll = () => {
      readFile(f.file, 'utf8')
        .then((text) => Number.parseInt(text.trim(), 10))
        .catch(() => 0) // a missing or unreadable file counts as 0, as in keepalived
        .then((v) => {
          const value = Number.isFinite(v) ? v : 0;
          if (value !== last) {
            last = value;
            broadcast({ kind: 'file', name: f.name, value });
          }
        })
        .catch(() => undefined);
    };
    poll();
    timers.push(setInterval(poll, TRACK_FILE_POLL_MS));
  }

  return {
    counters,
    link(name, up) {
      if (used('interface', name)) broadcast({ kind: 'interface', name, up });
    },
    stop() {
      stopped = true;
      for (const t of timers) clearInterval(t);
    },
  };
}
