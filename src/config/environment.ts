// SPDX-License-Identifier: Apache-2.0
/**
 * Host checks: a valid Model against the machine it is to run on (interfaces, addresses, scripts,
 * users, script security), located at the `file:line:col` of what they are about. `lvsd run` runs
 * them at start and on reload; `lvsd check-config --host` on the machine it runs on (plain
 * `check-config` does not: a config is checked on a workstation or in CI too). Pure: the machine is
 * reached through the `HostProbe` port (host.io.ts has the real one).
 *
 * Severities: what keepalived refuses is an error; what the daemon waits for is a warning.
 * - A missing interface (of an instance, a VIP's `dev`, `track_interface`, `lvs_sync_daemon`, a
 *   checker's `bind_if`) or an instance's interface without a usable source address: warnings.
 *   keepalived starts with them, and so does lvsd: the VRRP engine makes such an instance wait
 *   (logged once with its file:line) and starts it when the interface or address appears; a
 *   tracked interface that is missing is down (the instance is FAULT) until it appears; a probe
 *   bound to a missing interface fails until it appears. A machine that is still booting (DHCP,
 *   ifup order) is not an error.
 * - Scripts (environment-scripts.ts): a missing or non-executable program, an unknown user or
 *   group, and what `enable_script_security` refuses are errors (keepalived disables the script;
 *   lvsd will not run a configuration that has one); keepalived's script security warnings without
 *   the option are warnings.
 * - An instance that needs the VRRP nftables table (no_accept, use_vmac) without the nft program:
 *   an error (lvsd could not do what the file says).
 */
import type { IpFamily } from '../core/addr.js';
import { perObject } from '../core/per-object.js';
import type { AddrEntry } from '../netlink/rtnl.js';
import { sourceAddress } from '../vrrp/addresses.js';
import { Diagnostics, sortDiagnostics } from './diagnostics.js';
import { checkScripts, type ScriptHost } from './environment-scripts.js';
import type { Diagnostic, Model, SourceLoc, VirtualServer } from './model.js';

export type { ScriptHost } from './environment-scripts.js';

/** The first host checks' port (load.io.ts `machineProbe` fills it). */
export interface EnvironmentProbe {
  /** True when a network interface of that name exists (`ip link show NAME`). */
  interfaceExists(name: string): boolean;
  /**
   * Why a script cannot be run, or undefined when it can: the program (argv[0]) must exist and be
   * executable. Relative names are looked up as the shell would (PATH).
   */
  scriptProblem(program: string): string | undefined;
  /**
   * Why a script cannot run as `user [group]`, or undefined. Not used by `checkEnvironment`, which
   * resolves users through `HostProbe.scripts.lookup` (it needs the ids).
   */
  userProblem?(user: string, group: string | undefined): string | undefined;
}

/** The machine as `checkEnvironment` sees it (host.io.ts `hostProbe` builds the real one). */
export interface HostProbe extends EnvironmentProbe {
  /** The addresses on an interface (`ip addr show dev NAME`); none when it has none. */
  interfaceAddresses(name: string): readonly AddrEntry[];
  /** Files, users, lvsd's ids and the scripts' PATH, for the script rules. */
  readonly scripts: ScriptHost;
  /** Whether the nftables program (`nft`) is installed; not checked when absent. */
  nftInstalled?(): boolean;
}

/** An address as the probe reports it, in the engine's AddrEntry shape (what sourceAddress reads). */
export function hostAddress(family: IpFamily, address: string, prefixLen: number): AddrEntry {
  return {
    family,
    address,
    prefixLen,
    ifindex: 0,
    scope: 0,
    label: undefined,
    secondary: false,
    tentative: false,
  };
}

function checkInterfaces(model: Model, probe: HostProbe, diags: Diagnostics): void {
  const seen = new Map<string, boolean>();
  const exists = (name: string): boolean => {
    let ok = seen.get(name);
    if (ok === undefined) seen.set(name, (ok = probe.interfaceExists(name)));
    return ok;
  };
  const iface = (name: string, loc: SourceLoc, what: string, then?: string): void => {
    const after = then !== undefined ? ` (${then})` : '';
    if (!exists(name))
      diags.warning(loc, `${what}: interface ${name} does not exist on this machine${after}`);
  };
  const sd = model.global.lvsSyncDaemon;
  if (sd) iface(sd.interface, sd.loc, 'lvs_sync_daemon');
  for (const i of model.vrrpInstances) {
    const where = `vrrp_instance \`${i.name}\``;
    const waits = 'the instance waits for it';
    iface(i.interface, i.loc, where, waits);
    if (exists(i.interface) && sourceAddress(i, probe.interfaceAddresses(i.interface)) === undefined)
      diags.warning(
        i.loc,
        `${where}: no usable ${i.family} source address on ${i.interface} (the instance waits for one)`,
      );
    for (const v of i.vips)
      if (v.dev !== i.interface) iface(v.dev, v.loc, `${where} address ${v.address}`, waits);
    for (const v of i.excludedVips)
      if (v.dev !== i.interface) iface(v.dev, v.loc, `${where} address ${v.address}`);
    for (const t of i.trackInterfaces) iface(t.name, t.loc, `${where} track_interface`, 'it counts as down');
  }
  for (const g of model.syncGroups)
    for (const t of g.trackInterfaces)
      iface(t.name, t.loc, `vrrp_sync_group \`${g.name}\` track_interface`, 'it counts as down');
  for (const vs of model.virtualServers)
    for (const b of vsBindIfs(vs)) iface(b.name, b.loc, b.what, 'its probes fail until it exists');
}

/** A checker's `bind_if`: the interface its probes leave by. */
interface BindIf {
  name: string;
  loc: SourceLoc;
  what: string;
}

/**
 * The `bind_if`s of one virtual server's checkers, found once per object: a reload that kept it
 * (config/incremental.ts) walks none of its reals again. Whether each interface exists is asked
 * of the machine at every load.
 */
const vsBindIfs = perObject((vs: VirtualServer): readonly BindIf[] => {
  const list: BindIf[] = [];
  for (const rs of vs.realServers)
    for (const c of rs.checkers)
      if (c.bindIf !== undefined)
        list.push({ name: c.bindIf, loc: c.bindIfLoc ?? c.loc, what: `${c.type} bind_if` });
  return list;
});

/**
 * The VRRP nftables table (no_accept on a non-owner, a VMAC's IGMP/MLD) is applied with `nft`: an
 * instance that needs it on a machine without nftables could not do what its file says.
 */
function checkNftables(model: Model, probe: HostProbe, diags: Diagnostics): void {
  if (probe.nftInstalled === undefined || probe.nftInstalled()) return;
  for (const i of model.vrrpInstances) {
    const why =
      !i.accept && i.priority !== 255
        ? 'no_accept (drops traffic to its VIPs while MASTER)'
        : i.useVmac !== undefined
          ? 'use_vmac (sends the VMAC IGMP/MLD reports from its interface)'
          : undefined;
    if (why)
      diags.error(
        i.loc,
        `vrrp_instance \`${i.name}\`: ${why} needs lvsd's VRRP nftables table, and the nft program (package nftables) is not installed`,
      );
  }
}

/** Findings for everything in `model` that this machine cannot provide (see the module comment). */
export function checkEnvironment(model: Model, probe: HostProbe): Diagnostic[] {
  const diags = new Diagnostics();
  checkInterfaces(model, probe, diags);
  checkNftables(model, probe, diags);
  checkScripts(model, probe.scripts, (p) => probe.scriptProblem(p), diags);
  return sortDiagnostics(diags.list);
}
