// SPDX-License-Identifier: Apache-2.0
/**
 * Start-time checks of a valid Model against the machine it runs on: interfaces and scripts exist.
 * `lvsd check-config` does not run them (a config is checked on a workstation or in CI); `lvsd run`
 * does, and reports the findings with the same `file:line:col` locations. Pure: the machine is
 * reached through the `EnvironmentProbe` port (load.ts has the real one).
 */
import { runsInShell } from '../script/command.js';
import { Diagnostics, sortDiagnostics } from './diagnostics.js';
import type { Diagnostic, Model, ScriptSpec, SourceLoc } from './model.js';

export interface EnvironmentProbe {
  /** True when a network interface of that name exists (`ip link show NAME`). */
  interfaceExists(name: string): boolean;
  /**
   * Why a script cannot be run, or undefined when it can: the program (argv[0]) must exist and be
   * executable. Relative names are looked up as the shell would (PATH).
   */
  scriptProblem(program: string): string | undefined;
  /** Why a script cannot run as `user [group]` (unknown user or group), or undefined. */
  userProblem?(user: string, group: string | undefined): string | undefined;
}

const notifyKinds = ['master', 'backup', 'fault', 'stop', 'any', 'masterRxLowerPri', 'deleted'] as const;

function notifyName(k: (typeof notifyKinds)[number]): string {
  return k === 'any' ? 'notify' : k === 'masterRxLowerPri' ? 'notify_master_rx_lower_pri' : `notify_${k}`;
}

/** Findings (errors) for everything in `model` that the machine cannot provide. */
export function checkEnvironment(model: Model, probe: EnvironmentProbe): Diagnostic[] {
  const diags = new Diagnostics();
  const seenIf = new Map<string, boolean>();
  const iface = (name: string, loc: SourceLoc, what: string): void => {
    let ok = seenIf.get(name);
    if (ok === undefined) {
      ok = probe.interfaceExists(name);
      seenIf.set(name, ok);
    }
    if (!ok) diags.error(loc, `${what}: interface ${name} does not exist on this machine`);
  };
  const scriptUser = model.global.scriptUser;
  const script = (s: ScriptSpec | undefined, what: string): void => {
    const program = s?.argv[0];
    if (!s || program === undefined) return;
    // keepalived's `</path` file test is run by /bin/sh: there is no program to find
    const problem = runsInShell(s.argv) ? undefined : probe.scriptProblem(program);
    if (problem !== undefined) diags.error(s.loc, `${what}: cannot run ${program}: ${problem}`);
    // The script's own user, else script_user.
    const who = s.user !== undefined ? { user: s.user, group: s.group } : scriptUser;
    const userProblem = who && probe.userProblem?.(who.user, who.group);
    if (userProblem) {
      const via = s.user !== undefined ? '' : ' (script_user)';
      diags.error(s.loc, `${what}: cannot run ${program} as ${who.user}${via}: ${userProblem}`);
    }
  };

  const sd = model.global.lvsSyncDaemon;
  if (sd) iface(sd.interface, sd.loc, 'lvs_sync_daemon');
  for (const f of [model.global.notifyFifo, model.global.vrrpNotifyFifo, model.global.lvsNotifyFifo]) {
    script(f?.script, 'notify_fifo_script');
  }
  for (const s of model.vrrpScripts) script(s.script, `vrrp_script \`${s.name}\``);
  for (const i of model.vrrpInstances) {
    const where = `vrrp_instance \`${i.name}\``;
    iface(i.interface, i.loc, where);
    for (const v of [...i.vips, ...i.excludedVips]) {
      if (v.dev !== i.interface) iface(v.dev, v.loc, `${where} address ${v.address}`);
    }
    for (const t of i.trackInterfaces) iface(t.name, t.loc, `${where} track_interface`);
    for (const k of notifyKinds) script(i.notify[k], `${where} ${notifyName(k)}`);
  }
  for (const g of model.syncGroups) {
    for (const t of g.trackInterfaces) iface(t.name, t.loc, `vrrp_sync_group \`${g.name}\` track_interface`);
    for (const k of notifyKinds) {
      script(g.notify[k], `vrrp_sync_group \`${g.name}\` ${notifyName(k)}`);
    }
  }
  for (const vs of model.virtualServers) {
    script(vs.quorumUp, 'quorum_up');
    script(vs.quorumDown, 'quorum_down');
    for (const rs of vs.realServers) {
      script(rs.notifyUp, `real_server ${rs.address} notify_up`);
      script(rs.notifyDown, `real_server ${rs.address} notify_down`);
      for (const c of rs.checkers) {
        if (c.bindIf !== undefined) iface(c.bindIf, c.loc, `${c.type} bind_if`);
        if (c.type === 'MISC_CHECK') script(c.miscPath, 'MISC_CHECK misc_path');
      }
    }
  }
  return sortDiagnostics(diags.list);
}
