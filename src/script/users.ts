// SPDX-License-Identifier: Apache-2.0
/**
 * `USER [GROUP]` of a script (`script_user`, MISC_CHECK `user`, the words after a notify script)
 * resolved to the uid and gid it runs as, from the text of /etc/passwd and /etc/group (users.io.ts
 * reads the files). Pure. The one lookup every kind of script uses.
 *
 * keepalived looks both up by name only (getpwnam/getgrnam), the group defaulting to the user's
 * primary group. lvsd does the same, and also accepts numbers, as chown(1) does:
 * - USER: a user of that name first; otherwise, if it is all digits, that uid.
 * - GROUP: a group of that name first; otherwise, if it is all digits, that gid.
 * - no GROUP: the primary group of the user's /etc/passwd line (for a number, the line with that
 *   uid). A uid with no /etc/passwd line has no primary group: it is refused unless a GROUP is
 *   given (lvsd never guesses gid = uid, which could be another user's group).
 */

export type ResolvedIds = { ok: true; uid: number; gid: number } | { ok: false; reason: string };

/** An id as /etc/passwd writes it; (uid_t)-1 and larger are not ids. */
function id(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d{1,10}$/.test(text)) return undefined;
  const n = Number(text);
  return n < 0xffffffff ? n : undefined;
}

/** The fields of the first line of `db` (colon-separated) whose `field`-th field is `value`. */
function line(db: string, field: number, value: string): string[] | undefined {
  for (const text of db.split('\n')) {
    const parts = text.split(':');
    if (parts.length >= 4 && parts[field] === value) return parts;
  }
  return undefined;
}

export function resolveIds(passwd: string, groups: string, user: string, group?: string): ResolvedIds {
  const byName = user === '' ? undefined : line(passwd, 0, user);
  const uid = byName ? id(byName[2]) : id(user);
  if (uid === undefined) return { ok: false, reason: `no such user ${user}` };
  let gid: number | undefined;
  if (group !== undefined) {
    const grp = group === '' ? undefined : line(groups, 0, group);
    gid = grp ? id(grp[2]) : id(group);
    if (gid === undefined) return { ok: false, reason: `no such group ${group}` };
  } else {
    const pw = byName ?? line(passwd, 2, String(uid));
    gid = id(pw?.[3]);
    if (gid === undefined)
      return {
        ok: false,
        reason: `user ${user} has no /etc/passwd entry, so no primary group: name a group`,
      };
  }
  return { ok: true, uid, gid };
}
