// SPDX-License-Identifier: Apache-2.0
/**
 * The Node the .deb bundles (package.json config.bundledNode), for the benches' rows that run
 * lvsd as the unit does: scripts/bundled-node.sh fetches it once from the npm registry.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../../test/netns/harness.js';

let path: string | undefined;

/** Its path, found (or fetched) by the script on the first call only: a bench may call it inside a timed span. */
export function debNode(): string {
  path ??= join(
    execFileSync('bash', [join(repoRoot, 'scripts', 'bundled-node.sh')], { encoding: 'utf8' }).trim(),
    'bin',
    'node',
  );
  return path;
}
