// SPDX-License-Identifier: Apache-2.0
// The .deb `npm run package` builds, installed with dpkg into a throw-away overlay of this Debian
// machine (test/package/overlay-root.ts): lvsd runs on its bundled Node, checks its shipped
// configuration, its unit passes `systemd-analyze verify` (its man pages found), the man pages
// render, the completion completes; a first install neither enables nor starts it; `dpkg -r`
// leaves only the conffiles (an operator's edit kept), `dpkg -P` removes them with /etc/lvsd and
// /var/lib/lvsd. Needs root; the layer (`npm run test:package`) builds the package first.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { LVSD_VERSION } from '../../src/core/version.js';
import { OverlayRoot } from './overlay-root.js';

const repo = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
  return dir;
})();
const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as {
  config: { bundledNode: string };
};
const arch = spawnSync('dpkg', ['--print-architecture'], { encoding: 'utf8' }).stdout.trim();
const deb = join(repo, 'dist', `lvsd_${LVSD_VERSION}_${arch}.deb`);

/** The files and symlinks the package ships (directories left out), as absolute paths. */
function shippedFiles(): string[] {
  const r = spawnSync('dpkg-deb', ['--fsys-tarfile', deb], { maxBuffer: 1 << 30 });
  const list = spawnSync('tar', ['-t'], { input: r.stdout, encoding: 'utf8', maxBuffer: 1 << 28 });
  return list.stdout
    .split('\n')
    .filter((l) => l !== '' && !l.endsWith('/'))
    .map((l) => l.replace(/^\./, ''));
}

test.before((t) => {
  if (process.getuid?.() !== 0) throw new Error('the package test needs root (mount, chroot)');
  if (!existsSync(deb)) throw new Error(`${deb} is missing: run \`npm run package\` first`);
  t.pass();
});

test('install, use, remove and purge the .deb', async (t) => {
  const root = OverlayRoot.create();
  t.teardown(() => root.close());
  mkdirSync(root.upperPath('/var/cache/lvsd-test'), { recursive: true });
  copyFileSync(deb, root.upperPath('/var/cache/lvsd-test/lvsd.deb'));
  const files = shippedFiles();
  writeFileSync(root.upperPath('/var/cache/lvsd-test/files'), files.join('\n') + '\n');
  const sh = async (script: string, expectCode = 0): Promise<string> => {
    const r = await root.run(script);
    t.is(r.code, expectCode, `${script}\n${r.stdout}${r.stderr}`);
    return r.stdout;
  };

  // Install: dependencies met by a Debian 12 system; the first install enables and starts nothing.
  t.regex(await sh('dpkg -i /var/cache/lvsd-test/lvsd.deb 2>&1'), /lvsd: edit \/etc\/lvsd\/lvsd\.conf/);
  t.is(await sh('ls /etc/systemd/system/multi-user.target.wants/ | grep -c "^lvsd" || true'), '0\n');
  t.is(await sh("dpkg-query -W -f='${db:Status-Abbrev}' lvsd"), 'ii ');
  t.is(
    await sh("dpkg-query -W -f='${Conffiles}' lvsd | awk '{print $1}'"),
    '/etc/default/lvsd\n/etc/lvsd/lvsd.conf\n',
  );

  // The command, on the bundled Node (this machine's own node is another version).
  t.is(await sh('command -v lvsd'), '/usr/sbin/lvsd\n');
  t.is(await sh('lvsd --version'), `lvsd ${LVSD_VERSION} (node v${pkg.config.bundledNode})\n`);
  // `lvsd ipvs` is its own one-file CommonJS bundle, which bin/lvsd requires (bin/package.json)
  t.regex(await sh('lvsd ipvs --version'), /^lvsd ipvs: ipvsadm v1\.31 compatible/);
  t.is(await sh('lvsd check-config'), '/etc/lvsd/lvsd.conf: OK (0 vrrp_instance, 0 virtual_server)\n');
  t.regex(
    await sh('lvsd check-config -f /usr/share/doc/lvsd/examples/lvs-nat.conf --config-id lvs1'),
    /lvs-nat\.conf: OK \(2 vrrp_instance, 1 virtual_server\)/,
  );
  await sh('lvsd run --frobnicate 2>/dev/null', 2);
  // Both native addons load under the bundled Node: lvsd's and netlink's (N-API, no rebuild).
  t.is(
    await sh(
      `/usr/lib/lvsd/node/bin/node -e "require('/usr/lib/lvsd/build/Release/lvsd_net.node');` +
        ` const nl = require('/usr/lib/lvsd/node_modules/netlink'); console.log(typeof nl.createRtNetlink)"`,
    ),
    'function\n',
  );

  // The bundle's compiled code is cached by the bundled Node where the unit says (NODE_COMPILE_CACHE),
  // and read back by the next start; remove drops the cache.
  await sh(
    'mkdir -m 0700 -p /var/cache/lvsd && for i in 1 2; do NODE_COMPILE_CACHE=/var/cache/lvsd/node-compile-cache lvsd --version >/dev/null; done',
  );
  t.regex(await sh('find /var/cache/lvsd/node-compile-cache -type f | wc -l'), /^[1-9]\d*\n$/);

  // The unit: verified as installed (ExecStart's /usr/sbin/lvsd, its Documentation= man pages).
  t.is(await sh('systemd-analyze verify /lib/systemd/system/lvsd.service 2>&1'), '');
  // The man pages, by file and by name.
  const page8 = await sh('MANWIDTH=80 man -l /usr/share/man/man8/lvsd.8.gz 2>/dev/null');
  t.regex(page8, /^LVSD\(8\) +lvsd manual +LVSD\(8\)$/m);
  t.regex(page8, /lvsd - high-availability daemon for Linux LVS directors/);
  t.regex(page8, /^SYNOPSIS$/m);
  const page5 = await sh('MANWIDTH=80 man -l /usr/share/man/man5/lvsd.conf.5.gz 2>/dev/null');
  t.regex(page5, /lvsd\.conf - configuration file of lvsd/);
  t.regex(page5, /^Sections and keywords$/m);
  t.regex(await sh('MANWIDTH=80 man 5 lvsd.conf 2>/dev/null | head -1'), /^LVSD\.CONF\(5\)/);
  // Bash completion, as installed.
  t.is(
    await sh(
      'source /usr/share/bash-completion/completions/lvsd; COMP_WORDS=(lvsd re); COMP_CWORD=1; _lvsd; echo "${COMPREPLY[*]}"',
    ),
    'reload real\n',
  );

  // Installing it again (an upgrade in place) goes through postinst's upgrade path.
  await sh('dpkg -i /var/cache/lvsd-test/lvsd.deb >/dev/null 2>&1');

  // Remove: only the conffiles stay, with the operator's edit; the package is in config-files.
  await sh(
    'echo "# edited by the operator" >> /etc/lvsd/lvsd.conf && mkdir -p /var/lib/lvsd && touch /var/lib/lvsd/drains.json',
  );
  await sh('dpkg -r lvsd >/dev/null 2>&1');
  const left = await sh(
    'while read -r p; do if [ -e "$p" ] || [ -L "$p" ]; then echo "$p"; fi; done < /var/cache/lvsd-test/files',
  );
  t.deepEqual(left.split('\n').filter(Boolean).sort(), ['/etc/default/lvsd', '/etc/lvsd/lvsd.conf']);
  t.true(files.length > 100, `${files.length} files shipped`);
  t.is(await sh('test -e /usr/lib/lvsd || echo gone'), 'gone\n');
  t.is(await sh('test -e /var/cache/lvsd || echo gone'), 'gone\n');
  t.is(await sh("dpkg-query -W -f='${db:Status-Abbrev}' lvsd"), 'rc ');
  t.is(await sh('tail -1 /etc/lvsd/lvsd.conf'), '# edited by the operator\n');

  // Purge: the conffiles, /etc/lvsd and /var/lib/lvsd go; dpkg forgets the package.
  await sh('dpkg -P lvsd >/dev/null 2>&1');
  t.is(
    await sh('for p in /etc/lvsd /etc/default/lvsd /var/lib/lvsd; do test -e $p && echo $p; done; true'),
    '',
  );
  await sh('dpkg-query -W lvsd >/dev/null 2>&1', 1);
});
