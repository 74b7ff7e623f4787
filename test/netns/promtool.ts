// SPDX-License-Identifier: Apache-2.0
/**
 * `promtool check metrics` for the metrics tests of the netns and VM layers (Debian's prometheus
 * package, installed by scripts/ensure-test-deps.sh): the exposition on stdin, its exit code and
 * what it printed.
 */
import { spawn } from 'node:child_process';

export function promtoolCheck(text: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn('promtool', ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (b: Buffer) => (out += b.toString()));
    p.stderr.on('data', (b: Buffer) => (out += b.toString()));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, out }));
    p.stdin.end(text);
  });
}
