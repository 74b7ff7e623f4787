// SPDX-License-Identifier: Apache-2.0
/**
 * The real machine as the host checks' port (environment.ts `HostProbe`), and `hostDiagnostics`,
 * what `lvsd run` (at start and on reload) and `lvsd check-config --host` call: /sys/class/net for
 * interfaces, the addresses Node sees on them, the file system and /etc/passwd for scripts, lvsd's
 * own uid/gid, the PATH scripts get (src/script/env.ts), and whether nft is installed.
 */
import { existsSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import type { IpFamily } from '../core/addr.js';
import { scriptEnvironment } from '../script/env.js';
import { realScriptFiles } from '../script/files.io.js';
import { lookupIds } from '../script/users.io.js';
import { checkEnvironment, hostAddress, type HostProbe } from './environment.js';
import { machineProbe } from './load.io.js';
import { nftPath } from '../nft/nft-cli.io.js';
import type { Diagnostic, Model } from './model.js';

/** Node 18.0-18.3 said 4/6, later versions 'IPv4'/'IPv6'. */
function familyOf(f: string | number): IpFamily | undefined {
  if (f === 'IPv4' || f === 4) return 'inet';
  if (f === 'IPv6' || f === 6) return 'inet6';
  return undefined;
}

/** The addresses on `name`, as the engine's AddrEntry (no DAD or secondary flags from Node). */
function addressesOf(name: string): ReturnType<HostProbe['interfaceAddresses']> {
  return (networkInterfaces()[name] ?? []).flatMap((a) => {
    const family = familyOf(a.family);
    const prefix = Number(a.cidr?.split('/')[1] ?? (family === 'inet' ? 32 : 128));
    return family ? [hostAddress(family, a.address.replace(/%.*$/, ''), prefix)] : [];
  });
}

/** This machine as a HostProbe; `env` gives PATH (lvsd's, which scripts get too). */
export function hostProbe(env: Record<string, string | undefined> = process.env): HostProbe {
  return {
    ...machineProbe(env),
    interfaceAddresses: addressesOf,
    scripts: {
      files: realScriptFiles,
      lookup: lookupIds,
      self: { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 },
      path: scriptEnvironment(env['PATH']).PATH,
      cwd: process.cwd(),
    },
    // nftPath is absolute when nft is installed in one of the usual places
    nftInstalled: () => nftPath.startsWith('/') && existsSync(nftPath),
  };
}

/** The host checks of `model` on this machine: errors refuse it, warnings are to be logged. */
export function hostDiagnostics(
  model: Model,
  env: Record<string, string | undefined> = process.env,
): Diagnostic[] {
  return checkEnvironment(model, hostProbe(env));
}
