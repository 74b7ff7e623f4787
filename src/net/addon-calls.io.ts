// SPDX-License-Identifier: Apache-2.0
/**
 * Every call lvsd makes into its native addon (native/*.c, `NativeAddon`), checked when the addon
 * loads: an addon built from older sources (a `build/Release` left from before `npm run build:native`)
 * would otherwise fail at the first use of a newer call, somewhere in a running worker (the LVS
 * worker's first malloc trim, long after its start). The record's type makes the list complete:
 * a call added to `NativeAddon` and not here does not compile. An .io module as the interface is the
 * addon loader's (raw-socket.io.ts).
 */
import type { NativeAddon } from './raw-socket.io.js';

const addonCalls: Record<keyof NativeAddon, true> = {
  openIp: true,
  openIcmp: true,
  sendIp: true,
  openPacket: true,
  sendPacket: true,
  close: true,
  sockDrops: true,
  sdNotify: true,
  tcpEngineCreate: true,
  tcpEngineAdd: true,
  tcpEngineResume: true,
  tcpEngineRemove: true,
  tcpEngineStats: true,
  tcpEngineStop: true,
  ifNameToIndex: true,
  flockExclusive: true,
  setParentDeathSignal: true,
  setRealtime: true,
  setNormalScheduling: true,
  setNice: true,
  setRtTimeLimit: true,
  mallocTrim: true,
  mkfifo: true,
  openNetlink: true,
  sendNetlink: true,
  netlinkPort: true,
  exchangeNetlink: true,
  keepLoopAlive: true,
  openTimer: true,
  setTimer: true,
  procScan: true,
  procEventsOpen: true,
  procEventsClose: true,
  procEventsStats: true,
  procEventsSetRcvBuf: true,
  spawnScript: true,
  scriptSpawnSupported: true,
};

/** The calls `addon` lacks (not functions), in the interface's order. */
export function missingAddonCalls(addon: object): string[] {
  return Object.keys(addonCalls).filter((k) => typeof (addon as Record<string, unknown>)[k] !== 'function');
}
