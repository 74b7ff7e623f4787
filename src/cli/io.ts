// SPDX-License-Identifier: Apache-2.0
/** Output port of CLI commands, so tests can capture what a command prints. */
import { guardStdOutput, stdoutGone } from '../core/std-output.js';

export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Read all of standard input (for `lvsd ipvs restore`). */
  readStdin(): Promise<string>;
}

// A command whose reader has gone (`lvsd ipvs -Ln | head -1`, a pager quit early) drops the rest of
// its output and finishes its work with its own status (core/std-output.ts). ipvsadm dies of
// SIGPIPE there instead; finishing is the safer of the two for a command that programs the kernel.
export const processIo: CliIo = {
  stdout: (text) => {
    guardStdOutput();
    if (!stdoutGone()) process.stdout.write(text);
  },
  stderr: (text) => {
    guardStdOutput();
    process.stderr.write(text);
  },
  readStdin: async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  },
};

/** An in-memory CliIo for tests. */
export function captureIo(stdin = ''): CliIo & { out: string; err: string } {
  const io = {
    out: '',
    err: '',
    stdout(text: string) {
      io.out += text;
    },
    stderr(text: string) {
      io.err += text;
    },
    readStdin: () => Promise.resolve(stdin),
  };
  return io;
}
