// SPDX-License-Identifier: Apache-2.0
/**
 * E-mail alerts as keepalived sends them (core/smtp.c, vrrp_notify.c, the checkers): what can be
 * alerted, and the subject and body keepalived gives each (`[router_id] VRRP Instance VI_1 -
 * Entering MASTER state`, `=> VRRP Instance is now owning VRRP VIPs <=`). The `MailAlerts` port is
 * what the VRRP notifier and the check manager hand alerts to (mail/queue.ts). Pure.
 */

/** A state a VRRP instance or sync group alert announces. */
export type AlertState = 'MASTER' | 'BACKUP' | 'FAULT' | 'STOP' | 'DELETED';

export type MailAlert =
  | { readonly kind: 'vrrpInstance'; readonly name: string; readonly state: AlertState }
  | { readonly kind: 'vrrpGroup'; readonly name: string; readonly state: Exclude<AlertState, 'DELETED'> }
  /**
   * A checker of a real server changed state. `rsChanged`: the real server's own state changed
   * with it (`no_checker_emails` mails only those). `rs`/`vs` as keepalived prints them.
   */
  | {
      readonly kind: 'realServer';
      readonly rs: string;
      readonly vs: string;
      /** The real server's state after the change. */
      readonly up: boolean;
      readonly rsChanged: boolean;
      readonly message: string;
    }
  | { readonly kind: 'virtualServer'; readonly vs: string; readonly up: boolean; readonly message: string };

/** Where alerts go: queued and sent later, never waited for. */
export interface MailAlerts {
  alert(a: MailAlert): void;
}

const INSTANCE_TEXT: Record<AlertState, readonly [string, string]> = {
  MASTER: ['Entering MASTER state', '=> VRRP Instance is now owning VRRP VIPs <='],
  BACKUP: ['Entering BACKUP state', '=> VRRP Instance is no longer owning VRRP VIPs <='],
  FAULT: ['Entering FAULT state', '=> VRRP Instance is no longer owning VRRP VIPs <='],
  STOP: ['Stopping', '=> VRRP Instance stopping <='],
  DELETED: ['Deleted', '=> VRRP Deleted at reload <='],
};

const GROUP_TEXT: Record<Exclude<AlertState, 'DELETED'>, readonly [string, string]> = {
  MASTER: ['Entering MASTER state', '=> All VRRP group instances are now in MASTER state <='],
  BACKUP: ['Entering BACKUP state', '=> All VRRP group instances are now in BACKUP state <='],
  FAULT: ['Entering FAULT state', '=> All VRRP group instances are now in FAULT state <='],
  STOP: ['Stopping', '=> All VRRP group instances are now stopping <='],
};

/** keepalived's subject and body of an alert from the director named `routerId`. */
export function alertText(routerId: string, a: MailAlert): { subject: string; body: string } {
  switch (a.kind) {
    case 'vrrpInstance': {
      const [what, body] = INSTANCE_TEXT[a.state];
      return { subject: `[${routerId}] VRRP Instance ${a.name} - ${what}`, body };
    }
    case 'vrrpGroup': {
      const [what, body] = GROUP_TEXT[a.state];
      return { subject: `[${routerId}] VRRP Group ${a.name} - ${what}`, body };
    }
    case 'realServer':
      return {
        subject: `[${routerId}] Realserver ${a.rs} of virtual server ${a.vs} - ${a.up ? 'UP' : 'DOWN'}`,
        body: a.message,
      };
    case 'virtualServer':
      return { subject: `[${routerId}] Virtualserver ${a.vs} - ${a.up ? 'UP' : 'DOWN'}`, body: a.message };
  }
}

/**
 * The body of a quorum alert (keepalived's do_vs_notifies): `=> Gained quorum 2+0=2 <= 3 <=`, with
 * quorum, hysteresis, the threshold crossed and the live weight.
 */
export function quorumMessage(
  up: boolean,
  q: { quorum: number; hysteresis: number; threshold: number; weightSum: number },
): string {
  return `=> ${up ? 'Gained quorum' : 'Lost quorum'} ${q.quorum}+${q.hysteresis}=${q.threshold} <= ${q.weightSum} <=`;
}

/** The body keepalived's checkers give a real server alert (FILE_CHECK sends none: undefined). */
export function checkerMessage(
  checker:
    | 'TCP_CHECK'
    | 'HTTP_GET'
    | 'SSL_GET'
    | 'MISC_CHECK'
    | 'DNS_CHECK'
    | 'UDP_CHECK'
    | 'FILE_CHECK'
    | 'PING_CHECK'
    | 'SMTP_CHECK',
  up: boolean,
  opts: { timedOut?: boolean } = {},
): string | undefined {
  switch (checker) {
    case 'TCP_CHECK':
      return `=> TCP CHECK ${up ? 'succeed' : 'failed'} on service <=`;
    case 'UDP_CHECK':
      return `=> UDP CHECK ${up ? 'succeed' : 'failed'} on service <=`;
    case 'PING_CHECK':
      return `=> ICMP CHECK ${up ? 'succeed' : 'failed'} on service <=`;
    case 'SMTP_CHECK':
      return `=> CHECK ${up ? 'succeed' : 'failed'} on service <=`;
    case 'HTTP_GET':
    case 'SSL_GET':
      return up ? '=> CHECK succeed on service <=' : '=> CHECK failed on service : HTTP request failed <=';
    case 'DNS_CHECK':
      return `=> DNS_CHECK: ${up ? 'succeed' : 'failed'} on service <=`;
    case 'MISC_CHECK':
      return `=> MISC CHECK ${up ? 'succeeded' : opts.timedOut ? 'timed out' : 'failed'} on service <=`;
    case 'FILE_CHECK':
      return undefined;
  }
}
