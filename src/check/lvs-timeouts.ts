// SPDX-License-Identifier: Apache-2.0
/**
 * `lvs_timeouts` as keepalived carries it out (check/check_daemon.c, libipvs.c ipvs_set_timeout):
 * before the first change the kernel's timeouts are read and kept; the configured ones are set
 * (`ipvsadm --set`), a timeout not configured taking the kept value; a reload without
 * `lvs_timeouts` and the worker's stop put the kept values back (a hitless restart hands them to the
 * next process instead). Pure: the kernel is a port.
 */
import type { Logger } from '../core/log.js';
import type { IpvsTimeouts } from '../ipvs/model.js';
import type { IpvsKernel } from '../ipvs/ops.js';

/** `lvs_timeouts` from the Model (milliseconds; absent = not configured). */
export interface TimeoutSetting {
  tcpMs?: number;
  tcpFinMs?: number;
  udpMs?: number;
}

/** The kernel timeouts (seconds) for a setting over the kept originals. */
export function timeoutsFor(setting: TimeoutSetting, original: IpvsTimeouts): IpvsTimeouts {
  const s = (ms: number | undefined, orig: number): number =>
    ms === undefined ? orig : Math.round(ms / 1000);
  return {
    tcp: s(setting.tcpMs, original.tcp),
    tcpFin: s(setting.tcpFinMs, original.tcpFin),
    udp: s(setting.udpMs, original.udp),
  };
}

export class LvsTimeouts {
  readonly #kernel: Pick<IpvsKernel, 'getTimeouts' | 'apply'>;
  readonly #log: Logger;
  /** The kernel's timeouts before lvsd first changed them. */
  #original: IpvsTimeouts | undefined;

  /**
   * `original`: the kernel's own timeouts as a predecessor that handed over in place (hitless
   * restart) kept them; the kernel now holds that process's `lvs_timeouts`.
   */
  constructor(o: {
    kernel: Pick<IpvsKernel, 'getTimeouts' | 'apply'>;
    log: Logger;
    original?: IpvsTimeouts;
  }) {
    this.#kernel = o.kernel;
    this.#log = o.log;
    this.#original = o.original;
  }

  /** The kernel's own timeouts while lvsd's are set (for a successor), else undefined. */
  get original(): IpvsTimeouts | undefined {
    return this.#original;
  }

  /** At start and on each reload. */
  async apply(setting: TimeoutSetting | undefined): Promise<void> {
    if (!setting) return this.restore();
    try {
      this.#original ??= await this.#kernel.getTimeouts();
      await this.#set(timeoutsFor(setting, this.#original), 'lvs_timeouts set');
    } catch (e) {
      this.#log.error('lvs_timeouts not set', { error: (e as Error).message });
    }
  }

  /** Put back what the kernel had before lvsd changed it (at stop; on a reload without lvs_timeouts). */
  async restore(): Promise<void> {
    const o = this.#original;
    if (!o) return;
    try {
      await this.#set(o, 'IPVS timeouts restored');
      this.#original = undefined;
    } catch (e) {
      this.#log.error('IPVS timeouts not restored', { error: (e as Error).message });
    }
  }

  async #set(timeouts: IpvsTimeouts, what: string): Promise<void> {
    const r = await this.#kernel.apply([{ op: 'setTimeouts', timeouts }]);
    if (r.failed) throw r.failed.error;
    this.#log.info(what, { ...timeouts });
  }
}
