// SPDX-License-Identifier: Apache-2.0
/**
 * The `use_vmac [NAME] [MAC]` line of a `vrrp_instance`, read as keepalived reads it: a word
 * with a `:` is the MAC (six octets, or five and the VRID as the sixth), any other
 * word the interface name (what the kernel accepts as a name: 1..15 characters, no `/`, `:` or
 * white space, not `.` or `..`). A multicast MAC and the RFC 5798 prefixes 00:00:5e:00:01 and
 * 00:00:5e:00:02 (the default, which needs no writing) are refused. Later keepalived's `name NAME`
 * is read too; its `group G` and `netlink_notify_msg` are refused as unsupported. Pure.
 */
import type { Token } from '../lexer.js';
import type { SourceLoc } from '../model.js';
import type { AstNode } from '../parser.js';
import type { Ctx } from '../values.js';

/** `use_vmac` as written. */
export interface VmacDraft {
  name?: string;
  /** Six octets (`aa:bb:cc:dd:ee:ff`), or five when `macUsesVrid`. Lower case. */
  mac?: string;
  /** Five octets written: the VRID is the sixth. */
  macUsesVrid?: boolean;
  loc: SourceLoc;
}

/** keepalived's dev_name_valid: what the kernel takes as an interface name. */
export function validIfName(name: string): boolean {
  return name.length > 0 && name.length < 16 && name !== '.' && name !== '..' && !/[/:\s]/.test(name);
}

function macWord(ctx: Ctx, t: Token, out: VmacDraft): void {
  const octets = t.text.replace(/:$/, '').split(':');
  const ok =
    (octets.length === 5 || (octets.length === 6 && !t.text.endsWith(':'))) &&
    octets.every((o) => /^[0-9a-fA-F]{1,2}$/.test(o));
  if (!ok) {
    ctx.diags.error(
      t.loc,
      `\`use_vmac\`: invalid MAC address ${t.text} (six octets, or five and the VRID as the sixth)`,
      'use_vmac',
    );
    return;
  }
  const bytes = octets.map((o) => parseInt(o, 16));
  const text = bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
  if (((bytes[0] ?? 0) & 1) === 1) {
    ctx.diags.error(t.loc, `\`use_vmac\`: ${t.text} is a multicast MAC address`, 'use_vmac');
  } else if (/^00:00:5e:00:0[12]/.test(text)) {
    ctx.diags.error(
      t.loc,
      `\`use_vmac\`: ${t.text} is an RFC 5798 virtual router MAC (the default: leave the MAC out)`,
      'use_vmac',
    );
  } else {
    out.mac = text;
    if (bytes.length === 5) out.macUsesVrid = true;
  }
}

/** Read a `use_vmac` line into a draft (`name NAME` is the later keepalived spelling of NAME). */
export function useVmacArgs(ctx: Ctx, node: AstNode): VmacDraft {
  const out: VmacDraft = { loc: node.loc };
  const args = node.args;
  let sawMac = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as Token;
    if (a.text === 'group' || a.text === 'netlink_notify_msg') {
      ctx.diags.add(
        ctx.lenient ? 'warning' : 'error',
        'LVSD_E_CONFIG_INVALID',
        a.loc,
        `\`use_vmac\` option \`${a.text}\` is a keepalived option that lvsd does not support${ctx.lenient ? ' (ignored)' : ''}`,
        'use_vmac',
      );
      if (a.text === 'group') i++;
      continue;
    }
    const w = a.text === 'name' && args[i + 1] ? (args[++i] as Token) : a;
    if (w.text.includes(':') && w === a) {
      if (sawMac) ctx.diags.error(w.loc, '`use_vmac`: the MAC address is given twice', 'use_vmac');
      else macWord(ctx, w, out);
      sawMac = true;
    } else if (out.name !== undefined) {
      ctx.diags.error(w.loc, '`use_vmac`: the interface name is given twice', 'use_vmac');
    } else if (!validIfName(w.text)) {
      ctx.diags.error(
        w.loc,
        `\`use_vmac\`: ${w.text} is not a valid interface name (1..15 characters, no '/', ':' or spaces)`,
        'use_vmac',
      );
    } else out.name = w.text;
  }
  return out;
}
