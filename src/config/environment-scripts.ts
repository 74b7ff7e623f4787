// SPDX-License-Identifier: Apache-2.0
/**
 * The scripts half of the host checks (environment.ts): every script of a Model is found, has a
 * user to run as, and passes keepalived's script security (src/script/security.ts), as keepalived
 * checks them when it loads its configuration. Pure: the machine is the `ScriptHost` port.
 *
 * Severities (what keepalived refuses is an error; keepalived disables the script and goes on,
 * lvsd refuses the configuration):
 * - a program that does not exist or is not executable (by its user): error ("... - disabling");
 * - an unknown user or group: error ("Invalid user/group ... - ignoring");
 * - with `enable_script_security`: a script that would run as root from a path a non-root user
 *   could change, and a script with no user, no `script_user` and no `keepalived_script` user:
 *   errors, with keepalived's messages;
 * - without it: keepalived runs them and says so, so warnings: each unsafe script ("Unsafe
 *   permissions found for script '...'.") and, once per engine that has scripts, keepalived's
 *   "SECURITY VIOLATION - [check ]scripts are being executed but script_security not enabled."
 *   (with " There are insecure scripts." when one is).
 */
import { perObject } from '../core/per-object.js';
import { runsInShell } from '../script/command.js';
import { checkScript, runAs, type Ids, type ScriptFiles } from '../script/security.js';
import type { ResolvedIds } from '../script/users.js';
import type { Diagnostics } from './diagnostics.js';
import type { Model, ScriptSpec, SourceLoc, VirtualServer } from './model.js';

/** The machine as the script rules see it. */
export interface ScriptHost {
  readonly files: ScriptFiles;
  /** `user [group]` → ids (/etc/passwd and /etc/group). */
  readonly lookup: (user: string, group?: string) => ResolvedIds;
  /** lvsd's own uid and gid. */
  readonly self: Ids;
  /** The PATH scripts get, which bare program names are looked up in. */
  readonly path: string;
  /** lvsd's working directory (relative script paths). */
  readonly cwd: string;
}

/** keepalived checks the scripts of each of its processes on its own, with its own summary line. */
type Engine = 'vrrp' | 'check';

interface Listed {
  readonly spec: ScriptSpec;
  /** How diagnostics name it: `vrrp_instance \`V\` notify_master`. */
  readonly what: string;
  readonly engines: readonly Engine[];
}

const notifyKinds = ['master', 'backup', 'fault', 'stop', 'any', 'masterRxLowerPri', 'deleted'] as const;

function notifyName(k: (typeof notifyKinds)[number]): string {
  return k === 'any' ? 'notify' : k === 'masterRxLowerPri' ? 'notify_master_rx_lower_pri' : `notify_${k}`;
}

/**
 * The scripts of one virtual server (with its real servers' and checkers'), made once per object: a
 * reload that kept the virtual server (config/incremental.ts) walks none of its reals again (at
 * 10,000 x 10 the walk was ~10 ms of the standby validator's answer). Its findings are not kept:
 * each script is checked on the machine at every load.
 */
const vsScripts = perObject((vs: VirtualServer): readonly Listed[] => {
  const list: Listed[] = [];
  const add = (spec: ScriptSpec | undefined, what: string): void => {
    if (spec && spec.argv[0] !== undefined) list.push({ spec, what, engines: ['check'] });
  };
  add(vs.quorumUp, 'quorum_up');
  add(vs.quorumDown, 'quorum_down');
  for (const rs of vs.realServers) {
    add(rs.notifyUp, `real_server ${rs.address} notify_up`);
    add(rs.notifyDown, `real_server ${rs.address} notify_down`);
    for (const c of rs.checkers) if (c.type === 'MISC_CHECK') add(c.miscPath, 'MISC_CHECK misc_path');
  }
  return list;
});

/** Every script of the Model, once, with the engines that run it. */
export function modelScripts(model: Model): Listed[] {
  const out: Listed[] = [];
  const add = (spec: ScriptSpec | undefined, what: string, ...engines: Engine[]): void => {
    if (spec && spec.argv[0] !== undefined) out.push({ spec, what, engines });
  };
  const g = model.global;
  add(g.notifyFifo?.script, 'notify_fifo_script', 'vrrp', 'check');
  add(g.vrrpNotifyFifo?.script, 'vrrp_notify_fifo_script', 'vrrp');
  add(g.lvsNotifyFifo?.script, 'lvs_notify_fifo_script', 'check');
  for (const s of model.vrrpScripts) add(s.script, `vrrp_script \`${s.name}\``, 'vrrp');
  for (const i of model.vrrpInstances)
    for (const k of notifyKinds) add(i.notify[k], `vrrp_instance \`${i.name}\` ${notifyName(k)}`, 'vrrp');
  for (const sg of model.syncGroups)
    for (const k of notifyKinds) add(sg.notify[k], `vrrp_sync_group \`${sg.name}\` ${notifyName(k)}`, 'vrrp');
  for (const vs of model.virtualServers) for (const l of vsScripts(vs)) out.push(l);
  return out;
}

/** What one script's check found, for the summary. */
type Finding = 'refused' | 'safe' | 'unsafe' | 'not-a-script';

interface ScriptContext {
  readonly model: Model;
  readonly host: ScriptHost;
  /** Why the program cannot be run at all (missing, not executable), as `EnvironmentProbe`. */
  readonly scriptProblem: (program: string) => string | undefined;
  readonly diags: Diagnostics;
}

function checkOne(cx: ScriptContext, { spec, what }: Listed): Finding {
  const program = spec.argv[0] ?? '';
  // keepalived's `</path` file test is run by /bin/sh: there is no program of the user's
  if (runsInShell(spec.argv)) return 'not-a-script';
  const problem = cx.scriptProblem(program);
  if (problem !== undefined) {
    cx.diags.error(spec.loc, `${what}: cannot run ${program}: ${problem}`);
    return 'refused';
  }
  const g = cx.model.global;
  const secure = g.enableScriptSecurity;
  const who = runAs(program, spec, {
    scriptUser: g.scriptUser,
    secure,
    lookup: cx.host.lookup,
    self: cx.host.self,
  });
  if (!who.ok) {
    if (who.refused) cx.diags.error(spec.loc, `${what}: ${who.reason}`);
    else {
      const named = spec.user !== undefined ? spec.user : `${g.scriptUser?.user ?? ''} (script_user)`;
      cx.diags.error(spec.loc, `${what}: cannot run ${program} as ${named}: ${who.reason}`);
    }
    return 'refused';
  }
  const { files, path, cwd } = cx.host;
  const v = checkScript({ program, ids: who, secure, path, cwd }, files);
  if (!v.ok) {
    cx.diags.error(spec.loc, `${what}: ${v.message}`);
    return 'refused';
  }
  if (v.unsafe === undefined) return 'safe';
  cx.diags.warning(spec.loc, `${what}: ${v.unsafe}`);
  return 'unsafe';
}

function summaryOf(engine: Engine): string {
  const scripts = engine === 'vrrp' ? 'scripts' : 'check scripts';
  return `SECURITY VIOLATION - ${scripts} are being executed but script_security not enabled.`;
}

/** Check every script of `model` (see the module comment); findings go to `diags`. */
export function checkScripts(
  model: Model,
  host: ScriptHost,
  scriptProblem: (program: string) => string | undefined,
  diags: Diagnostics,
): void {
  const cx: ScriptContext = { model, host, scriptProblem, diags };
  const ran = new Map<Engine, { loc: SourceLoc; insecure: boolean }>();
  for (const listed of modelScripts(model)) {
    const found = checkOne(cx, listed);
    if (found !== 'safe' && found !== 'unsafe') continue;
    for (const e of listed.engines) {
      const seen = ran.get(e);
      ran.set(e, {
        loc: seen?.loc ?? listed.spec.loc,
        insecure: (seen?.insecure ?? false) || found === 'unsafe',
      });
    }
  }
  if (model.global.enableScriptSecurity) return;
  // keepalived says it only for a process that runs: VRRP with instances, the checker with services
  const engines: Engine[] = [];
  if (model.vrrpInstances.length > 0) engines.push('vrrp');
  if (model.virtualServers.length > 0) engines.push('check');
  for (const e of engines) {
    const r = ran.get(e);
    if (r) diags.warning(r.loc, `${summaryOf(e)}${r.insecure ? ' There are insecure scripts.' : ''}`);
  }
}
