// SPDX-License-Identifier: Apache-2.0
/**
 * `lvsd check-config [-f FILE] [--config-id ID] [--host] [--json] [--lenient]`: validate a
 * configuration. Prints every diagnostic as `file:line:col: severity: message` on stderr. Exit 0
 * when valid (warnings allowed), 1 when invalid, 2 on a usage error or an unreadable file (like
 * `keepalived -t` distinguishes "cannot run" from "config errors"). `--host` adds the host checks
 * `lvsd run` makes (config/environment.ts) on the machine it runs on: an error there (a missing
 * script, an unsafe one under `enable_script_security`) exits 1, warnings (a missing interface or
 * address) are printed. `--json` prints the normalized Model.
 * Loading is bounded (src/config/limits.ts): the first 50 findings are printed, then one line with
 * how many more.
 */
import { parseArgs } from 'node:util';
import { formatDiagnostic, isUnreadableFile } from '../../config/diagnostics.js';
import { hostDiagnostics } from '../../config/host.io.js';
import { loadConfig } from '../../config/load.io.js';
import type { Diagnostic, Model } from '../../config/model.js';
import type { CliIo } from '../io.js';

const usage =
  'usage: lvsd check-config [-f FILE] [--config-id ID] [--host] [--json] [--lenient]\n' +
  '  -f, --file FILE       configuration file [/etc/lvsd/lvsd.conf]\n' +
  '  -i, --config-id ID    id matched by @ID lines [short hostname]\n' +
  '      --host            also check this machine as `lvsd run` does: interfaces and addresses\n' +
  '                        (warnings), scripts, their users and script security (errors)\n' +
  '      --json            print the normalized model as JSON\n' +
  '      --lenient         keepalived keywords lvsd does not implement are warnings, not errors\n' +
  'Loading limits (docs/config.md): LVSD_CONFIG_MAX_BYTES [64M], LVSD_CONFIG_MAX_FILES [1000],\n' +
  'LVSD_CONFIG_MAX_TOKENS [1000000]; the first 50 findings are printed, then how many more.\n';

/** The file's diagnostics, then the host's when asked; the model only when no error was found. */
async function check(
  file: string,
  o: { configId: string | undefined; lenient: boolean; host: boolean },
): Promise<{
  model: Model | undefined;
  diagnostics: Diagnostic[];
  errorCount: number;
  warningCount: number;
}> {
  const loaded = await loadConfig(file, { configId: o.configId, lenient: o.lenient });
  if (!loaded.model || !o.host) return loaded;
  const host = hostDiagnostics(loaded.model);
  const errors = host.filter((d) => d.severity === 'error').length;
  return {
    model: errors > 0 ? undefined : loaded.model,
    diagnostics: [...loaded.diagnostics, ...host],
    errorCount: loaded.errorCount + errors,
    warningCount: loaded.warningCount + host.length - errors,
  };
}

export async function run(argv: string[], io: CliIo): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        file: { type: 'string', short: 'f', default: '/etc/lvsd/lvsd.conf' },
        'config-id': { type: 'string', short: 'i' },
        json: { type: 'boolean', default: false },
        lenient: { type: 'boolean', default: false },
        host: { type: 'boolean', default: false },
        // internal: the daemon validates reloads in a child process (src/daemon/validate-config.ts)
        'result-json': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    io.stderr(`lvsd check-config: ${(e as Error).message}\n${usage}`);
    return 2;
  }
  if (values.help) {
    io.stdout(usage);
    return 0;
  }
  const { model, diagnostics, errorCount, warningCount } = await check(values.file, {
    configId: values['config-id'],
    lenient: values.lenient,
    host: values.host,
  });
  if (values['result-json']) {
    io.stdout(JSON.stringify({ model: model ?? null, diagnostics }));
    return model ? 0 : 1;
  }
  for (const d of diagnostics) io.stderr(`${formatDiagnostic(d)}\n`);
  if (diagnostics.some(isUnreadableFile)) return 2;
  if (!model) {
    io.stderr(`${values.file}: ${errorCount} error${errorCount === 1 ? '' : 's'}\n`);
    return 1;
  }
  if (values.json) io.stdout(`${JSON.stringify(model, null, 2)}\n`);
  else {
    const w = warningCount;
    io.stdout(
      `${values.file}: OK (${model.vrrpInstances.length} vrrp_instance, ${model.virtualServers.length} virtual_server` +
        `${w ? `, ${w} warning${w === 1 ? '' : 's'}` : ''})\n`,
    );
  }
  return 0;
}
