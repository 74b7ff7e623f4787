// SPDX-License-Identifier: Apache-2.0
/**
 * User and group names of `script_user`, MISC_CHECK `user` and script `USER [GROUP]` arguments
 * resolved to ids from the text of /etc/passwd and /etc/group (the caller reads the files). Pure.
 * Numeric names are taken as ids, as keepalived does; without a group, the user's login group.
 */

export type ResolvedIds = { ok: true; uid: number; gid: number } | { ok: false; reason: string };

/** The fields of the line of `db` (colon-separated, name first) whose name is `name`. */
function entry(db: string, name: string): string[] | undefined {
  for (const line of db.split('\n')) {
    const parts = line.split(':');
    if (parts[0] === name && parts.length >= 3) return parts;
  }
  return undefined;
}

function id(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d+$/.test(text)) return undefined;
  const n = Number(text);
  return n <= 0xffffffff ? n : undefined;
}

export function resolveIds(passwd: string, groups: string, user: string, group?: string): ResolvedIds {
  const pw = /^\d+$/.test(user) ? undefined : entry(passwd, user);
  const uid = /^\d+$/.test(user) ? id(user) : id(pw?.[2]);
  if (uid === undefined) return { ok: false, reason: `no such user ${user}` };
  let gid: number | undefined;
  if (group !== undefined) {
    gid = /^\d+$/.test(group) ? id(group) : id(entry(groups, group)?.[2]);
    if (gid === undefined) return { ok: false, reason: `no such group ${group}` };
  } else {
    const line = pw ?? [...passwd.split('\n')].map((l) => l.split(':')).find((p) => id(p[2]) === uid);
    gid = id(line?.[3]) ?? uid;
  }
  return { ok: true, uid, gid };
}
