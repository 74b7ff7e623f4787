// SPDX-License-Identifier: Apache-2.0
/** A `Logger` that drops everything, for tests that do not look at the log. */
import type { Logger } from '../../src/core/log.js';

export const silentLogger: Logger = {
  error() {},
  warn() {},
  notice() {},
  info() {},
  debug() {},
  child() {
    return silentLogger;
  },
};
