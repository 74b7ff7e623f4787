// SPDX-License-Identifier: Apache-2.0
/**
 * lvsd's keyword tables by section, named by keepalived's section paths (`virtual_server/real_server/
 * HTTP_GET/url`), for the keyword ledger (ledger.ts). Pure. Each entry reads the same table and
 * "not supported" set the schema dispatches with, so a row added to a table is in the ledger at the
 * next `npm run keywords`; a new section needs one line here.
 */
import { globalDefsKeywords, topLevel, topUnsupported } from '../schema.js';
import {
  checkerTables,
  checkerUnsupported,
  smtpHostKeywords,
  unsupportedCheckers,
  urlKeywords,
} from './checkers.js';
import { garpGroupKeywords } from './garp-group.js';
import { globalUnsupported } from './global.js';
import { trackProcessKeywords } from './track-process.js';
import { realKeywords, realUnsupported, vsKeywords, vsUnsupported } from './virtual-server.js';
import {
  authKeywords,
  instanceKeywords,
  instanceUnsupported,
  scriptKeywords,
  syncGroupKeywords,
  syncGroupUnsupported,
  trackFileKeywords,
} from './vrrp.js';

export interface LvsdSection {
  /** keepalived's section path. */
  section: string;
  /** Keywords the section's table carries (each row of the table). */
  keywords: readonly string[];
  /** keepalived keywords the section reports as "not supported" (a warning with --lenient). */
  unsupported: ReadonlySet<string>;
}

const none: ReadonlySet<string> = new Set();

function checkerSections(): LvsdSection[] {
  const out: LvsdSection[] = [];
  for (const [type, table] of Object.entries(checkerTables)) {
    const section = `virtual_server/real_server/${type}`;
    out.push({ section, keywords: Object.keys(table), unsupported: checkerUnsupported });
    if (type === 'HTTP_GET' || type === 'SSL_GET')
      out.push({ section: `${section}/url`, keywords: Object.keys(urlKeywords), unsupported: none });
    if (type === 'SMTP_CHECK')
      out.push({ section: `${section}/host`, keywords: Object.keys(smtpHostKeywords), unsupported: none });
  }
  return out;
}

export function lvsdSections(): LvsdSection[] {
  return [
    {
      section: '(top level)',
      keywords: topLevel,
      unsupported: new Set([...topUnsupported, ...globalUnsupported]),
    },
    {
      section: 'global_defs',
      keywords: Object.keys(globalDefsKeywords),
      unsupported: globalUnsupported,
    },
    { section: 'garp_group', keywords: Object.keys(garpGroupKeywords), unsupported: none },
    { section: 'vrrp_script', keywords: Object.keys(scriptKeywords), unsupported: none },
    { section: 'vrrp_track_file', keywords: Object.keys(trackFileKeywords), unsupported: none },
    { section: 'track_file', keywords: Object.keys(trackFileKeywords), unsupported: none },
    { section: 'vrrp_track_process', keywords: Object.keys(trackProcessKeywords), unsupported: none },
    { section: 'vrrp_instance', keywords: Object.keys(instanceKeywords), unsupported: instanceUnsupported },
    { section: 'vrrp_instance/authentication', keywords: Object.keys(authKeywords), unsupported: none },
    {
      section: 'vrrp_sync_group',
      keywords: Object.keys(syncGroupKeywords),
      unsupported: syncGroupUnsupported,
    },
    { section: 'virtual_server', keywords: Object.keys(vsKeywords), unsupported: vsUnsupported },
    {
      section: 'virtual_server/real_server',
      keywords: [...Object.keys(realKeywords), ...Object.keys(checkerTables)],
      unsupported: new Set([...realUnsupported, ...unsupportedCheckers]),
    },
    ...checkerSections(),
  ];
}
