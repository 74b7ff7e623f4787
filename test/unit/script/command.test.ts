// SPDX-License-Identifier: Apache-2.0
/** The one command-line splitter (keepalived's quoting and escapes), the shell rule and the default user. */
import test from 'ava';
import { checkEnvironment } from '../../../src/config/environment.js';
import { formatDiagnostic, parseConfigText } from '../../../src/config/load.io.js';
import { baseTree, fakeHostProbe } from '../../fakes/fake-files.js';
import {
  execPlan,
  runsInShell,
  shellCommandLine,
  splitCommandLine,
  withDefaultUser,
} from '../../../src/script/command.js';

const splits: ReadonlyArray<readonly [name: string, line: string, argv: string[]]> = [
  ['words', '/bin/check a b', ['/bin/check', 'a', 'b']],
  ['any blank separates, repeated', ' /bin/check\ta \f\v b  ', ['/bin/check', 'a', 'b']],
  ['double and single quotes group', `/bin/check "a b" 'c d'`, ['/bin/check', 'a b', 'c d']],
  ['quotes inside a word', `/bin/x a"b c"d`, ['/bin/x', 'ab cd']],
  ['the other quote inside quotes', `/bin/x "it's" '"q"'`, ['/bin/x', "it's", '"q"']],
  ['empty quotes are an empty word', `/bin/check ""`, ['/bin/check', '']],
  ['backslash-blank joins', '/bin/check e\\ f', ['/bin/check', 'e f']],
  ['escaped quote does not open a quote', '/bin/x \\"a b', ['/bin/x', '"a', 'b']],
  ['escapes work inside quotes too', `/bin/x '\\n' "\\t\\""`, ['/bin/x', '\n', '\t"']],
  ['simple escapes', '/bin/x \\a\\b\\E\\f\\n\\r\\t\\v', ['/bin/x', '\x07\b\x1b\f\n\r\t\v']],
  ['hex: one or two digits', '/bin/x \\x41\\x4 \\xZ', ['/bin/x', 'A\x04', 'xZ']],
  ['octal: up to three digits', '/bin/x \\101\\7\\1018', ['/bin/x', 'A\x07A8']],
  ['control character', '/bin/x \\cA\\c[', ['/bin/x', '\x01\x1b']],
  ['any other escaped character is itself', '/bin/x \\\\ \\q \\$', ['/bin/x', '\\', 'q', '$']],
  [
    "keepalived's man page example",
    `/n.sh ' spaces\\\\x20f\\x69le ' '\\"s p a c e \\"' SG1.low master`,
    ['/n.sh', ' spaces\\x20file ', '"s p a c e "', 'SG1.low', 'master'],
  ],
  ['nothing', '   ', []],
];

for (const [name, line, argv] of splits) {
  test(`splitCommandLine: ${name}`, (t) => {
    t.deepEqual(splitCommandLine(line), { ok: true, argv });
  });
}

test('splitCommandLine: errors as keepalived reports them', (t) => {
  t.deepEqual(splitCommandLine(`/bin/x "a b`), { ok: false, reason: 'missing terminating "' });
  t.deepEqual(splitCommandLine(`/bin/x it's`), { ok: false, reason: "missing terminating '" });
  t.deepEqual(splitCommandLine('/bin/x a\\'), { ok: false, reason: 'the command line ends in a backslash' });
  t.like(splitCommandLine('/bin/x a\\0b'), { ok: false });
});

test('a shell only for the `</path` file test; every other command is exec`d as argv', (t) => {
  t.true(runsInShell(['</etc/passwd']));
  t.true(runsInShell(['< \t/etc/passwd']));
  t.false(runsInShell(['<', '/etc/passwd']));
  t.false(runsInShell(['/bin/check', '<x']));
  t.false(runsInShell([]));
  t.deepEqual(execPlan(['/bin/check', 'a b', "it's; rm -rf /"]), {
    file: '/bin/check',
    args: ['a b', "it's; rm -rf /"],
  });
  t.deepEqual(execPlan(['</etc/passwd', 'x']), { file: '/bin/sh', args: ['-c', "</etc/passwd 'x'"] });
  t.is(shellCommandLine(['/bin/x', "it's", '$HOME']), `'/bin/x' 'it'\\''s' '$HOME'`);
  t.is(shellCommandLine(['>/tmp/f']), '>/tmp/f');
});

test('withDefaultUser: the script`s own user wins, else script_user', (t) => {
  const own = { argv: ['/x'], user: 'web' };
  t.is(withDefaultUser(own, { user: 'nobody', group: 'nogroup' }), own);
  t.deepEqual(withDefaultUser({ argv: ['/x'] }, { user: 'nobody', group: 'nogroup' }), {
    argv: ['/x'],
    user: 'nobody',
    group: 'nogroup',
  });
  t.deepEqual(withDefaultUser({ argv: ['/x'] }, { user: 'nobody' }), { argv: ['/x'], user: 'nobody' });
  t.deepEqual(withDefaultUser({ argv: ['/x'] }, undefined), { argv: ['/x'] });
});

test('the config reader uses the splitter: a bad command line is a located error', (t) => {
  const text = `vrrp_script chk {\n  script "/bin/x 'a b"\n}\n`;
  const { model, diagnostics } = parseConfigText(text, 's.conf', { env: {} });
  t.is(model, undefined);
  t.deepEqual(diagnostics.map(formatDiagnostic), [
    "s.conf:2:10: error: `script`: cannot split the command line: missing terminating '",
  ]);
  const good = parseConfigText(`vrrp_script chk {\n  script "/bin/x 'a b' c\\ d"\n}\n`, 's.conf', {
    env: {},
  });
  t.deepEqual(good.model?.vrrpScripts[0]?.script.argv, ['/bin/x', 'a b', 'c d']);
});

test('start-time checks look for no program in a `</path` file test (/bin/sh runs it)', (t) => {
  const text = `vrrp_script chk {\n  script "</etc/lvsd-no-such-file"\n}\nvrrp_script missing {\n  script "/lvsd/no/such/program"\n}\n`;
  const { model, diagnostics } = parseConfigText(text, 's.conf', { env: {} });
  if (!model) return t.fail(diagnostics.map(formatDiagnostic).join('; '));
  const asked: string[] = [];
  const probe = {
    ...fakeHostProbe(baseTree),
    scriptProblem: (p: string) => (asked.push(p), 'no such file'),
  };
  t.deepEqual(checkEnvironment(model, probe).map(formatDiagnostic), [
    's.conf:5:10: error: vrrp_script `missing`: cannot run /lvsd/no/such/program: no such file',
  ]);
  t.deepEqual(asked, ['/lvsd/no/such/program']);
});
