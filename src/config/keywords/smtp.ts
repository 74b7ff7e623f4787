// SPDX-License-Identifier: Apache-2.0
/**
 * E-mail alert keywords: the `global_defs` rows (`notification_email`, `notification_email_from`,
 * `smtp_server`, `smtp_helo_name`, `smtp_connect_timeout`, `smtp_alert`, `smtp_alert_vrrp`,
 * `smtp_alert_checker`, `no_email_faults`, `no_checker_emails`), their draft, and how the global
 * `smtp_alert*` defaults resolve the `smtp_alert` of instances, sync groups, virtual and real servers
 * (keepalived: own setting, else the section's global, else `smtp_alert`, else off, except real
 * servers, which are on). Pure.
 */
import type { SmtpSettings, SourceLoc } from '../model.js';
import type { AstNode } from '../parser.js';
import {
  type Ctx,
  type KeywordTable,
  arg,
  blockLines,
  intValue,
  noExtra,
  noNestedBlock,
  parseAddress,
  portValue,
  wordArg,
} from '../values.js';
import { boolish } from './global.js';

/** The e-mail keywords of global_defs as written. */
export interface SmtpDraft {
  to: string[];
  toLoc?: SourceLoc;
  from?: string;
  server?: { host: string; port: number; loc: SourceLoc };
  heloName?: string;
  connectTimeoutMs?: number;
  /** `smtp_alert`, `smtp_alert_vrrp`, `smtp_alert_checker`: the defaults of the sections. */
  alert?: boolean;
  alertVrrp?: boolean;
  alertChecker?: boolean;
  noEmailFaults: boolean;
  noCheckerEmails: boolean;
  /** Where the globals turned alerts on explicitly (for the "no mail is sent" warning). */
  alertLocs: SourceLoc[];
}

/** A section's own `smtp_alert [true|false]` as written. */
export interface AlertSetting {
  readonly on: boolean;
  readonly loc: SourceLoc;
}

/** The `smtp_alert` row of vrrp_instance, vrrp_sync_group, virtual_server and real_server. */
export function smtpAlertRow<T extends { smtpAlert?: AlertSetting }>(): KeywordTable<T> {
  return { smtp_alert: { run: (c, n, t) => (t.smtpAlert = { on: boolish(c, n), loc: n.loc }) } };
}

export function newSmtpDraft(): SmtpDraft {
  return { to: [], noEmailFaults: false, noCheckerEmails: false, alertLocs: [] };
}

/** keepalived's default `smtp_connect_timeout`. */
export const SMTP_CONNECT_TIMEOUT_MS = 30_000;

/** A host name as DNS allows it (letters, digits, hyphens, dots), for `smtp_server`. */
const HOST_NAME =
  /^(?=.{1,253}$)([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;

function smtpServer(ctx: Ctx, node: AstNode): SmtpDraft['server'] {
  const h = arg(ctx, node, 0, 'an address or host name');
  noExtra(ctx, node, 2);
  if (!h) return undefined;
  const addr = parseAddress(h.text);
  if (!addr && !HOST_NAME.test(h.text)) {
    ctx.diags.error(
      h.loc,
      `\`smtp_server\` needs an IP address or a host name (got ${h.text})`,
      node.keyword,
    );
    return undefined;
  }
  const p = node.args[1];
  const port = p ? portValue(ctx, 'smtp_server', p, 1) : 25;
  if (port === undefined) return undefined;
  return { host: addr?.address ?? h.text, port, loc: node.loc };
}

function recipients(ctx: Ctx, node: AstNode, d: SmtpDraft): void {
  const lines = blockLines(node);
  if (lines.length === 0) ctx.diags.warning(node.loc, '`notification_email` is empty', node.keyword);
  for (const { words, node: child } of lines) {
    if (!noNestedBlock(ctx, child, node.keyword)) continue;
    for (const w of words) {
      if (/\s|[<>]/.test(w.text) || w.text.length > 254) {
        ctx.diags.error(w.loc, `\`notification_email\`: not an e-mail address (got ${w.text})`, node.keyword);
      } else d.to.push(w.text);
    }
  }
  d.toLoc ??= node.loc;
}

function connectTimeout(ctx: Ctx, node: AstNode): number | undefined {
  const t = arg(ctx, node, 0, 'a number of seconds');
  noExtra(ctx, node, 1);
  if (!t) return undefined;
  const s = intValue(ctx, 'smtp_connect_timeout', t, 0, 86400, 'whole seconds');
  if (s === 0) {
    ctx.diags.warning(t.loc, '`smtp_connect_timeout` must be at least 1 second; 1 is used', node.keyword);
    return 1000;
  }
  return s === undefined ? undefined : s * 1000;
}

/** A global `smtp_alert*` flag, remembering where an explicit "on" was written. */
function alertFlag(ctx: Ctx, node: AstNode, d: SmtpDraft): boolean {
  const on = boolish(ctx, node);
  if (on) d.alertLocs.push(node.loc);
  return on;
}

/** The global_defs rows of e-mail alerts, for a draft holding `smtp: SmtpDraft` (schema.ts merges them). */
export function smtpGlobalKeywords<T extends { smtp: SmtpDraft }>(): KeywordTable<T> {
  return {
    notification_email: { block: true, run: (c, n, g) => recipients(c, n, g.smtp) },
    notification_email_from: {
      run: (c, n, g) => {
        const v = wordArg(c, n, 'an e-mail address');
        if (v !== undefined) g.smtp.from = v;
      },
    },
    smtp_server: {
      run: (c, n, g) => {
        const s = smtpServer(c, n);
        if (s) g.smtp.server = s;
      },
    },
    smtp_helo_name: {
      run: (c, n, g) => {
        const v = wordArg(c, n, 'a host name');
        if (v !== undefined) g.smtp.heloName = v;
      },
    },
    smtp_connect_timeout: {
      run: (c, n, g) => {
        const ms = connectTimeout(c, n);
        if (ms !== undefined) g.smtp.connectTimeoutMs = ms;
      },
    },
    smtp_alert: { run: (c, n, g) => (g.smtp.alert = alertFlag(c, n, g.smtp)) },
    smtp_alert_vrrp: { run: (c, n, g) => (g.smtp.alertVrrp = alertFlag(c, n, g.smtp)) },
    smtp_alert_checker: { run: (c, n, g) => (g.smtp.alertChecker = alertFlag(c, n, g.smtp)) },
    no_email_faults: { run: (c, n, g) => (g.smtp.noEmailFaults = boolish(c, n)) },
    no_checker_emails: { run: (c, n, g) => (g.smtp.noCheckerEmails = boolish(c, n)) },
  };
}

/** Per-section defaults of `smtp_alert` resolved from the globals. */
export interface SmtpAlertDefaults {
  readonly vrrp: boolean;
  readonly virtualServer: boolean;
  readonly realServer: boolean;
}

export function smtpAlertDefaults(d: SmtpDraft): SmtpAlertDefaults {
  const checker = d.alertChecker ?? d.alert;
  return {
    vrrp: d.alertVrrp ?? d.alert ?? false,
    virtualServer: checker ?? false,
    realServer: checker ?? true,
  };
}

/**
 * The model's SmtpSettings, absent when no e-mail keyword was written. Mail needs both a server and
 * recipients: each without the other is a warning, as is an explicit `smtp_alert` then (anywhere:
 * `explicitOn` are the locations of the sections' own `smtp_alert` lines), since no mail would go.
 */
export function finalizeSmtp(
  ctx: Ctx,
  d: SmtpDraft,
  explicitOn: readonly SourceLoc[],
): SmtpSettings | undefined {
  const written =
    d.to.length > 0 ||
    d.toLoc !== undefined ||
    d.server !== undefined ||
    d.from !== undefined ||
    d.heloName !== undefined;
  if (d.server && d.to.length === 0)
    ctx.diags.warning(
      d.server.loc,
      '`smtp_server` without `notification_email`: no e-mail is sent',
      'smtp_server',
    );
  if (!d.server && d.toLoc && d.to.length > 0)
    ctx.diags.warning(
      d.toLoc,
      '`notification_email` without `smtp_server`: no e-mail is sent',
      'notification_email',
    );
  if (!d.server || d.to.length === 0) {
    for (const loc of [...d.alertLocs, ...explicitOn])
      ctx.diags.warning(
        loc,
        '`smtp_alert` has no effect without `smtp_server` and `notification_email`',
        'smtp_alert',
      );
  }
  if (!written && d.connectTimeoutMs === undefined && !d.noEmailFaults && !d.noCheckerEmails)
    return undefined;
  const out: SmtpSettings = {
    to: d.to,
    connectTimeoutMs: d.connectTimeoutMs ?? SMTP_CONNECT_TIMEOUT_MS,
    noEmailFaults: d.noEmailFaults,
    noCheckerEmails: d.noCheckerEmails,
  };
  if (d.from !== undefined) out.from = d.from;
  if (d.server) out.server = d.server;
  if (d.heloName !== undefined) out.heloName = d.heloName;
  return out;
}
