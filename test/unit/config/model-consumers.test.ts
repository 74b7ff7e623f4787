// SPDX-License-Identifier: Apache-2.0
// Every field of the configuration Model has a consumer outside src/config/: code that reads it
// (found by TypeScript's checker, model-readers.ts), or a reason written below why it needs none.
// A field added to src/config/model.ts without a reader fails here, so a keyword cannot be accepted
// and then ignored. Fields waiting for their consumer (issue 11, other branches) are listed as
// pending, and the entry fails as soon as a reader exists, so the list only shrinks.
import test from 'ava';
import { fileURLToPath } from 'node:url';
import { modelReaders } from './model-readers.js';

const root = fileURLToPath(new URL('../../../../', import.meta.url));

/** Not part of the Model's data: the checker's findings and the location type. */
const notModel = /^(Diagnostic|SourceLoc)\./;

/** Read only inside src/config/, each for the reason given. */
const noReaderNeeded: Readonly<Record<string, string>> = {
  'ScriptSpec.command': 'the command as written, for check-config --json; the runner executes argv',
  'UrlRegex.pattern': 'the pattern as written, for check-config --json; the probe uses source and flags',
  'UnicastPeer.family': 'checked against the instance family by the schema; the address text carries it',
  'Model.files': 'the files read, for check-config --json',
  'GlobalDefs.vrrpVersion': 'resolved into each VrrpInstanceConfig.version by schema-vrrp.ts',
  'GlobalDefs.garp': 'resolved into each VrrpInstanceConfig.garp by schema-vrrp.ts',
  'GlobalDefs.vrrpStrict': 'resolved into VrrpInstanceConfig.strict',
  'GlobalDefs.vrrpCheckUnicastSrc': 'resolved into VrrpInstanceConfig.checkUnicastSrc',
  'GlobalDefs.vrrpSkipCheckAdvAddr': 'resolved into VrrpInstanceConfig.skipCheckAdvAddr',
  'GlobalDefs.vrrpLowerPrioNoAdvert': 'resolved into VrrpInstanceConfig.lowerPrioNoAdvert',
  'GlobalDefs.vrrpHigherPrioSendAdvert': 'resolved into VrrpInstanceConfig.higherPrioSendAdvert',
  'GlobalDefs.vrrpDownTimerAdverts': 'resolved into VrrpInstanceConfig.downTimerAdverts',
  'GlobalDefs.vrrpOwnerIgnoreAdverts': 'resolved into VrrpInstanceConfig.ownerIgnoreAdverts',
  'GlobalDefs.vrrpNotifyPriorityChanges': 'resolved into VrrpInstanceConfig.notifyPriorityChanges',
  'GlobalDefs.processMonitorRcvBufs.bytes':
    'the object is handed whole to the process tracker (src/vrrp/process-trackers.io.ts), typed there',
  'GlobalDefs.processMonitorRcvBufs.force': 'as processMonitorRcvBufs.bytes',
  'RealServer.alpha': 'pushed down into each checker (CheckerCommon.alpha) by schema-checkers.ts',
  'RealServer.delayLoopMs': 'pushed down into CheckerCommon.delayLoopMs',
  'RealServer.connectTimeoutMs': 'pushed down into CheckerCommon.connectTimeoutMs',
  'RealServer.warmupMs': 'pushed down into CheckerCommon.warmupMs',
  'VirtualServer.delayLoopMs': 'pushed down into each real server and checker by schema-lvs.ts',
  'VirtualServer.alpha': 'pushed down into each real server and checker',
  'VirtualServer.retry': 'pushed down into CheckerCommon.retry',
  'VirtualServer.delayBeforeRetryMs': 'pushed down into CheckerCommon.delayBeforeRetryMs',
  'VirtualServer.warmupMs': 'pushed down into each real server and checker',
  'VirtualServer.connectTimeoutMs': 'pushed down into each real server and checker',
  'VirtualServer.inhibitOnFailure': 'pushed down into RealServer.inhibitOnFailure',
  'VirtualServer.virtualhost': 'pushed down into RealServer.virtualhost and HttpCheck.virtualhost',
  'GlobalDefs.lvsTimeouts.tcpMs':
    'the object is handed whole to src/check/lvs-timeouts.ts (TimeoutSetting, via src/daemon/check-main.ts), typed there',
  'GlobalDefs.lvsTimeouts.tcpFinMs': 'as lvsTimeouts.tcpMs',
  'GlobalDefs.lvsTimeouts.udpMs': 'as lvsTimeouts.tcpMs',
  'VrrpNftables.table':
    'the object is handed whole to the firewall (src/vrrp/engine.ts → src/vrrp/firewall-table.ts), typed there',
  'VrrpNftables.priority': 'as VrrpNftables.table',
  'CheckerCommon.bindIfLoc':
    "where `bind_if` was written: check-config's host check (environment.ts) points there",
  'VrrpNftables.counters': 'as VrrpNftables.table',
};

/**
 * Accepted by check-config and carried out by nothing yet: issue 11's work on other branches (named),
 * or a finding of this test. docs/keywords.md lists their keywords as pending.
 */
const pending: Readonly<Record<string, string>> = {};

const fields = modelReaders(root);

test('model-readers finds the readers it should (a field read in src/vrrp/ and one in src/check/)', (t) => {
  const byName = new Map(fields.map((f) => [f.field, f.readers]));
  t.true(byName.get('VrrpInstanceConfig.vrid')?.has('src/vrrp/config.ts'));
  t.true([...(byName.get('HttpUrl.digest') ?? [])].some((f) => f.startsWith('src/check/')));
});

test('every Model field has a consumer outside src/config/, or a reason it needs none', (t) => {
  const orphans = fields
    .filter((f) => !notModel.test(f.field) && !f.field.endsWith('.loc'))
    .filter((f) => f.readers.size === 0 && !noReaderNeeded[f.field] && !pending[f.field])
    .map((f) => f.field);
  t.deepEqual(orphans, [], 'read these fields where the keyword is carried out, or reject the keyword');
});

test('a pending field that has found its consumer leaves the pending list', (t) => {
  const done = fields.filter((f) => pending[f.field] && f.readers.size > 0).map((f) => f.field);
  t.deepEqual(
    done,
    [],
    'remove these from `pending` (and name the consumer in src/config/keywords/ledger-notes.ts)',
  );
  const unknown = [...Object.keys(pending), ...Object.keys(noReaderNeeded)].filter(
    (k) => !fields.some((f) => f.field === k),
  );
  t.deepEqual(unknown, [], 'these listed fields are no longer in model.ts');
});
