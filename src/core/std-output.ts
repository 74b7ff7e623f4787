// SPDX-License-Identifier: Apache-2.0
/**
 * stdout and stderr whose reader may go away: a pipe whose reader has gone (a `| tee` that ended,
 * a log collector restarted, `lvsd ipvs -Ln | head -1`) fails every write with EPIPE, which Node
 * emits as an 'error' event on process.stdout or process.stderr. Unhandled, it ends the process
 * wherever it is: a VRRP worker at its next log line (its VIPs left on the interface, unannounced,
 * while its peer takes them too), a command between two kernel operations. Once guarded, the error
 * is taken here, and writers ask `stdoutGone()` before writing (stderr's later failures land here
 * again). Used by the daemons' logger (daemon/logger.ts) and the commands' output (cli/io.ts).
 */
let gone = false;
let guarded = false;

/** Take the output errors of this process (once; later calls do nothing). */
export function guardStdOutput(): void {
  if (guarded) return;
  guarded = true;
  process.stdout.on('error', () => {
    gone = true;
  });
  process.stderr.on('error', () => {});
}

/** stdout's reader is gone (a write failed): what would be written is dropped. */
export const stdoutGone = (): boolean => gone;
