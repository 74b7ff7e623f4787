// SPDX-License-Identifier: Apache-2.0
/**
 * Where the supervisor writes the validated Model its workers run (never the file on disk): the
 * whole model for the LVS worker, and beside it the VRRP worker's view (config/views.ts). Paths
 * only: the supervisor's early fork loads this and nothing of the model's code.
 */
import { join } from 'node:path';

export const modelFileIn = (runDir: string): string => join(runDir, 'model.json');

/** The VRRP worker's view of the model file `path`. */
export function vrrpModelFile(path: string): string {
  return path.replace(/(\.json)?$/, '.vrrp.json');
}

/**
 * A reload's delta beside the model file `path` (model-file.ts): the new model's header and the
 * virtual servers `path` does not hold, in place until the whole new model replaces `path`.
 */
export function deltaModelFile(path: string): string {
  return path.replace(/(\.json)?$/, '.delta.json');
}

/**
 * The VRRP worker's handoff record (vrrp/handoff.ts): written by a worker that hands over in place
 * (SIGQUIT), or by the supervisor for one that died unable to; read and removed by its successor.
 */
export const vrrpHandoffFileIn = (runDir: string): string => join(runDir, 'vrrp-handoff.json');
