// SPDX-License-Identifier: Apache-2.0
/**
 * Benchmark (not a test): parse + validate a generated config with 1,000 virtual servers x 10 real
 * servers (each with a TCP_CHECK) and 50 VRRP instances. Prints the timings and writes them, with
 * the machine and the date, to bench/results/config-parse.md. Target: well under 1 s.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, hostname, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseConfigText } from '../src/config/load.io.js';

const VS = 1000;
const RS = 10;
const RUNS = 7;

function generate(): string {
  const out: string[] = ['global_defs {\n  router_id bench\n  vrrp_version 3\n}\n'];
  for (let i = 1; i <= 50; i++) {
    out.push(
      `vrrp_instance VI_${i} {\n  state BACKUP\n  interface eth0\n  virtual_router_id ${i}\n  priority 100\n` +
        `  advert_int 1\n  virtual_ipaddress {\n    10.${100 + Math.floor(i / 250)}.${i % 250}.1/32\n  }\n}\n`,
    );
  }
  for (let v = 0; v < VS; v++) {
    const vip = `10.${Math.floor(v / 250)}.${v % 250}.10`;
    const lines = [
      `virtual_server ${vip} 80 {`,
      '  lb_algo wrr',
      '  lb_kind NAT',
      '  protocol TCP',
      '  delay_loop 5',
    ];
    for (let r = 1; r <= RS; r++) {
      lines.push(
        `  real_server 192.168.${v % 250}.${r + 10} 8080 {`,
        `    weight ${r}`,
        '    TCP_CHECK {',
        '      connect_timeout 3',
        '      retry 2',
        '      delay_before_retry 1',
        '    }',
        '  }',
      );
    }
    lines.push('}');
    out.push(`${lines.join('\n')}\n`);
  }
  return out.join('');
}

const text = generate();
const lineCount = text.split('\n').length;
const times: number[] = [];
const cpuTimes: number[] = [];
let reals = 0;
for (let i = 0; i < RUNS + 1; i++) {
  const start = performance.now();
  const cpu0 = process.cpuUsage();
  const r = parseConfigText(text, 'bench.conf', { configId: 'bench', env: {} });
  const ms = performance.now() - start;
  const cpu = process.cpuUsage(cpu0);
  if (!r.model) {
    console.error(r.diagnostics.slice(0, 5));
    throw new Error('generated config did not validate');
  }
  reals = r.model.virtualServers.reduce((n, v) => n + v.realServers.length, 0);
  if (i > 0) {
    // The first run warms up the JIT.
    times.push(ms);
    cpuTimes.push((cpu.user + cpu.system) / 1000);
  }
}
times.sort((a, b) => a - b);
cpuTimes.sort((a, b) => a - b);
const cpuMedian = cpuTimes[Math.floor(cpuTimes.length / 2)] ?? 0;
const load = loadavg()[0]?.toFixed(1) ?? '?';
const median = times[Math.floor(times.length / 2)] ?? 0;
const min = times[0] ?? 0;
const max = times[times.length - 1] ?? 0;
const cpu = cpus()[0]?.model ?? 'unknown CPU';
const date = new Date().toISOString();
const summary =
  `config-parse: ${VS} virtual servers x ${RS} reals (${reals} reals, ${lineCount} lines, ${(text.length / 1024).toFixed(0)} KiB)\n` +
  `  parse+validate: median ${median.toFixed(1)} ms, min ${min.toFixed(1)} ms, max ${max.toFixed(1)} ms wall; ` +
  `median ${cpuMedian.toFixed(1)} ms CPU; over ${RUNS} runs (+1 warm-up); load average ${load}\n`;
process.stdout.write(summary);

const md =
  `# config-parse\n\n` +
  `Parse + validate (lexer, parser, schema, Model) of a generated keepalived.conf: ${VS} virtual servers x ` +
  `${RS} real servers with TCP_CHECK, 50 VRRP instances; ${lineCount} lines. Target: well under 1 s.\n\n` +
  'Wall times depend on what else runs on the machine (the 1-minute load average is recorded); the CPU ' +
  'time is the process CPU (user + system, including GC) per run.\n\n' +
  `| date | machine | node | wall median ms | wall min ms | wall max ms | CPU median ms | runs | load avg |\n` +
  `|---|---|---|---|---|---|---|---|---|\n` +
  `| ${date} | ${cpu} (${cpus().length} CPUs, host ${hostname()}) | ${process.version} | ${median.toFixed(1)} | ` +
  `${min.toFixed(1)} | ${max.toFixed(1)} | ${cpuMedian.toFixed(1)} | ${RUNS} | ${load} |\n\n` +
  'Reproduce: `npm run bench config-parse`.\n';
const dir = fileURLToPath(new URL('../../bench/results/', import.meta.url));
mkdirSync(dir, { recursive: true });
writeFileSync(`${dir}config-parse.md`, md);
