// SPDX-License-Identifier: Apache-2.0
/**
 * The VRRP process's tracker runners: `vrrp_script` (run every `interval` through the script
 * runner, its process group killed after `timeout`, never overlapping itself, as its user, else
 * `script_user`; stopping the trackers kills the runs still going), `vrrp_track_file` (polled;
 * `init_file` honoured) and `track_interface` (rtnetlink link events). Each observation goes to
 * every instance that tracks the object (VrrpInstance.observe); the pure rules are in tracking.ts.
 * `vrrp_track_process` runs on the kernel's process events (process-trackers.io.ts).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import type { Logger } from '../core/log.js';
import type { Model } from '../config/model.js';
import type { TrackerRunner, TrackerTarget } from './ports.js';
import { withDefaultUser } from '../script/command.js';
import { succeeded } from '../script/outcome.js';
import { ScriptRunner } from '../script/runner.io.js';
import type { TrackerInput } from './tracking.js';
import { startProcessTrackers } from './process-trackers.io.js';

/** How often track files are read [keepalived uses inotify; polling keeps this portable]. */
export const TRACK_FILE_POLL_MS = 500;

export function startTrackers(
  model: Model,
  instances: readonly TrackerTarget[],
  log: Logger,
  scripts: ScriptRunner = new ScriptRunner(),
): TrackerRunner {
  const timers: NodeJS.Timeout[] = [];
  const counters = {
    scriptRuns: 0,
    scriptTimeouts: 0,
    scriptErrors: 0,
    get processes() {
      return processes?.counters;
    },
  };
  let stopped = false;
  const broadcast = (input: TrackerInput) => {
    if (stopped) return;
    for (const i of instances) if (i.tracks(input.kind, input.name)) i.observe(input);
  };
  const used = (kind: TrackerInput['kind'], name: string) => instances.some((i) => i.tracks(kind, name));

  for (const s of model.vrrpScripts) {
    if (!used('script', s.name)) continue;
    const cmd = withDefaultUser(s.script, model.global.scriptUser);
    let running = false;
    let lastError: string | undefined;
    const runOnce = () => {
      if (running || stopped) return;
      running = true;
      counters.scriptRuns++;
      void scripts.run(cmd, { timeoutMs: s.timeoutMs }).then((o) => {
        running = false;
        if (o.kind === 'aborted') return; // stopped: no result
        if (o.kind === 'timeout') counters.scriptTimeouts++;
        if (o.kind === 'error') {
          counters.scriptErrors++;
          // once per new reason, not once per interval
          if (o.error !== lastError)
            log.warn('vrrp_script failed to run', { script: s.name, error: o.error });
        }
        lastError = o.kind === 'error' ? o.error : undefined;
        broadcast({ kind: 'script', name: s.name, ok: succeeded(o) });
      });
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

  // its first scan of /proc reports at once (the engine starts the trackers before the instances)
  const processes = startProcessTrackers(
    model,
    (name) => used('process', name),
    (c) => broadcast({ kind: 'process', name: c.name, up: c.up }),
    log,
  );

  return {
    counters,
    link(name, up) {
      if (used('interface', name)) broadcast({ kind: 'interface', name, up });
    },
    stop() {
      stopped = true;
      for (const t of timers) clearInterval(t);
      processes?.stop();
      return scripts.stop();
    },
  };
}
